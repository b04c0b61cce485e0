"""The texture cache in an S3-compatible bucket (a moto server on loopback): shared by two caches and two servers,
held under its size limit."""

from __future__ import annotations

import hashlib

from harness import auth, channel_to, running, settings_for
from s3_server import s3_bucket, s3_endpoint  # noqa: F401  (the loopback S3 server and a bucket per test)
from worldsmith._proto.worldsmith.v1 import common_pb2, texture_pb2, texture_pb2_grpc
from worldsmith.store.object_store import ObjectStore
from worldsmith.textures.cache import KIND, TextureCache

ENTRY_BYTES = 1000


def key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def result(*names: str) -> texture_pb2.TextureResult:
    """One variation per name, about ENTRY_BYTES serialised, under the name's hash."""
    made = texture_pb2.TextureResult()
    for name in names:
        variation = made.variations.add(recipe=common_pb2.Recipe(content_hash=key(name)))
        variation.images.add(png=(name.encode() * ENTRY_BYTES)[: ENTRY_BYTES - 80])
    return made


def bucket_cache(bucket: str, endpoint: str, max_bytes: int = 100 * ENTRY_BYTES) -> TextureCache:
    return TextureCache(ObjectStore(bucket, "fronts", KIND, endpoint), max_bytes)


def test_a_variation_one_cache_wrote_is_a_hit_on_another(s3_bucket, s3_endpoint):
    one, other = bucket_cache(s3_bucket, s3_endpoint), bucket_cache(s3_bucket, s3_endpoint)
    assert other.get([key("moss")]) is None
    one.put(result("moss", "slate"))
    found = other.get([key("slate"), key("moss")])
    assert found.cached and [variation.recipe.content_hash for variation in found.variations] == [key("slate"), key("moss")]
    assert found.variations[1] == result("moss").variations[0]


def test_the_least_recently_used_objects_are_deleted_past_the_limit(s3_bucket, s3_endpoint):
    cache = bucket_cache(s3_bucket, s3_endpoint, max_bytes=2 * ENTRY_BYTES)
    cache.put(result("a", "b"))
    assert cache.get([key("a")]) is not None  # a is now the most recently used
    cache.put(result("c"))
    assert sorted(entry.key for entry in cache.store.entries()) == sorted([key("a"), key("c")])
    assert cache.bytes_held == sum(entry.size for entry in cache.store.entries()) <= cache.max_bytes
    assert bucket_cache(s3_bucket, s3_endpoint).get([key("b")]) is None
    # A cache started later indexes what the bucket holds and trims it to its own limit.
    smaller = bucket_cache(s3_bucket, s3_endpoint, max_bytes=ENTRY_BYTES)
    assert len(smaller.store.entries()) == 1 and smaller.bytes_held <= ENTRY_BYTES


async def test_a_texture_made_by_one_server_is_a_cache_hit_on_the_other(s3_bucket, s3_endpoint, tmp_path):
    store = {"assets_url": f"s3://{s3_bucket}/fronts", "s3_endpoint_url": s3_endpoint}
    request = texture_pb2.GenerateTextureRequest(prompt="mossy cobblestone", width=64, height=64, seed=11,
                                                 maps=[texture_pb2.TEXTURE_MAP_ALBEDO])
    results = []
    async with running(settings_for(tmp_path / "one", store=store)) as first, \
            running(settings_for(tmp_path / "two", store=store)) as second:
        for front in (first, second):
            async with channel_to(front) as channel:
                stub = texture_pb2_grpc.TextureServiceStub(channel)
                events = [event async for event in stub.GenerateTexture(request, metadata=auth("admin"))]
                results.append(events[-1].result)
    assert not results[0].cached and results[1].cached
    assert results[1].variations[0].images == results[0].variations[0].images
    # The entry is in the bucket, not in either server's data folder.
    assert [entry.key for entry in ObjectStore(s3_bucket, "fronts", KIND, s3_endpoint).entries()] == \
        [results[0].variations[0].recipe.content_hash]
    assert not (tmp_path / "one" / "cache").exists() and not (tmp_path / "two" / "cache").exists()

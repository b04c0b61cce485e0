"""The asset store in an S3-compatible bucket (a moto server on loopback), the choice of store, its settings."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from harness import free_port
from s3_server import s3_bucket, s3_endpoint  # noqa: F401  (the loopback S3 server and a bucket per test)
from worldsmith.config import ConfigError, StoreConfig, load_settings
from worldsmith.store.content_cache import ContentCache
from worldsmith.store.object_store import ObjectStore, content_store

FIRST, SECOND = "a1" * 16, "b2" * 16


def test_bytes_round_trip_are_listed_and_deleted(s3_bucket, s3_endpoint):
    store = ObjectStore(s3_bucket, "worlds/one", "textures", s3_endpoint)
    assert store.get(FIRST) is None and FIRST not in store and store.entries() == []
    store.put(FIRST, b"first")
    time.sleep(1.1)  # S3 keeps LastModified to the second
    store.put(SECOND, b"second, longer")
    assert store.get(FIRST) == b"first" and FIRST in store
    assert [(entry.key, entry.size) for entry in store.entries()] == [(FIRST, 5), (SECOND, 14)]
    store.put(FIRST, b"replaced")
    assert store.get(FIRST) == b"replaced"
    store.delete(SECOND)
    store.delete(SECOND)  # deleting what is gone is not an error
    assert store.get(SECOND) is None and SECOND not in store
    assert [entry.key for entry in store.entries()] == [FIRST]


def test_objects_sit_under_the_prefix_and_kind(s3_bucket, s3_endpoint):
    ObjectStore(s3_bucket, "/worlds/one/", "textures", s3_endpoint).put(FIRST, b"x")
    assert ObjectStore(s3_bucket, "", "textures", s3_endpoint).client.head_object(
        Bucket=s3_bucket, Key=f"worlds/one/textures/{FIRST}")["ContentLength"] == 1
    assert ObjectStore(s3_bucket, "worlds/two", "textures", s3_endpoint).entries() == []
    assert ObjectStore(s3_bucket, "worlds/one", "scenes", s3_endpoint).get(FIRST) is None


def test_two_stores_on_one_bucket_see_each_others_writes(s3_bucket, s3_endpoint):
    one, other = (ObjectStore(s3_bucket, "shared", "textures", s3_endpoint) for _ in range(2))
    one.put(FIRST, b"made by one")
    assert other.get(FIRST) == b"made by one" and [entry.key for entry in other.entries()] == [FIRST]
    other.delete(FIRST)
    assert one.get(FIRST) is None


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABCDEF0123456789", "a1b2", "a1" * 65, "worlds/" + FIRST])
def test_a_key_that_is_not_lower_case_hex_is_refused(s3_bucket, s3_endpoint, key):
    store = ObjectStore(s3_bucket, "", "textures", s3_endpoint)
    for call in (store.get, store.delete, store.__contains__, lambda key: store.put(key, b"x")):
        with pytest.raises(ValueError, match="must be 16 to 128 lower-case hex digits"):
            call(key)
    with pytest.raises(ValueError, match="lower-case name"):
        ObjectStore(s3_bucket, "", "Textures/../x", s3_endpoint)


def test_errors_other_than_a_missing_key_go_up(s3_bucket, s3_endpoint):
    store = ObjectStore(s3_bucket + "-never-made", "", "textures", s3_endpoint)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        store.get(FIRST)


def test_the_settings_pick_the_folder_or_the_bucket(s3_bucket, s3_endpoint, tmp_path):
    folder = content_store(StoreConfig(), tmp_path, "textures")
    assert isinstance(folder, ContentCache) and folder.root == tmp_path / "cache" / "textures"
    bucket = content_store(StoreConfig(assets_url=f"s3://{s3_bucket}/worlds/one", s3_endpoint_url=s3_endpoint),
                           tmp_path, "textures")
    assert isinstance(bucket, ObjectStore) and (bucket.bucket, bucket.prefix) == (s3_bucket, "worlds/one/textures/")
    bucket.put(FIRST, b"in the bucket")
    assert folder.get(FIRST) is None


@pytest.mark.parametrize("fault", ["no such bucket", "nothing listening"])
def test_a_bucket_that_cannot_be_used_stops_start_up_naming_the_setting(s3_bucket, s3_endpoint, tmp_path, fault):
    bucket, endpoint = ((f"{s3_bucket}-never-made", s3_endpoint) if fault == "no such bucket"
                        else (s3_bucket, f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ConfigError, match=f"store.assets_url 's3://{bucket}/worlds': cannot use the bucket at {endpoint}"):
        content_store(StoreConfig(assets_url=f"s3://{bucket}/worlds", s3_endpoint_url=endpoint), tmp_path, "textures")


@pytest.mark.parametrize("field, value", [("assets_url", "https://bucket.example/prefix"), ("assets_url", "s3://"),
                                          ("assets_url", "/mnt/assets"), ("s3_endpoint_url", "minio:9000")])
def test_a_bad_assets_setting_is_refused_naming_it(tmp_path, field, value):
    config = tmp_path / "worldsmith.toml"
    config.write_text(f'[store]\n{field} = "{value}"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert f"store.{field}" in str(error.value)


def test_the_assets_bucket_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORLDSMITH_STORE__ASSETS_URL", "s3://assets/worlds")
    monkeypatch.setenv("WORLDSMITH_STORE__S3_ENDPOINT_URL", "http://minio:9000")
    store = load_settings().store
    assert (store.assets_url, store.s3_endpoint_url) == ("s3://assets/worlds", "http://minio:9000")

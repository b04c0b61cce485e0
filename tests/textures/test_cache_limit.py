"""The texture cache's size limit: least recently used eviction, entries in use kept, metrics."""

from __future__ import annotations

import hashlib
import os
import threading

from prometheus_client import REGISTRY

from worldsmith._proto.worldsmith.v1 import common_pb2, texture_pb2
from worldsmith.textures.cache import TextureCache

from texture_helpers import folder_cache

ENTRY_BYTES = 1000


def key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def result(*names: str, size: int = ENTRY_BYTES) -> texture_pb2.TextureResult:
    """Variations whose serialised size is close to `size` bytes, with contents that tell them apart."""
    made = texture_pb2.TextureResult()
    for name in names:
        variation = made.variations.add(recipe=common_pb2.Recipe(content_hash=key(name)))
        variation.images.add(png=(name.encode() * size)[: size - 80])
    return made


def cached_names(cache: TextureCache, *names: str) -> list[str]:
    return [name for name in names if cache.store.path(key(name)).is_file()]


def files_bytes(cache: TextureCache) -> int:
    return sum(path.stat().st_size for path in cache.store.root.glob("*/*") if path.is_file())


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, {"cache": "textures", **labels}) or 0


def test_the_least_recently_used_entry_goes_first_and_a_read_counts_as_use(tmp_path):
    cache = folder_cache(tmp_path, max_bytes=3 * ENTRY_BYTES)
    for name in "abc":
        cache.put(result(name))
    assert cache.get([key("a")]) is not None  # a is now the most recently used
    cache.put(result("d"))
    assert cached_names(cache, *"abcd") == ["a", "c", "d"]
    cache.put(result("e"))
    assert cached_names(cache, *"abcde") == ["a", "d", "e"]
    assert cache.get([key("b")]) is None


def test_the_files_stay_under_the_limit(tmp_path):
    cache = folder_cache(tmp_path, max_bytes=10 * ENTRY_BYTES)
    for index in range(40):
        cache.put(result(f"texture-{index}", f"other-{index}"))
        assert cache.bytes_held <= cache.max_bytes
    assert cache.bytes_held == files_bytes(cache)
    held = cache.bytes_held
    cache.put(result("huge", size=20 * ENTRY_BYTES))
    assert cached_names(cache, "huge") == [] and cache.bytes_held == held


def test_a_restart_indexes_the_files_there_and_evicts_the_oldest_written(tmp_path):
    cache = folder_cache(tmp_path, max_bytes=10 * ENTRY_BYTES)
    for age, name in enumerate("abcd"):
        cache.put(result(name))
        os.utime(cache.store.path(key(name)), (1000 + age, 1000 + age))
    smaller = folder_cache(tmp_path, max_bytes=2 * ENTRY_BYTES)
    assert cached_names(smaller, *"abcd") == ["c", "d"]
    assert smaller.bytes_held == files_bytes(smaller)


def test_an_entry_being_read_is_not_evicted_under_its_reader(tmp_path):
    cache = folder_cache(tmp_path, max_bytes=2 * ENTRY_BYTES)
    cache.put(result("a", "b"))
    read = cache.store.get

    def read_while_another_request_writes(content_hash):
        data = read(content_hash)
        if content_hash == key("a"):
            cache.put(result("c"))  # over the limit while a is being read: b goes, a stays
        return data

    cache.store.get = read_while_another_request_writes
    assert cache.get([key("a")]) == texture_pb2.TextureResult(cached=True, variations=result("a").variations)
    assert cached_names(cache, *"abc") == ["a", "c"]


def test_concurrent_reads_and_writes_see_whole_entries_or_misses(tmp_path):
    cache = folder_cache(tmp_path, max_bytes=8 * ENTRY_BYTES)
    names = [f"t{index}" for index in range(24)]
    damaged: list[str] = []

    def writer(offset: int) -> None:
        for round_ in range(6):
            for name in names[offset::3]:
                cache.put(result(name))

    def reader() -> None:
        for round_ in range(6):
            for name in names:
                found = cache.get([key(name)])
                if found is not None and found.variations[0] != result(name).variations[0]:
                    damaged.append(name)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert damaged == []
    assert cache.bytes_held == files_bytes(cache) <= cache.max_bytes


def test_metrics_report_bytes_entries_evictions_and_lookups(tmp_path):
    evictions, hits, misses = (metric("worldsmith_cache_evictions_total"), metric("worldsmith_cache_lookups_total", result="hit"),
                               metric("worldsmith_cache_lookups_total", result="miss"))
    cache = folder_cache(tmp_path, max_bytes=2 * ENTRY_BYTES)
    cache.put(result("a", "b", "c"))
    cache.get([key("c")])
    cache.get([key("a")])
    assert metric("worldsmith_cache_bytes") == cache.bytes_held == files_bytes(cache)
    assert metric("worldsmith_cache_entries") == 2
    assert metric("worldsmith_cache_evictions_total") == evictions + 1
    assert metric("worldsmith_cache_lookups_total", result="hit") == hits + 1
    assert metric("worldsmith_cache_lookups_total", result="miss") == misses + 1

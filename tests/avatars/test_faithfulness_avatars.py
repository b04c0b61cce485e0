"""Avatars match their prompts: every requirement of every case in bench/_faithfulness_avatars.py holds."""

from __future__ import annotations

import sys

import pytest

from harness import REPO

sys.path.insert(0, str(REPO / "bench"))

import _faithfulness_avatars as faithfulness  # noqa: E402

VALIDATED = 4  # the Khronos validator on the first cases only, to keep the test short


@pytest.mark.parametrize("index", range(len(faithfulness.CASES)), ids=[prompt for prompt, _ in faithfulness.CASES])
def test_avatar_matches_its_prompt(index):
    prompt, words = faithfulness.CASES[index]
    result = faithfulness.run_case(prompt, words, validate=index < VALIDATED)
    missed = [f"{r['name']}: {r['value']} (want {r['want']})" for r in result["requirements"] if not r["met"]]
    assert not missed, f"{prompt!r} misses " + "; ".join(missed)


def test_the_checks_fail_an_avatar_that_ignores_its_prompt():
    """A plain person measured against the dwarf's and the mage's words misses them."""
    plain = faithfulness.measure(faithfulness.create(faithfulness.avatar_pb2.CreateAvatarRequest(description="man", seed=1)))
    for word in ("dwarf", "beard", "robe", "female", "apron", "armour", "stocky", "muscular", "fat", "old", "short", "tall"):
        assert not all(r["met"] for r in faithfulness.check(word, plain)), word

"""Scenes match their prompts: every requirement of every case in bench/_faithfulness_scenes.py holds, with the
keyword planner and with the LLM planner's path (the tiny model under the plan grammar, through SceneService)."""

from __future__ import annotations

import sys

import pytest

from harness import REPO
from worldsmith.runtime.text_generator import load
from worldsmith.runtime.tiny import text as tiny_text
from worldsmith.scenes import generate

sys.path.insert(0, str(REPO / "bench"))

import _faithfulness_scenes as faithfulness  # noqa: E402


def missed(outcomes: list[dict]) -> list[str]:
    return [f"{o['prompt']}: {r['name']} = {r['value']} (want {r['want']})"
            for o in outcomes for r in o["requirements"] if not r["met"]]


def test_every_scene_case_meets_its_prompt_with_the_keyword_planner():
    outcomes = faithfulness.cases()
    assert len(outcomes) >= 20
    assert {o["prompt"].split(":")[0] for o in outcomes} == {"interior", "dungeon", "terrain"}
    assert not missed(outcomes), "\n".join(missed(outcomes))


async def test_every_scene_case_meets_its_prompt_through_the_llm_planner(tmp_path):
    engine = load(str(tiny_text.make(tmp_path / "tiny-planner")), max_batch_size=4)
    await engine.start()
    try:
        outcomes, planners = await faithfulness.cases_through_planner(engine)
    finally:
        await engine.stop()
    assert any(p == "llm" for p in planners), planners  # the model's own plans, not only the fallback
    assert not missed(outcomes), "\n".join(missed(outcomes))


@pytest.mark.parametrize("prompt,wrong", [("a bedroom", "tavern"), ("a cosy tavern with a bar and tables", "dungeon")])
def test_the_checks_fail_a_scene_that_ignores_its_prompt(prompt, wrong):
    """A bedroom measured as a tavern has no bar and no seated tables; a tavern measured as a dungeon has
    tavern furniture and no torches."""
    result = generate(faithfulness.interior(prompt, (10, 3, 8), seed=3))
    if wrong == "tavern":
        checks = faithfulness.bar_against_wall(result) + faithfulness.seated_tables(result, 2)
    else:
        checks = faithfulness.dungeon_props(result)
    assert not all(check["met"] for check in checks), checks

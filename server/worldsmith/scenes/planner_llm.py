"""The LLM planner: a text generator writes the plan as JSON, decoded under the plan schema's grammar."""

from __future__ import annotations

import json

from worldsmith.runtime.context import CallContext
from worldsmith.runtime.text_generator import GenerationRequest
from worldsmith.scenes.catalog import ON_TOP_OF
from worldsmith.scenes.plan import Plan, plan_schema, plannable_assets
from worldsmith.scenes.planner_keywords import KeywordPlanner
from worldsmith.scenes.spec import SceneSpec

PLACEMENT_WORDS = {0: "anywhere on the floor", 1: "against a wall", 2: "in the middle", 3: "on top of"}

INSTRUCTIONS = """You plan what goes into a game scene. You choose assets from the catalog, how many of each, \
and how they relate (near or facing another asset). A solver places them; never write coordinates.
Reply with JSON only, in this shape: {"items": [{"tag": "<catalog tag>", "count": <n>, \
"relations": [{"kind": "near" | "facing", "target": "<catalog tag>"}]}]}.
Use only the catalog's tags, stay within each asset's maximum, and keep the floor walkable: objects \
should cover well under half of it."""


class LlmPlanner:
    """Plans with a TextGenerator (runtime/text_generator.py), the dialogue-class model.

    The JSON Schema is built from the request's catalog, so the grammar only lets the model write
    known tags and bounded counts: every finished answer is a plan. An answer cut short by the token
    budget falls back to the keyword planner, and the plan says so."""

    name = "llm"

    def __init__(self, generator, max_new_tokens: int = 384, temperature: float = 0.7):
        self.generator = generator
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature

    @property
    def model(self) -> tuple[str, str]:
        """The model's id and revision, for the recipe."""
        return self.generator.model_id, self.generator.revision

    async def plan(self, spec: SceneSpec, ctx: CallContext) -> Plan:
        request = GenerationRequest(messages=messages_for(spec), json_schema=plan_schema(spec), seed=spec.seed,
                                    temperature=self.temperature, max_new_tokens=self.max_new_tokens)
        result = await self.generator.generate(request, ctx)
        ctx.check()
        if result.finish_reason != "stop":
            fallback = KeywordPlanner().plan(spec)
            return Plan(fallback.items, f"keywords (the model's plan ran past {self.max_new_tokens} tokens)")
        return Plan.from_dict(json.loads(result.text), self.name)


def messages_for(spec: SceneSpec) -> list[dict]:
    lines = []
    for asset in plannable_assets(spec):
        size = asset.size
        where = PLACEMENT_WORDS.get(asset.placement, "anywhere")
        if asset.placement == ON_TOP_OF:
            where += f" a {asset.on_top_of}"
        limit = f", at most {asset.max_count}" if asset.max_count else ""
        lines.append(f"- {asset.tag}: {size.x:g} x {size.z:g} m, {size.y:g} m tall, {where}{limit}")
    request = [f"Scene: {spec.kind}, {spec.width:g} m wide, {spec.depth:g} m deep, {spec.height:g} m high."]
    if spec.kind == "interior" and spec.interior.object_count:
        request.append(f"Place {spec.interior.object_count} objects in all.")
    request.append(f"Request: {spec.prompt or '(none: a typical ' + spec.kind + ')'}")
    return [
        {"role": "system", "content": INSTRUCTIONS + "\n\nCatalog:\n" + "\n".join(lines)},
        {"role": "user", "content": "\n".join(request)},
    ]

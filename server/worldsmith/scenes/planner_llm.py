"""The LLM planner: a text generator writes the plan as JSON, decoded under the plan schema's grammar."""

from __future__ import annotations

from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.structured import StructuredModel
from worldsmith.scenes import programmes
from worldsmith.scenes.catalog import ON_TOP_OF
from worldsmith.scenes.plan import RELATION_NAMES, Plan, plan_schema, plannable_assets
from worldsmith.scenes.planner_keywords import KeywordPlanner
from worldsmith.scenes.spec import SceneSpec

PLACEMENT_WORDS = {0: "anywhere on the floor", 1: "against a wall", 2: "in the middle", 3: "on top of",
                   4: "on a wall", 5: "hanging from the ceiling"}

INSTRUCTIONS = """You plan what goes into a game scene. You choose the room type, assets from the catalog, how \
many of each, and how they relate (near, facing, or seated_at another asset). A solver places them; never \
write coordinates.
Reply with JSON only, in this shape: {"room": "<room type>", "items": [{"tag": "<catalog tag>", "count": <n>, \
"relations": [{"kind": "near" | "facing" | "seated_at", "target": "<catalog tag>"}]}], \
"named": [{"word": "<a word of the request>", "tag": "<catalog tag>", "count": <n>}]}.
"named" lists every thing the request names, with the number it asks for ("three tables": 3).
Use only the catalog's tags, stay within each asset's maximum, and keep the floor walkable: objects \
should cover well under half of it. Lights hang on walls or from the ceiling unless the request puts them on tables."""


class LlmPlanner(StructuredModel):
    """Plans with a text engine, the dialogue-class model.

    The JSON Schema is built from the request's catalog, so the grammar only lets the model write
    known tags and bounded counts: every finished answer is a plan. An answer cut short by the token
    budget (runtime/structured.py) falls back to the keyword planner, and the plan says why."""

    answer_name = "plan"

    def __init__(self, generator: TextEngine, max_new_tokens: int = 384, temperature: float = 0.7):
        super().__init__(generator, max_new_tokens, temperature)

    async def plan(self, spec: SceneSpec, ctx: CallContext) -> Plan:
        return await self.answer(
            messages_for(spec), plan_schema(spec), spec.seed, ctx,
            read=lambda value: Plan.from_dict(value, self.name),
            fall_back=lambda reason: Plan(KeywordPlanner().plan(spec).items, f"keywords ({reason})"),
        )


def messages_for(spec: SceneSpec) -> list[dict]:
    lines = []
    for asset in plannable_assets(spec):
        seated = [r.target_tag for r in asset.relations if RELATION_NAMES.get(r.kind) == "seated_at"]
        size = asset.size
        where = PLACEMENT_WORDS.get(asset.placement, "anywhere")
        if asset.placement == ON_TOP_OF:
            where += f" a {asset.on_top_of}"
        limit = f", at most {asset.max_count}" if asset.max_count else ""
        seat = f", seated at a {seated[0]}" if seated else ""
        lines.append(f"- {asset.tag}: {size.x:g} x {size.z:g} m, {where}{seat}{limit}")
    request = [f"Scene: {spec.kind}, {spec.width:g} m wide, {spec.depth:g} m deep, {spec.height:g} m high."]
    if spec.kind == "interior" and spec.interior.object_count:
        request.append(f"Place {spec.interior.object_count} objects in all.")
    request.append(f"Request: {spec.prompt or '(none: a typical ' + spec.kind + ')'}")
    if spec.kind == "interior":
        request.insert(1, f"Room types: {', '.join(programmes.ROOM_TYPES)}.")
    return [
        {"role": "system", "content": INSTRUCTIONS + "\n\nCatalog:\n" + "\n".join(lines)},
        {"role": "user", "content": "\n".join(request)},
    ]

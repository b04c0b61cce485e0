"""The deterministic keyword planner: prompt words and numbers to a plan, no model needed."""

from __future__ import annotations

import re

import numpy as np

from worldsmith.errors import InvalidArgument
from worldsmith.scenes import programmes
from worldsmith.scenes.catalog import ON_TOP_OF
from worldsmith.scenes.plan import (MAX_FLOOR_COVER, Plan, PlanItem, PlannedRelation, allowed_tags, floor_area,
                                    plannable_assets, read_prompt, usable_floor)
from worldsmith.scenes.prompt_words import vocabulary
from worldsmith.scenes.spec import SceneSpec

# Landscape words: which scatter assets they bring, with relative weights.
THEMES = {
    "forest": {"tree": 8, "bush": 3, "rock": 1},
    "woods": {"tree": 8, "bush": 3, "rock": 1},
    "woodland": {"tree": 6, "bush": 4, "rock": 1},
    "grove": {"tree": 6, "bush": 2},
    "rocky": {"rock": 6, "bush": 1, "tree": 1},
    "meadow": {"bush": 3, "tree": 1, "rock": 1},
    "grassland": {"bush": 3, "tree": 1, "rock": 1},
    "mountain": {"rock": 6, "tree": 2, "bush": 1},
    "mountains": {"rock": 6, "tree": 2, "bush": 1},
    "mountainous": {"rock": 6, "tree": 2, "bush": 1},
    "hills": {"tree": 3, "bush": 3, "rock": 2},
    "desert": {"rock": 5, "bush": 1},
}

# Extras a room gets at most one of unless the prompt asks for more.
ONE_PER_ROOM = {"rug": 1, "fireplace": 1, "stove": 1, "altar": 1}

RELATION_WORDS = {"near": "near", "beside": "near", "by": "near", "next": "near", "around": "near", "close": "near",
                  "facing": "facing", "faces": "facing", "toward": "facing", "towards": "facing"}

# Share of the floor the planner fills on its own, when the caller gave no numbers.
FILL_SHARE = {"interior": 0.35, "dungeon": 0.1}
# Without numbers: one object per this many square metres of floor.
AREA_PER_OBJECT = {"interior": 4.0, "dungeon": 25.0}


class KeywordPlanner:
    """Reads the room type, asset names (and their synonyms), numbers and landscape words from the prompt.

    A room type brings its furnishing programme (programmes.py), sized to the room, and its extras
    by weight; named elements keep the prompt's numbers. The same prompt, catalog and seed always
    give the same plan."""

    name = "keywords"

    def plan(self, spec: SceneSpec) -> Plan:
        reading = read_prompt(spec)
        room = programmes.room_for(spec.kind, reading.room, "")
        allowed = allowed_tags(spec, room, reading.named)
        assets = [a for a in plannable_assets(spec) if a.tag in allowed]
        by_tag = {a.tag: a for a in assets}
        words = re.findall(r"[a-z0-9]+", spec.prompt.lower())
        named = {n.tag: n.count for n in reading.named if n.tag in by_tag}
        fixed = {**programmes.core_counts(room, spec.width, spec.depth, spec.height, by_tag), **named}
        if room in programmes.PROGRAMMES:
            weights = {t: w for t, w in programmes.PROGRAMMES[room].extras.items() if t in by_tag}
        else:
            weights = _theme_weights(words, set(by_tag))
        target = self._target_total(spec, fixed, themed=bool(weights) or bool(room))
        for tag in fixed:
            weights.setdefault(tag, 1)
        asked = spec.interior.object_count if spec.kind == "interior" else 0
        budget = MAX_FLOOR_COVER * usable_floor(spec) if asked else _floor_budget(spec)
        counts = _fill(fixed, weights, assets, target, budget, np.random.default_rng([spec.seed, 0x91A7]), exact=bool(asked))
        if asked and sum(counts.values()) < asked:
            raise InvalidArgument("interior.object_count", f"only {sum(counts.values())} of {asked} objects fit: a "
                                  f"{spec.width:g} x {spec.depth:g} m room takes about {budget:.0f} m2 of objects and the "
                                  f"catalog's max_count limits the rest; enlarge bounds or ask for fewer")
        relations = _prompt_relations(words, vocabulary(assets))
        items = tuple(PlanItem(tag, counts[tag], tuple(relations.get(tag, ())))
                      for tag in (a.tag for a in assets) if counts.get(tag))
        return Plan(items, self.name, room, reading.named)

    def _target_total(self, spec: SceneSpec, fixed: dict[str, int], themed: bool) -> int:
        """How many objects in all: the request's object_count; else, for terrain, the object budget
        (the scatter's spacing thins it); else what the programme and the prompt ask for, or a room's
        worth by floor area when the prompt names a room, a theme or nothing at all."""
        if spec.kind == "interior" and spec.interior.object_count:
            return spec.interior.object_count
        if spec.kind == "terrain":
            return spec.max_objects
        by_area = min(max(1, int(spec.width * spec.depth / AREA_PER_OBJECT[spec.kind])), spec.max_objects)
        if spec.kind == "interior" and fixed and themed:  # the programme, and a few extras where the floor allows
            return min(spec.max_objects, max(by_area, sum(fixed.values()) + by_area // 4))
        if themed or not fixed:
            return max(by_area, sum(fixed.values()))
        return sum(fixed.values())


def _floor_budget(spec: SceneSpec) -> float:
    """Floor the planner may fill on its own: about a third of a room's floor (the solver needs room
    to move and the rest stays walkable), a tenth of a dungeon's extent (most of it is rock)."""
    if spec.kind == "interior":
        return FILL_SHARE["interior"] * usable_floor(spec)
    if spec.kind == "dungeon":
        return FILL_SHARE["dungeon"] * spec.width * spec.depth
    return float("inf")


def _theme_weights(words: list[str], tags: set[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for word in words:
        for tag, weight in THEMES.get(word, {}).items():
            if tag in tags:
                weights[tag] = weights.get(tag, 0) + weight
    return weights


def _prompt_relations(words: list[str], vocabulary: dict[str, tuple[str, bool]]) -> dict[str, list[PlannedRelation]]:
    """"chairs around the table", "a bed facing the window": an asset, a relation word, another asset."""
    relations: dict[str, list[PlannedRelation]] = {}
    for i, word in enumerate(words):
        kind = RELATION_WORDS.get(word)
        if kind is None:
            continue
        subject = next((vocabulary[w][0] for w in reversed(words[max(0, i - 3):i]) if w in vocabulary), None)
        target = next((vocabulary[w][0] for w in words[i + 1:i + 4] if w in vocabulary), None)
        if subject and target and subject != target:
            relations.setdefault(subject, []).append(PlannedRelation(kind, target))
    return relations


def _fill(named: dict[str, int], weights: dict[str, float], assets, target: int, floor_budget: float,
          rng: np.random.Generator, exact: bool = False) -> dict[str, int]:
    """Top the named counts up to `target` objects with tags drawn by weight.

    Named tags keep the number the prompt gave. Each extra of a tag makes the next one less likely,
    so rooms get variety; a tag stops at its max_count, floor assets stop when they would take more
    than `floor_budget` square metres, and assets that stand on others need those drawn first.
    With no theme and nothing named, every floor asset is equally likely. When `exact` (the caller
    asked for a number) and the theme runs out, the rest of the catalog makes up the number."""
    counts = dict(named)
    by_tag = {a.tag: a for a in assets}
    everything = {a.tag: 1.0 for a in assets}
    passes = [weights or {t: w for t, w in everything.items() if by_tag[t].placement != ON_TOP_OF}]
    if exact:
        passes.append(everything)
    used = sum(floor_area(by_tag[t]) * n for t, n in counts.items())
    for weighting in passes:
        open_tags = sorted(t for t in weighting if t not in named)
        while sum(counts.values()) < target and open_tags:
            p = np.array([weighting[t] / (1 + counts.get(t, 0)) for t in open_tags])
            tag = open_tags[int(rng.choice(len(open_tags), p=p / p.sum()))]
            area = floor_area(by_tag[tag])
            unsupported = by_tag[tag].placement == ON_TOP_OF and not counts.get(by_tag[tag].on_top_of)
            limit = min(by_tag[tag].max_count or target, ONE_PER_ROOM.get(tag, target))
            if unsupported or counts.get(tag, 0) >= limit or used + area > floor_budget:
                open_tags.remove(tag)
                continue
            counts[tag] = counts.get(tag, 0) + 1
            used += area
    return counts

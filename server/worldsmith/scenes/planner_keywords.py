"""The deterministic keyword planner: prompt words and numbers to a plan, no model needed."""

from __future__ import annotations

import re

import numpy as np

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes.catalog import ON_TOP_OF
from worldsmith.errors import InvalidArgument
from worldsmith.scenes.plan import MAX_FLOOR_COVER, Plan, PlanItem, PlannedRelation, floor_area, plannable_assets, usable_floor
from worldsmith.scenes.spec import SceneSpec

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "pair": 2, "couple": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "few": 2, "some": 3, "several": 3, "many": 6, "lots": 6, "plenty": 6,
}

# Other words players use for the default catalog's tags.
SYNONYMS = {
    "table": ["desk", "counter", "workbench"],
    "chair": ["seat", "stool", "bench"],
    "bed": ["cot", "bunk"],
    "wardrobe": ["closet", "cupboard", "armoire"],
    "shelf": ["shelves", "bookshelf", "bookcase", "rack"],
    "chest": ["trunk", "coffer", "treasure"],
    "lamp": ["light", "lantern", "candle"],
    "rug": ["carpet", "mat"],
    "crate": ["box", "boxes", "supplies"],
    "barrel": ["keg", "cask"],
    "tree": ["pine", "pines", "oak", "oaks", "birch", "birches"],
    "bush": ["shrub", "shrubs", "hedge", "hedges"],
    "rock": ["stone", "stones", "boulder", "boulders", "crag", "crags"],
}

# Room and landscape words: which assets they bring, with relative weights.
THEMES = {
    "bedroom": {"bed": 3, "wardrobe": 2, "lamp": 1, "rug": 1, "chest": 1, "table": 1},
    "bedchamber": {"bed": 3, "wardrobe": 2, "lamp": 1, "rug": 1, "chest": 1},
    "tavern": {"table": 3, "chair": 8, "barrel": 3, "lamp": 2, "shelf": 1},
    "inn": {"table": 3, "chair": 8, "barrel": 2, "bed": 2, "lamp": 2},
    "kitchen": {"table": 2, "chair": 3, "shelf": 2, "barrel": 2, "crate": 2},
    "dining": {"table": 2, "chair": 8, "lamp": 2, "rug": 1},
    "library": {"shelf": 6, "table": 2, "chair": 4, "lamp": 2, "rug": 1},
    "study": {"shelf": 3, "table": 1, "chair": 1, "lamp": 1, "rug": 1},
    "office": {"table": 2, "chair": 3, "shelf": 2, "lamp": 1},
    "storage": {"crate": 6, "barrel": 4, "shelf": 2},
    "storeroom": {"crate": 6, "barrel": 4, "shelf": 2},
    "warehouse": {"crate": 8, "barrel": 5, "shelf": 3},
    "cellar": {"barrel": 6, "crate": 4, "shelf": 1},
    "armory": {"shelf": 4, "chest": 3, "crate": 2, "table": 1},
    "treasury": {"chest": 5, "crate": 2, "barrel": 1},
    "barracks": {"bed": 4, "chest": 4, "table": 1, "chair": 2},
    "dungeon": {"crate": 3, "barrel": 3, "chest": 1, "table": 1, "chair": 2},
    "forest": {"tree": 8, "bush": 3, "rock": 1},
    "woods": {"tree": 8, "bush": 3, "rock": 1},
    "woodland": {"tree": 6, "bush": 4, "rock": 1},
    "grove": {"tree": 6, "bush": 2},
    "rocky": {"rock": 6, "bush": 1, "tree": 1},
    "meadow": {"bush": 3, "tree": 1, "rock": 1},
    "grassland": {"bush": 3, "tree": 1, "rock": 1},
    "mountain": {"rock": 6, "tree": 2, "bush": 1},
    "mountains": {"rock": 6, "tree": 2, "bush": 1},
    "hills": {"tree": 3, "bush": 3, "rock": 2},
    "desert": {"rock": 5, "bush": 1},
}

RELATION_WORDS = {"near": "near", "beside": "near", "by": "near", "next": "near", "around": "near", "close": "near",
                  "facing": "facing", "faces": "facing", "toward": "facing", "towards": "facing"}

# Share of the floor the planner fills on its own, when the caller gave no numbers.
FILL_SHARE = {"interior": 0.35, "dungeon": 0.1}
# Without numbers: one object per this many square metres of floor.
AREA_PER_OBJECT = {"interior": 4.0, "dungeon": 12.0}


class KeywordPlanner:
    """Reads asset names (and their synonyms), numbers and room or landscape words from the prompt.

    The same prompt, catalog and seed always give the same plan."""

    name = "keywords"

    def plan(self, spec: SceneSpec) -> Plan:
        assets = plannable_assets(spec)
        words = re.findall(r"[a-z0-9]+", spec.prompt.lower())
        vocabulary = _vocabulary(assets)
        named = _counted_mentions(words, vocabulary, spec.max_objects)
        weights = _theme_weights(words, {a.tag for a in assets})
        target = self._target_total(spec, named, themed=bool(weights))
        for tag in named:
            weights.setdefault(tag, 1)
        asked = spec.interior.object_count if spec.kind == "interior" else 0
        budget = MAX_FLOOR_COVER * usable_floor(spec) if asked else _floor_budget(spec)
        counts = _fill(named, weights, assets, target, budget, np.random.default_rng([spec.seed, 0x91A7]), exact=bool(asked))
        if asked and sum(counts.values()) < asked:
            raise InvalidArgument("interior.object_count", f"only {sum(counts.values())} of {asked} objects fit: a "
                                  f"{spec.width:g} x {spec.depth:g} m room takes about {budget:.0f} m2 of objects and the "
                                  f"catalog's max_count limits the rest; enlarge bounds or ask for fewer")
        relations = _prompt_relations(words, vocabulary)
        items = tuple(PlanItem(tag, counts[tag], tuple(relations.get(tag, ())))
                      for tag in (a.tag for a in assets) if counts.get(tag))
        return Plan(items, self.name)

    def _target_total(self, spec: SceneSpec, named: dict[str, int], themed: bool) -> int:
        """How many objects in all: the request's object_count; else, for terrain, the object budget
        (the scatter's spacing thins it); else what the prompt counted, or a room's worth by floor
        area when the prompt names a theme or nothing at all."""
        if spec.kind == "interior" and spec.interior.object_count:
            return spec.interior.object_count
        if spec.kind == "terrain":
            return spec.max_objects
        by_area = min(max(1, int(spec.width * spec.depth / AREA_PER_OBJECT[spec.kind])), spec.max_objects)
        if themed or not named:
            return max(by_area, sum(named.values()))
        return sum(named.values())


def _floor_budget(spec: SceneSpec) -> float:
    """Floor the planner may fill on its own: about a third of a room's floor (the solver needs room
    to move and the rest stays walkable), a tenth of a dungeon's extent (most of it is rock)."""
    if spec.kind == "interior":
        return FILL_SHARE["interior"] * usable_floor(spec)
    if spec.kind == "dungeon":
        return FILL_SHARE["dungeon"] * spec.width * spec.depth
    return float("inf")


def _vocabulary(assets: list[scene_pb2.CatalogAsset]) -> dict[str, tuple[str, bool]]:
    """Word -> (tag, plural) for every tag, its plurals and its synonyms."""
    words: dict[str, tuple[str, bool]] = {}
    for asset in assets:
        parts = re.findall(r"[a-z0-9]+", asset.tag.lower())
        if not parts:
            continue
        base = parts[-1]  # "wooden_chair" is found as "chair"
        words.setdefault(base, (asset.tag, False))
        for plural in (base + "s", base + "es"):
            words.setdefault(plural, (asset.tag, True))
        for synonym in SYNONYMS.get(asset.tag, []):
            words.setdefault(synonym, (asset.tag, synonym.endswith("s")))
    return words


def _counted_mentions(words: list[str], vocabulary: dict[str, tuple[str, bool]], limit: int) -> dict[str, int]:
    """Tags the prompt names, with the number in front of them ("four chairs", "2 tables"); a bare
    plural means a few."""
    counts: dict[str, int] = {}
    for i, word in enumerate(words):
        if word not in vocabulary:
            continue
        tag, plural = vocabulary[word]
        number = NUMBER_WORDS["some"] if plural else 1
        for previous in reversed(words[max(0, i - 3):i]):
            if previous in vocabulary:
                break
            if previous.isdigit() or previous in NUMBER_WORDS:
                number = int(previous) if previous.isdigit() else NUMBER_WORDS[previous]
                break
        counts[tag] = max(counts.get(tag, 0), min(number, limit))
    return counts


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
            if unsupported or counts.get(tag, 0) >= (by_tag[tag].max_count or target) or used + area > floor_budget:
                open_tags.remove(tag)
                continue
            counts[tag] = counts.get(tag, 0) + 1
            used += area
    return counts

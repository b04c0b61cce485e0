"""Reading a scene prompt's words: the room type it names and the elements it asks for, with their numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from worldsmith._proto.worldsmith.v1 import scene_pb2

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "pair": 2, "couple": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
    "few": 2, "some": 3, "several": 3, "many": 6, "lots": 6, "plenty": 6,
}
# Numbers that say "about this many or more", not an exact count.
VAGUE_NUMBERS = frozenset({"few", "some", "several", "many", "lots", "plenty", "couple"})
# Words that end a number's reach: in "a library with shelves" the "a" counts the library.
BREAKS = frozenset({"with", "and", "or", "of", "in", "on", "at", "by", "near", "beside", "from", "to", "for", "full",
                    "around", "behind", "under", "over"})
# A bare plural ("with tables") asks for at least this many.
BARE_PLURAL = 2

# Words players use for the default catalog's tags (plurals are found on their own).
WORDS = {
    "table": ["table", "desk", "workbench"],
    "chair": ["chair", "seat"],
    "bar_counter": ["bar", "bartop"],
    "stool": ["stool", "barstool"],
    "bed": ["bed", "cot", "bunk"],
    "wardrobe": ["wardrobe", "closet", "cupboard", "armoire"],
    "shelf": ["shelf", "shelves", "bookshelf", "bookshelves", "bookcase", "rack"],
    "chest": ["chest", "trunk", "coffer", "treasure"],
    "fireplace": ["fireplace", "hearth", "fire"],
    "counter": ["counter", "worktop"],
    "stove": ["stove", "oven", "cooker"],
    "display_case": ["display", "showcase", "cabinet"],
    "altar": ["altar"],
    "pew": ["pew"],
    "rug": ["rug", "carpet", "mat"],
    "wall_lamp": ["lamp", "lights", "lantern", "sconce"],
    "chandelier": ["chandelier"],
    "table_lamp": ["candle", "tablelamp"],
    "crate": ["crate", "box", "boxes", "supplies"],
    "barrel": ["barrel", "keg", "cask"],
    "torch": ["torch", "torches"],
    "brazier": ["brazier"],
    "pillar": ["pillar", "column"],
    "bones": ["bones", "bone", "skeleton", "skull"],
    "tree": ["tree", "pine", "oak", "birch"],
    "bush": ["bush", "bushes", "shrub", "hedge"],
    "rock": ["rock", "stone", "boulder", "crag"],
}
# Phrases read as one word first: "a bar counter" is a bar, "lamps on the tables" are table lamps.
PHRASES = [
    (re.compile(r"\bbar counter(s?)\b"), "bar"),
    (re.compile(r"\b(?:table|desk) lamp(s?)\b"), "tablelamp"),
    (re.compile(r"\blamp(s?) (?:on|upon) (?:the |each |every )?(?:tables?|desks?)\b"), "tablelamp"),
    (re.compile(r"\bdining (?:table|tables)\b"), "table"),
]

ROOM_WORDS = {
    "tavern": ["tavern", "inn", "pub", "alehouse", "taproom", "saloon"],
    "bedroom": ["bedroom", "bedchamber", "chamber"],
    "library": ["library", "archive", "archives"],
    "kitchen": ["kitchen", "galley", "bakery"],
    "shop": ["shop", "store", "boutique", "merchant", "emporium"],
    "chapel": ["chapel", "church", "shrine", "temple"],
    "dining": ["dining", "banquet", "feast", "mess"],
    "study": ["study", "office"],
    "storeroom": ["storeroom", "storage", "cellar", "warehouse", "pantry"],
    "armory": ["armory", "armoury"],
    "treasury": ["treasury", "vault", "hoard"],
    "barracks": ["barracks", "dormitory", "dorm"],
    "dungeon": ["dungeon", "crypt", "prison", "catacomb", "catacombs", "tomb", "jail", "oubliette"],
}
ROOM_OF_WORD = {word: room for room, words in ROOM_WORDS.items() for word in words}


@dataclass(frozen=True)
class Named:
    """An element the prompt names: its word, the tag it stands for, how many, and whether the number is exact
    ("three tables") or a floor ("tables", "some barrels")."""

    word: str
    tag: str
    count: int
    exact: bool


@dataclass(frozen=True)
class Reading:
    room: str                   # a key of ROOM_WORDS, or ""
    named: tuple[Named, ...]    # in the prompt's order, one per tag


def words_of(prompt: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", prompt.lower())


def vocabulary(assets: list[scene_pb2.CatalogAsset]) -> dict[str, tuple[str, bool]]:
    """Word -> (tag, plural) for every asset: the default catalog's words for its tags, else the tag's
    own last word ("wooden_chair" is found as "chair"), each with its plurals."""
    words: dict[str, tuple[str, bool]] = {}
    for derived in (False, True):
        for asset in assets:
            if derived:
                parts = re.findall(r"[a-z0-9]+", asset.tag.lower())
                bases = parts[-1:] if parts else []
            else:
                bases = WORDS.get(asset.tag, [])
            for base in bases:
                words.setdefault(base, (asset.tag, base.endswith("s") and not base.endswith("ss")))
                for plural in (base + "s", base + "es", base[:-1] + "ves" if base.endswith("f") else ""):
                    if plural:
                        words.setdefault(plural, (asset.tag, True))
    return words


def room_of(words: list[str]) -> str:
    """The first room word in the prompt, as a room type."""
    return next((ROOM_OF_WORD[w] for w in words if w in ROOM_OF_WORD), "")


def read(prompt: str, assets: list[scene_pb2.CatalogAsset], limit: int,
         others: list[scene_pb2.CatalogAsset] = (), understood: frozenset[str] = frozenset()) -> Reading:
    """The room type and the named elements, with the number in front of each ("four chairs", "2 tables",
    "a bar"); a bare plural asks for at least a couple. Elements are counted once per tag, at the largest.
    Words for `assets` (the request's catalog) come first; `others` (the default catalog's assets the
    request's lacks) name what is then reported as not placed, as do the nouns of a "with" list that name
    no asset at all (tag ""). `understood` are words other readers take (a river, rolling hills)."""
    text = " ".join(words_of(prompt))
    for pattern, word in PHRASES:
        text = pattern.sub(lambda match: word + match.group(1), text)
    words = text.split()
    vocab = vocabulary(assets)
    for word, meaning in vocabulary(list(others)).items():
        vocab.setdefault(word, meaning)
    found: dict[str, Named] = {}
    for i, word in enumerate(words):
        if word not in vocab:
            continue
        tag, plural = vocab[word]
        count, exact = (BARE_PLURAL, False) if plural else (1, False)
        for previous in reversed(words[max(0, i - 3):i]):
            if previous in vocab or previous in BREAKS or previous in ROOM_OF_WORD:
                break
            if previous.isdigit() or previous in NUMBER_WORDS:
                count = int(previous) if previous.isdigit() else NUMBER_WORDS[previous]
                exact = previous not in VAGUE_NUMBERS
                break
        count = min(count, limit)
        if tag not in found or count > found[tag].count:
            found[tag] = Named(word.replace("tablelamp", "table lamp"), tag, count, exact)
    unknown = [Named(noun, "", 1, False) for noun in listed_nouns(prompt)
               if noun not in vocab and noun not in understood and noun not in ROOM_OF_WORD]
    return Reading(room_of(words), (*found.values(), *unknown))


def listed_nouns(prompt: str) -> list[str]:
    """The last word of each item of the prompt's "with ..." and "full of ..." lists, where English puts the noun:
    "a throne room with a gilded throne, banners and two braziers" -> throne, banners, braziers."""
    tokens = re.findall(r"[a-z0-9]+|[,;.]", prompt.lower())
    nouns: list[str] = []
    item: list[str] = []
    listing = False
    for i, token in enumerate([*tokens, "."]):
        starts = token == "with" or (token == "of" and i > 0 and tokens[i - 1] == "full")
        ends_item = token in {",", ";", ".", "and", "or"} or token in BREAKS or starts
        if ends_item:
            if listing and item and not item[-1].isdigit() and item[-1] not in NUMBER_WORDS and len(item[-1]) > 2:
                nouns.append(item[-1])
            item = []
            if starts:
                listing = True
            elif token not in {",", "and", "or"}:
                listing = False  # "in the corner", "near the door": the list is over
        elif listing and token not in {"the", "some"}:
            item.append(token)
    return nouns

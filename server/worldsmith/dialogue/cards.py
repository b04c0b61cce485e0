"""Validation of character cards and lore entries; every error names the field it is about."""

from __future__ import annotations

import json
import re
import unicodedata

import jsonschema
import xgrammar

from worldsmith._proto.worldsmith.v1 import dialogue_pb2, speech_pb2
from worldsmith.dialogue import schema_limits
from worldsmith.errors import InvalidArgument
from worldsmith.runtime.speech import MAX_SPEED, MIN_SPEED

# \A and \Z, not ^ and $: "$" also matches before a trailing newline, so "smith\n" would pass.
ID_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")
NAME_PATTERN = re.compile(r"\A[a-z][a-z0-9_\-]{0,31}\Z")          # emotions and tags
ACTION_PATTERN = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
LANGUAGE_PATTERN = re.compile(r"\A[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
# Control (Cc), format (Cf: bidi overrides, BOMs, zero-width), line and paragraph separators and
# unassigned or private code points have no place in a name; they hide or reorder what it shows.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
JOINERS = frozenset({"\u200c", "\u200d"})   # zero-width (non-)joiners: Persian and Indic names need them

MAX_SHORT_TEXT = 200      # name, role, speaking style, one trait or goal
MAX_LONG_TEXT = 8000      # backstory, lore text
MAX_LIST = 64             # traits, goals, example lines, emotions, actions, tags
NO_ARGUMENTS_SCHEMA = '{"type": "object", "properties": {}, "additionalProperties": false}'

RATINGS = dialogue_pb2.ContentRating
VISIBILITY = dialogue_pb2.LoreVisibility


def _check_id(field: str, value: str, what: str, problems: list[tuple[str, str]]) -> None:
    if not value:
        problems.append((field, f"is empty; give the {what} a stable id such as \"blacksmith\""))
    elif not ID_PATTERN.match(value):
        problems.append((field, f"{value!r} is not a valid id: 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"))


def check_visible(field: str, value: str, problems: list[tuple[str, str]]) -> None:
    hidden = next((char for char in value if unicodedata.category(char) in HIDDEN_CATEGORIES and char not in JOINERS), None)
    if hidden is not None:
        problems.append((field, f"contains the invisible or control character U+{ord(hidden):04X}; use visible characters and spaces only"))


def _check_text(field: str, value: str, limit: int, problems: list[tuple[str, str]]) -> None:
    if len(value) > limit:
        problems.append((field, f"is {len(value)} characters; at most {limit}"))


def _check_count(field: str, values, problems: list[tuple[str, str]]) -> bool:
    """False (and a problem) when a list is longer than MAX_LIST, so its items are not looked at."""
    if len(values) > MAX_LIST:
        problems.append((field, f"has {len(values)} items; at most {MAX_LIST}"))
        return False
    return True


def _check_names(field: str, values, what: str, problems: list[tuple[str, str]]) -> None:
    if not _check_count(field, values, problems):
        return
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if not NAME_PATTERN.match(value):
            problems.append((f"{field}[{i}]", f"{value!r} is not a valid {what}: lowercase letters, digits, '_' or '-', at most 32, e.g. \"happy\""))
        elif value in seen:
            problems.append((f"{field}[{i}]", f"duplicate of {field}[{seen[value]}] ({value!r})"))
        else:
            seen[value] = i


def action_schema(action: dialogue_pb2.ActionSpec) -> dict:
    """The arguments schema of an action as a dict (an empty string means no arguments)."""
    return json.loads(action.arguments_schema_json or NO_ARGUMENTS_SCHEMA)


def _check_action_schema(field: str, text: str, problems: list[tuple[str, str]]) -> None:
    try:
        schema_limits.check_text(text)
        schema = json.loads(text or NO_ARGUMENTS_SCHEMA)
    except schema_limits.UnsafeSchema as error:
        problems.append((field, str(error)))
        return
    except json.JSONDecodeError as error:
        problems.append((field, f"is not JSON ({error.msg} at line {error.lineno} column {error.colno})"))
        return
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problems.append((field, 'must be an object schema, e.g. {"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}'))
        return
    try:
        schema_limits.check_schema(schema)
    except schema_limits.UnsafeSchema as error:
        problems.append((field, str(error)))
        return
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append((field, f"is not a valid JSON Schema at {where}: {error.message}"))
        return
    try:
        # The same conversion the constrained decoder makes; a schema it cannot enforce is refused now,
        # not at the first turn.
        xgrammar.Grammar.from_json_schema(json.dumps(schema))
    except Exception as error:  # xgrammar raises RuntimeError with the converter's message
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        problems.append((field, f"cannot be enforced by constrained decoding: {message}"))


def _check_actions(field: str, actions, problems: list[tuple[str, str]]) -> None:
    seen: dict[str, int] = {}
    for i, action in enumerate(actions):
        where = f"{field}[{i}]"
        if not ACTION_PATTERN.match(action.name):
            problems.append((f"{where}.name", f"{action.name!r} is not a valid action name: letters, digits and '_', e.g. \"give_item\""))
        elif action.name in seen:
            problems.append((f"{where}.name", f"duplicate of {field}[{seen[action.name]}].name ({action.name!r})"))
        else:
            seen[action.name] = i
        _check_text(f"{where}.description", action.description, MAX_SHORT_TEXT * 5, problems)
        _check_action_schema(f"{where}.arguments_schema_json", action.arguments_schema_json, problems)


def validate_character(character: dialogue_pb2.Character, field: str = "character") -> dialogue_pb2.Character:
    """Check a card and return it normalised (rating and language defaults filled in).

    Raises InvalidArgument listing every problem, each naming its field.
    """
    problems: list[tuple[str, str]] = []
    _check_id(f"{field}.id", character.id, "character", problems)
    if not character.name.strip():
        problems.append((f"{field}.name", "is empty; the character needs a name"))
    for name in ("name", "role", "speaking_style", "faction"):
        _check_text(f"{field}.{name}", getattr(character, name), MAX_SHORT_TEXT, problems)
    for name in ("name", "role", "faction"):
        check_visible(f"{field}.{name}", getattr(character, name), problems)
    _check_text(f"{field}.backstory", character.backstory, MAX_LONG_TEXT, problems)
    for name in ("personality_traits", "goals", "example_lines"):
        values = getattr(character, name)
        if not _check_count(f"{field}.{name}", values, problems):
            continue
        for i, value in enumerate(values):
            _check_text(f"{field}.{name}[{i}]", value, MAX_LONG_TEXT if name == "example_lines" else MAX_SHORT_TEXT, problems)
    _check_names(f"{field}.emotions", character.emotions, "emotion", problems)
    _check_names(f"{field}.knowledge_tags", character.knowledge_tags, "tag", problems)
    if _check_count(f"{field}.actions", character.actions, problems):
        _check_actions(f"{field}.actions", character.actions, problems)
    if character.content_rating not in RATINGS.values():
        problems.append((f"{field}.content_rating", f"unknown value {character.content_rating}; use EVERYONE, TEEN or MATURE"))
    if character.language and not LANGUAGE_PATTERN.match(character.language):
        problems.append((f"{field}.language", f"{character.language!r} is not a BCP 47 tag such as \"en\" or \"pt-BR\""))
    _check_voice(f"{field}.voice", character.voice, problems)
    if problems:
        raise InvalidArgument.many(problems)

    normalised = dialogue_pb2.Character()
    normalised.CopyFrom(character)
    if normalised.content_rating == RATINGS.CONTENT_RATING_UNSPECIFIED:
        normalised.content_rating = RATINGS.CONTENT_RATING_EVERYONE
    if not normalised.language:
        normalised.language = "en"
    return normalised


def _check_voice(field: str, voice: speech_pb2.Voice, problems: list[tuple[str, str]]) -> None:
    """A voice id shaped like an id (which voices exist is the speech engine's to say) and a speed a voice can keep."""
    if voice.id and not ID_PATTERN.match(voice.id):
        problems.append((f"{field}.id", f"{voice.id!r} is not a voice id: 1-64 letters, digits, '_', '-' or '.'"))
    if voice.speed and not MIN_SPEED <= voice.speed <= MAX_SPEED:
        problems.append((f"{field}.speed", f"is {voice.speed}; use {MIN_SPEED} to {MAX_SPEED} (1.0, or 0, is the voice's own pace)"))


def validate_lore(entry: dialogue_pb2.LoreEntry, field: str) -> dialogue_pb2.LoreEntry:
    """Check one lore entry and return it normalised (unspecified visibility becomes global)."""
    problems: list[tuple[str, str]] = []
    _check_id(f"{field}.id", entry.id, "lore entry", problems)
    if not entry.text.strip():
        problems.append((f"{field}.text", "is empty; a lore entry needs its text"))
    _check_text(f"{field}.title", entry.title, MAX_SHORT_TEXT, problems)
    check_visible(f"{field}.title", entry.title, problems)
    _check_text(f"{field}.text", entry.text, MAX_LONG_TEXT, problems)
    _check_names(f"{field}.tags", entry.tags, "tag", problems)
    if entry.visibility not in VISIBILITY.values():
        problems.append((f"{field}.visibility", f"unknown value {entry.visibility}; use GLOBAL, FACTION or QUEST_STATE"))
    if entry.visibility == VISIBILITY.LORE_VISIBILITY_FACTION and not entry.faction:
        problems.append((f"{field}.faction", "is empty; faction-gated lore names the faction that knows it"))
    if entry.visibility == VISIBILITY.LORE_VISIBILITY_QUEST_STATE and not entry.quest_flag:
        problems.append((f"{field}.quest_flag", "is empty; quest-gated lore names the world-state flag that unlocks it"))
    if problems:
        raise InvalidArgument.many(problems)
    normalised = dialogue_pb2.LoreEntry()
    normalised.CopyFrom(entry)
    if normalised.visibility == VISIBILITY.LORE_VISIBILITY_UNSPECIFIED:
        normalised.visibility = VISIBILITY.LORE_VISIBILITY_GLOBAL
    return normalised

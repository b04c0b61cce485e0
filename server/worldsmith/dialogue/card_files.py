"""Character files: cards (and lore) in JSON or TOML, read and validated into messages.

Accepted shapes:
  JSON  one card {...}, a list of cards [...], or {"characters": [...], "lore": [...]}
  TOML  [[characters]] tables and optional [[lore]] tables (or one card at the top level)
An action's arguments schema may be written inline as `arguments_schema` (a table / object)
instead of the `arguments_schema_json` string. Enum values may be short and lower case:
content_rating = "teen", visibility = "faction".
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.cards import validate_character, validate_lore
from worldsmith.errors import InvalidArgument


def _read(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidArgument(str(path), f"is not valid TOML: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgument(str(path), f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def _enum(value: object, prefix: str) -> object:
    """"teen" -> "CONTENT_RATING_TEEN"; full names and numbers pass through."""
    if isinstance(value, str) and not value.upper().startswith(prefix):
        return f"{prefix}{value.upper()}"
    return value.upper() if isinstance(value, str) else value


def _parse(raw: object, message, field: str, enum_fields: dict[str, str]):
    if not isinstance(raw, dict):
        raise InvalidArgument(field, f"must be a table / object, not {type(raw).__name__}")
    data = dict(raw)
    for name, prefix in enum_fields.items():
        if name in data:
            data[name] = _enum(data[name], prefix)
    if isinstance(data.get("actions"), list):
        data["actions"] = list(data["actions"])
    for i, action in enumerate(data["actions"] if isinstance(data.get("actions"), list) else []):
        if isinstance(action, dict) and "arguments_schema" in action:
            if "arguments_schema_json" in action:
                raise InvalidArgument(f"{field}.actions[{i}]", "set arguments_schema or arguments_schema_json, not both")
            action = dict(action)
            action["arguments_schema_json"] = json.dumps(action.pop("arguments_schema"))
            data["actions"][i] = action
    try:
        return json_format.ParseDict(data, message)
    except json_format.ParseError as error:
        raise InvalidArgument(field, str(error)) from None


def load_file(path: str | Path) -> tuple[list[dialogue_pb2.Character], list[dialogue_pb2.LoreEntry]]:
    """Read and validate every card and lore entry in the file; errors name the item and field."""
    path = Path(path)
    data = _read(path)
    if isinstance(data, list):
        raw_characters, raw_lore = data, []
    elif isinstance(data, dict) and ("characters" in data or "lore" in data):
        raw_characters, raw_lore = data.get("characters", []), data.get("lore", [])
    else:
        raw_characters, raw_lore = [data], []
    if not isinstance(raw_characters, list) or not isinstance(raw_lore, list):
        raise InvalidArgument(str(path), '"characters" and "lore" must be lists')
    characters, lore = [], []
    seen: dict[str, str] = {}
    for i, raw in enumerate(raw_characters):
        field = f"characters[{i}]"
        card = _parse(raw, dialogue_pb2.Character(), field, {"content_rating": "CONTENT_RATING_"})
        card = validate_character(card, field)
        if card.id in seen:
            raise InvalidArgument(f"{field}.id", f"duplicate of {seen[card.id]}.id ({card.id!r})")
        seen[card.id] = field
        characters.append(card)
    seen.clear()
    for i, raw in enumerate(raw_lore):
        field = f"lore[{i}]"
        entry = validate_lore(_parse(raw, dialogue_pb2.LoreEntry(), field, {"visibility": "LORE_VISIBILITY_"}), field)
        if entry.id in seen:
            raise InvalidArgument(f"{field}.id", f"duplicate of {seen[entry.id]}.id ({entry.id!r})")
        seen[entry.id] = field
        lore.append(entry)
    if not characters and not lore:
        raise InvalidArgument(str(path), "holds no characters and no lore")
    return characters, lore

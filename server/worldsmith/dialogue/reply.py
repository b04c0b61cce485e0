"""The structured reply format: its JSON Schema per character, and a parser that streams it.

A character with emotions or actions answers in segments shaped like
    {"emotion": "wary", "say": "Stay back.", "then": {"action": "draw_weapon", "arguments": {...}}}
generated under grammar-constrained decoding against `reply_schema(character)`, so the
emotion is one the card allows and the action, when there is one, validates against that
action's own schema. "then" is null when the character does nothing. The words of "say"
stream to the player as they are generated; the action is sent once the segment is complete.

The decoder generates properties in schema order, and schemas may be canonicalised with
sorted keys on their way to it, so the keys are chosen to sort in the order they must be
generated: the emotion before the words, the words before the action, the action's name
before its arguments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import jsonschema

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.cards import action_schema

NEUTRAL = "neutral"


def emotions_of(character: dialogue_pb2.Character) -> list[str]:
    return list(character.emotions) or [NEUTRAL]


def is_structured(character: dialogue_pb2.Character) -> bool:
    """Plain text streams fastest; the structured format is used only when there is something to choose."""
    return bool(character.actions) or bool(character.emotions)


# Tokens for the JSON around the words (keys, quotes, the emotion), and for an action call,
# counted at one token per character where a name is involved (the worst case).
FRAME_TOKENS = 32
ACTION_TOKENS = 160


def segment_tokens(character: dialogue_pb2.Character, words_tokens: int) -> int:
    """The token budget of one segment whose words may take `words_tokens`.

    "say" is capped at `words_tokens` characters, and no token is shorter than one character,
    so the segment always reaches its action within this budget (given bounded arguments).
    """
    if not is_structured(character):
        return words_tokens
    frame = FRAME_TOKENS + max(len(emotion) for emotion in emotions_of(character))
    action = ACTION_TOKENS + max(len(a.name) for a in character.actions) if character.actions else 0
    return words_tokens + frame + action


def reply_schema(character: dialogue_pb2.Character, max_say_chars: int) -> dict:
    properties: dict = {
        "emotion": {"enum": emotions_of(character)},
        # Bounded so the segment can close and reach its action within the token budget.
        "say": {"type": "string", "maxLength": max_say_chars},
    }
    if character.actions:
        calls = [
            {
                "type": "object",
                "properties": {"action": {"const": action.name}, "arguments": action_schema(action)},
                "required": ["action", "arguments"],
                "additionalProperties": False,
            }
            for action in character.actions
        ]
        properties["then"] = {"anyOf": [{"type": "null"}, *calls]}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


class InvalidAction(ValueError):
    """A generated action the card does not allow."""


@dataclass
class ParsedAction:
    name: str
    arguments: dict


def validate_action(character: dialogue_pb2.Character, value: object) -> ParsedAction | None:
    """The action in a finished segment, checked against the card once more before it is sent.

    Returns None for null; raises InvalidAction for anything the card does not allow.
    """
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        raise InvalidAction(f"not an action call: {value!r}")
    specs = {action.name: action for action in character.actions}
    spec = specs.get(value["action"])
    if spec is None:
        raise InvalidAction(f"{character.id!r} has no action {value['action']!r}")
    arguments = value.get("arguments", {})
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(action_schema(spec)).iter_errors(arguments))
    if error is not None:
        raise InvalidAction(f"{spec.name} arguments {arguments!r}: {error.message}")
    return ParsedAction(spec.name, arguments)


_EMOTION = re.compile(r'^\s*\{\s*"emotion"\s*:\s*"((?:[^"\\]|\\.)*)"')
_SAY_OPEN = re.compile(r'\s*,\s*"say"\s*:\s*"')


class ReplyStream:
    """Reads a structured segment as its text grows: the emotion once it is complete, then the
    decoded words of "say" as they arrive. Relies on the schema's property order."""

    def __init__(self) -> None:
        self.raw = ""
        self.emotion: str | None = None
        self.say = ""
        self.say_closed = False
        self._emotion_end = 0
        self._say_start: int | None = None

    def feed(self, piece: str) -> str:
        """Add generated text; return the newly decoded part of "say"."""
        self.raw += piece
        if self.emotion is None:
            match = _EMOTION.match(self.raw)
            if not match:
                return ""
            self.emotion = _loads_string(match.group(1))
            self._emotion_end = match.end()
        if self._say_start is None:
            match = _SAY_OPEN.match(self.raw, self._emotion_end)
            if not match:
                return ""
            self._say_start = match.end()
        if self.say_closed:
            return ""
        decoded, closed = _decode_partial_string(self.raw[self._say_start:])
        new = decoded[len(self.say):]
        self.say, self.say_closed = decoded, closed
        return new

    def finish(self) -> dict | None:
        """The whole segment as JSON, or None when it was cut short (token limit, cancel)."""
        try:
            value = json.loads(self.raw, strict=False)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None


def _decode_partial_string(body: str) -> tuple[str, bool]:
    """Decode the JSON string body that starts `body` (after its opening quote), as far as it
    can be decoded safely. Returns (text, closed)."""
    i, safe = 0, 0
    while i < len(body):
        char = body[i]
        if char == '"':
            return _loads_string(body[:i]), True
        if char == "\\":
            if i + 1 >= len(body):
                break
            if body[i + 1] == "u":
                if i + 6 > len(body):
                    break
                code = int(body[i + 2 : i + 6], 16)
                # A high surrogate needs its low half before it can be decoded.
                if 0xD800 <= code <= 0xDBFF:
                    if i + 12 > len(body):
                        break
                    i += 12
                else:
                    i += 6
            else:
                i += 2
        else:
            i += 1
        safe = i
    return _loads_string(body[:safe]), False


def _loads_string(body: str) -> str:
    try:
        return json.loads(f'"{body}"', strict=False)
    except json.JSONDecodeError:
        # Only reachable without a grammar (a malformed escape); deliver the characters as they are.
        return body

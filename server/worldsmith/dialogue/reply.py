"""A reply's second phase: after the words are spoken, the character's emotion and any action, chosen under a
grammar from the card's own choices (a two-phase tool call).

The words stream first, as plain text, so the player never waits behind a JSON wrapper. Then one short
constrained generation picks `{"emotion": ..., "then": null | {"action": ..., "arguments": {...}}}` against
`decision_schema(character)`: the emotion is one the card allows, and an action validates against that
action's own schema. Keys sort in the order they are generated (schemas may be canonicalised with sorted keys).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import jsonschema

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.cards import action_schema

NEUTRAL = "neutral"
# Tokens for the decision: its JSON frame and the emotion, plus an action call with bounded arguments.
FRAME_TOKENS = 32
ACTION_TOKENS = 160


def emotions_of(character: dialogue_pb2.Character) -> list[str]:
    return list(character.emotions) or [NEUTRAL]


def is_structured(character: dialogue_pb2.Character) -> bool:
    """Whether a turn has a second phase: only when the card has something to choose."""
    return bool(character.actions) or bool(character.emotions)


def decision_tokens(character: dialogue_pb2.Character) -> int:
    """The token budget of the decision, counted at one token per character where a name is involved."""
    frame = FRAME_TOKENS + max(len(emotion) for emotion in emotions_of(character))
    return frame + (ACTION_TOKENS + max(len(a.name) for a in character.actions) if character.actions else 0)


def decision_schema(character: dialogue_pb2.Character) -> dict:
    properties: dict = {"emotion": {"enum": emotions_of(character)}}
    calls = [
        {
            "type": "object",
            "properties": {"action": {"const": action.name}, "arguments": _declared_only(action_schema(action))},
            "required": ["action", "arguments"],
            "additionalProperties": False,
        }
        for action in character.actions
    ]
    properties["then"] = {"anyOf": [{"type": "null"}, *calls]} if calls else {"type": "null"}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _declared_only(schema: dict) -> dict:
    """The arguments schema as generated: only the properties the card declares (the card's own schema, which
    may allow more, still validates the call)."""
    if schema.get("type") == "object" and "additionalProperties" not in schema:
        return {**schema, "additionalProperties": False}
    return schema


def decision_cue(character: dialogue_pb2.Character) -> str:
    """The words that open the decision in a script, after the character's line."""
    return f"[{character.name}'s mood and action:"


def decision_guide(character: dialogue_pb2.Character, script: bool) -> str:
    """What the decision means, with the card's choices and one worked example per kind of answer.

    Chat models read it as an instruction; base models (`script`) see it in the script's opening, where the
    examples show the notation they then continue."""
    name = character.name
    lines = [f"After each line of {name}, a note gives {name}'s mood, one of: {', '.join(emotions_of(character))}; "
             f"and what {name} does in the game: null when nothing, or one of these actions, only when the player "
             f"plainly asks for it or the scene demands it:"]
    for action in character.actions:
        arguments = json.dumps(action_schema(action), separators=(",", ":"))
        lines.append(f"- {action.name}: {action.description} Arguments: {arguments}")
    if not character.actions:
        lines[0] = f"After each line of {name}, a note gives {name}'s mood, one of: {', '.join(emotions_of(character))}."
    emotion = emotions_of(character)[0]
    # Asked and not asked in turn, so the examples teach when to act as well as how. The requests are the
    # actions' descriptions as a player would say them; on Gemma 3 270M that, and ending on an action, was the
    # only arrangement of four tried that ever called one (1 of 4 asks, no false calls in 4 chats).
    chatter = iter([("Nice weather today.", "Aye, it is."), ("How are you?", "Busy, as always."),
                    ("What do you think of this town?", "It is home.")])
    agreements = iter(["Here you are.", "Right away.", "As you wish."])
    examples = []
    for action in character.actions[:3]:
        examples.append((*next(chatter), {"emotion": emotion, "then": None}))
        call = {"action": action.name, "arguments": example_arguments(action_schema(action))}
        examples.append((_as_asked(action), next(agreements), {"emotion": emotion, "then": call}))
    if not examples:
        examples.append((*next(chatter), {"emotion": emotion, "then": None}))
    if script:
        lines.append("For example:")
        for said, answer, note in examples:
            # Written exactly as the grammar makes the model write it: compact JSON.
            lines += [f"Player: {said}", f"{name}: {answer}", f"{decision_cue(character)} {json.dumps(note, separators=(',', ':'))}]"]
    return "\n".join(lines)


def _as_asked(action: dialogue_pb2.ActionSpec) -> str:
    """An action's description as a player asks for it: "Hand the player a sword." -> "Please hand me a sword."."""
    wish = re.sub(r"\bthe player\b", "me", action.description.strip().rstrip("."), flags=re.IGNORECASE)
    wish = wish or action.name.replace("_", " ")
    return f"Please {wish[0].lower()}{wish[1:]}."


def decision_request(character: dialogue_pb2.Character) -> str:
    """The instruction a chat model gets for the decision, as a message after its reply."""
    return (f"[game] {decision_guide(character, script=False)}\nAnswer with the note for your last line as one JSON "
            f'object: {{"emotion": ..., "then": ...}}')


def example_arguments(schema: dict) -> dict:
    """A small valid example of an arguments object, for the worked examples."""
    def example(spec: dict):
        if "const" in spec:
            return spec["const"]
        if spec.get("enum"):
            return spec["enum"][0]
        if spec.get("examples"):
            return spec["examples"][0]
        kind = spec.get("type")
        if kind == "integer" or kind == "number":
            return max(1, spec.get("minimum", 1))
        if kind == "boolean":
            return True
        if kind == "object":
            return example_arguments(spec)
        if kind == "array":
            return []
        return "something"

    properties = schema.get("properties", {})
    return {key: example(properties[key]) for key in schema.get("required", [])}


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

"""The text-generation contract every text engine serves: requests, streamed chunks, results, and the
`TextEngine` protocol that domains program against (they never know which engine is behind it)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import AsyncIterator, Protocol, runtime_checkable

from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import CallContext

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Grammar:
    """What generated text must match: a JSON Schema, or an EBNF grammar (GBNF dialect, root rule `root`).

    Examples:
        Grammar.json({"type": "object", "properties": {"mood": {"enum": ["calm", "angry"]}}, "required": ["mood"]})
        Grammar.choice(["calm", "angry", "afraid"])
        Grammar.ebnf_text('root ::= "yes" | "no"')
    """

    json_schema: str | None = None  # JSON text; properties are generated in the schema's order
    ebnf: str | None = None

    @classmethod
    def json(cls, schema: dict) -> "Grammar":
        return cls(json_schema=json.dumps(schema))

    @classmethod
    def ebnf_text(cls, text: str) -> "Grammar":
        return cls(ebnf=text)

    @classmethod
    def choice(cls, options: list[str]) -> "Grammar":
        """Exactly one of `options`, verbatim."""
        if not options:
            raise InvalidArgument("grammar.choice", "needs at least one option, e.g. ['calm', 'angry']")
        return cls(ebnf="root ::= " + " | ".join(json.dumps(option, ensure_ascii=False) for option in options))


@dataclass
class GenerationRequest:
    """Chat `messages` (the engine applies the model's chat template) or a raw `prompt` continued verbatim
    (base models, transcripts): exactly one of the two."""

    messages: list[dict] = field(default_factory=list)  # [{"role": "system" | "user" | "assistant", "content": str}]
    max_new_tokens: int = 128
    temperature: float = 0.8  # 0: greedy
    top_p: float = 0.95
    seed: int = 0
    stop_sequences: list[str] = field(default_factory=list)
    json_schema: dict | None = None  # output is JSON valid against this schema
    grammar: Grammar | None = None  # or matches this grammar
    prompt: str = ""


@dataclass
class TextChunk:
    """New text (a delta) and the number of tokens generated so far."""

    text: str
    tokens: int


@dataclass
class GenerationResult:
    text: str
    # "stop" (end of turn, grammar complete) | "stop_sequence" (one of the request's stop sequences; the text
    # excludes it) | "length" | "cancelled"
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    time_to_first_token_s: float | None  # from submit (queueing included); None if no token came
    tokens_after_cancel: int = 0  # tokens that arrived after the cancel was seen
    stop_sequence: str = ""  # the stop sequence that ended it, when finish_reason is "stop_sequence"


@runtime_checkable
class TextEngine(Protocol):
    """What a domain may use of a resident text model, whichever engine serves it."""

    model_id: str
    revision: str
    context_tokens: int
    # True when the model has a chat template; otherwise callers send a raw `prompt` (a transcript).
    has_chat_template: bool
    # The model's control tokens (turn markers), which untrusted text must never smuggle into a prompt.
    special_tokens: list[str]

    def submit(self, request: GenerationRequest, ctx: CallContext): ...

    async def generate(self, request: GenerationRequest, ctx: CallContext | None = None) -> GenerationResult: ...

    def render_prompt(self, messages: list[dict]) -> str: ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, messages: list[dict]) -> int: ...

    def memory_bytes(self) -> int: ...


async def final_result(events: AsyncIterator) -> GenerationResult | None:
    """A job's GenerationResult, its streamed chunks passed over (a cancel before it started gives none)."""
    result = None
    async for event in events:
        if isinstance(event, GenerationResult):
            result = event
    return result


def validate_request(request: GenerationRequest, has_chat_template: bool) -> None:
    """InvalidArgument naming every bad field of a request."""
    problems = []
    if bool(request.messages) == bool(request.prompt):
        problems.append(("messages", "set chat messages or a raw prompt, exactly one"))
    if request.messages and not has_chat_template:
        problems.append(("messages", "this model has no chat template (a base model); send a raw `prompt` instead"))
    for i, message in enumerate(request.messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            problems.append((f"messages[{i}].role", f"must be one of {', '.join(ROLES)}"))
        elif not isinstance(message.get("content"), str):
            problems.append((f"messages[{i}].content", "must be a string"))
    if not 1 <= request.max_new_tokens:
        problems.append(("max_new_tokens", "must be at least 1"))
    if not (math.isfinite(request.temperature) and request.temperature >= 0):
        problems.append(("temperature", "must be 0 (greedy) or more, e.g. 0.8"))
    if not (math.isfinite(request.top_p) and 0 < request.top_p <= 1):
        problems.append(("top_p", "must be in (0, 1], e.g. 0.95"))
    if request.seed < 0:
        problems.append(("seed", "must be 0 or more"))
    if any(not isinstance(stop, str) or not stop for stop in request.stop_sequences):
        problems.append(("stop_sequences", "must be non-empty strings"))
    if request.json_schema is not None and request.grammar is not None:
        problems.append(("grammar", "set json_schema or grammar, not both"))
    if problems:
        raise InvalidArgument.many(problems)

"""A text model asked for JSON under a schema, with the caller's model-free path for when it gives none."""

from __future__ import annotations

import json
import logging
from typing import Callable, TypeVar

import jsonschema

from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, TextEngine

log = logging.getLogger(__name__)
T = TypeVar("T")


class StructuredModel:
    """Asks a TextEngine for JSON valid under a JSON Schema (decoded under the schema's grammar), reads it, and
    falls back when there is no usable answer: a question too long for the model's context, an answer that ran
    past `max_new_tokens` (bound strings and arrays in the schema to avoid it) or, should it ever happen, one that
    does not parse or validate. The fallback gets
    the reason in words ("the model's plan ran past 384 tokens") and the reason is logged. Cancels and
    deadlines are raised, not fallen back from.

    Example (a subclass names what it asks for and keeps its own defaults):

        class LlmPlanner(StructuredModel):
            answer_name = "plan"

        plan = await LlmPlanner(generator, 384, 0.7).answer(
            messages, schema, seed, ctx,
            read=lambda value: Plan.from_dict(value, "llm"),
            fall_back=lambda reason: Plan(keyword_items, f"keywords ({reason})"))
    """

    name = "llm"
    answer_name = "answer"  # what the model writes, in the fallback's reason

    def __init__(self, generator: TextEngine, max_new_tokens: int, temperature: float):
        self.generator = generator
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature

    @property
    def model(self) -> tuple[str, str]:
        """The model's id and revision, for the recipe."""
        return self.generator.model_id, self.generator.revision

    async def answer(self, messages: list[dict], schema: dict, seed: int, ctx: CallContext, *,
                     read: Callable[[dict], T], fall_back: Callable[[str], T]) -> T:
        """`read(value)` of the model's JSON, or `fall_back(reason)` when it gave none that is usable."""
        asked = {"messages": messages} if self.generator.has_chat_template else {"prompt": plain_prompt(messages)}
        request = GenerationRequest(**asked, json_schema=schema, seed=seed, temperature=self.temperature,
                                    max_new_tokens=self.max_new_tokens)
        try:
            result = await self.generator.generate(request, ctx)
        except InvalidArgument as error:  # the question does not fit the model (its context): not the caller's field
            return self._fall_back(fall_back, f"could not be asked ({error.violations[0][1]})")
        ctx.check()
        if result.finish_reason != "stop":
            return self._fall_back(fall_back, f"ran past {self.max_new_tokens} tokens")
        try:
            value = json.loads(result.text)
            jsonschema.validate(value, schema)
        except (json.JSONDecodeError, jsonschema.ValidationError) as error:
            return self._fall_back(fall_back, f"did not match the schema ({_first_line(error)})")
        return read(value)

    def _fall_back(self, fall_back: Callable[[str], T], problem: str) -> T:
        reason = f"the model's {self.answer_name} {problem}"
        log.warning("%s: %s; the model-free path answers instead", self.generator.model_id, reason)
        return fall_back(reason)


def plain_prompt(messages: list[dict]) -> str:
    """Chat messages as plain text for a base model (no chat template): a paragraph each, then the answer's cue.
    The grammar keeps what follows JSON under the schema."""
    return "\n\n".join(message["content"].strip() for message in messages) + "\n\nAnswer as JSON:\n"


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]

"""StructuredModel: JSON under a schema read from a text engine, or the caller's fallback with the reason."""

from __future__ import annotations

import logging

import pytest

from worldsmith.errors import Cancelled, InvalidArgument
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationResult
from worldsmith.runtime.structured import StructuredModel

SCHEMA = {"type": "object", "properties": {"mood": {"enum": ["calm", "angry"]}}, "required": ["mood"]}
MESSAGES = [{"role": "user", "content": "How do you feel?"}]


class AnsweringEngine:
    """Gives the same answer to every request, and keeps the requests."""

    model_id, revision = "answering", "r1"
    has_chat_template = True

    def __init__(self, text: str = "", finish_reason: str = "stop", context_tokens: int = 4096):
        self.context_tokens = context_tokens
        self.result = GenerationResult(text=text, finish_reason=finish_reason, prompt_tokens=5,
                                       completion_tokens=3, time_to_first_token_s=0.01)
        self.requests = []

    async def generate(self, request, ctx=None):
        self.requests.append(request)
        if request.max_new_tokens + 5 > self.context_tokens:  # as the engines' check_fits refuses it
            raise InvalidArgument("messages", f"the prompt is 5 tokens; it exceeds the model's context of {self.context_tokens}")
        return self.result


class MoodReader(StructuredModel):
    answer_name = "mood"


async def ask(engine: AnsweringEngine, ctx: CallContext | None = None) -> str:
    return await MoodReader(engine, max_new_tokens=12, temperature=0.3).answer(
        MESSAGES, SCHEMA, 7, ctx or CallContext(), read=lambda value: value["mood"],
        fall_back=lambda reason: f"fallback: {reason}")


async def test_an_answer_under_the_schema_is_read():
    engine = AnsweringEngine('{"mood": "calm"}')
    assert await ask(engine) == "calm"
    request = engine.requests[0]
    assert (request.messages, request.json_schema, request.seed) == (MESSAGES, SCHEMA, 7)
    assert (request.max_new_tokens, request.temperature) == (12, 0.3)
    assert MoodReader(engine, 12, 0.3).model == ("answering", "r1")


async def test_an_answer_cut_short_falls_back_with_the_reason_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="worldsmith.runtime.structured"):
        answer = await ask(AnsweringEngine('{"mood": "ca', finish_reason="length"))
    assert answer == "fallback: the model's mood ran past 12 tokens"
    assert "the model's mood ran past 12 tokens" in caplog.text


@pytest.mark.parametrize("text", ['{"mood": "sleepy"}', "calm"])
async def test_an_answer_outside_the_schema_falls_back(text):
    assert (await ask(AnsweringEngine(text))).startswith("fallback: the model's mood did not match the schema (")


async def test_a_cancelled_call_raises_instead_of_falling_back():
    ctx = CallContext()
    ctx.cancel()
    with pytest.raises(Cancelled):
        await ask(AnsweringEngine("", finish_reason="cancelled"), ctx)


async def test_a_question_longer_than_the_context_falls_back_instead_of_naming_messages():
    answer = await ask(AnsweringEngine('{"mood": "calm"}', context_tokens=10))
    assert answer.startswith("fallback: the model's mood could not be asked (the prompt is 5 tokens")

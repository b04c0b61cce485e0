"""One NPC turn: generate the reply segment by segment, stream its words, emotions and action
calls, and wait for each action's result before continuing. Say and Converse both run this."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

from worldsmith._proto.worldsmith.v1 import common_pb2, dialogue_pb2
from worldsmith.dialogue.rating import RatingFilter
from worldsmith.dialogue.reply import InvalidAction, ReplyStream, reply_schema, segment_tokens, validate_action
from worldsmith.errors import Cancelled
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.text_generator import GenerationRequest, GenerationResult, TextChunk

log = logging.getLogger(__name__)
Reason = dialogue_pb2.TurnEndReason

# A turn may act and continue a few times; a model that keeps acting is stopped here.
MAX_SEGMENTS = 4
# How long a paused turn waits for the game to report an action's result.
ACTION_RESULT_TIMEOUT_S = 30.0

FINISH_REASONS = {
    "stop": Reason.TURN_END_REASON_COMPLETED,
    "length": Reason.TURN_END_REASON_MAX_TOKENS,
    "stop_sequence": Reason.TURN_END_REASON_STOP_SEQUENCE,
    "cancelled": Reason.TURN_END_REASON_CANCELLED,
}


@dataclass(frozen=True)
class Sampling:
    """The resolved generation options of a turn."""

    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    stop_sequences: tuple[str, ...]


@dataclass
class TurnPlan:
    turn_id: str
    character: dialogue_pb2.Character
    messages: list[dict[str, str]]
    sampling: Sampling
    structured: bool
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class TurnOutcome:
    """How the turn ended, once every event has been yielded."""

    reason: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token_s: float = 0.0
    # Tokens the model produced after the turn was cancelled (the engine stops at the next token).
    tokens_after_cancel: int = 0
    # (call, result) for every action sent; result is None when none came back.
    actions: list[tuple[dialogue_pb2.ActionCall, dialogue_pb2.ActionResult | None]] = field(default_factory=list)


# The caller's answer to an action call: the game's result, or None when none can come (Say).
ResultWaiter = Callable[[dialogue_pb2.ActionCall], Awaitable[dialogue_pb2.ActionResult | None]]
TurnEvent = tuple[str, object]  # (response oneof field, message)


_END = object()


async def ready_together(events: AsyncIterator) -> AsyncIterator[list]:
    """Yields the events in lists of those that arrived together.

    While the client reads slowly (many streams on a busy server) tokens pile up; sending them
    as one text delta costs one message instead of many and adds no latency, since nothing
    waits to be merged. Leaving early cancels the source, which cancels its job.
    """
    queue: asyncio.Queue = asyncio.Queue()

    async def pump():
        try:
            async for event in events:
                queue.put_nowait(event)
            queue.put_nowait(_END)
        except Exception as error:  # handed to the reader, raised where it reads
            queue.put_nowait(error)

    task = asyncio.create_task(pump())
    try:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            for i, event in enumerate(batch):
                if event is _END or isinstance(event, Exception):
                    if batch[:i]:
                        yield batch[:i]
                    if event is _END:
                        return
                    raise event
            yield batch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def action_report(call: dialogue_pb2.ActionCall, result: dialogue_pb2.ActionResult | None, actor: str) -> str:
    """An action's outcome in words: told to the character ("You did ...") and kept in the history."""
    done = f"{actor} did {call.name} {call.arguments_json}"
    if result is None:
        return f"{done}; the game did not report the outcome."
    outcome = "it succeeded" if result.success else "it failed"
    return f"{done}: {outcome}" + (f": {result.result_json}" if result.result_json else ".")


async def run_turn(plan: TurnPlan, generator, ctx: CallContext, wait_for_result: ResultWaiter) -> AsyncIterator[TurnEvent | TurnOutcome]:
    """Yields (field, message) events in order, then one TurnOutcome.

    Text deltas carry the utterance index (one utterance per segment: an action ends it).
    Cancelling `ctx` ends the turn at the next token with reason CANCELLED.
    """
    yield "turn_started", dialogue_pb2.TurnStarted(turn_id=plan.turn_id, character_id=plan.character.id)
    sampling = plan.sampling
    outcome = TurnOutcome(reason=Reason.TURN_END_REASON_COMPLETED)
    messages = list(plan.messages)
    first_token_at: float | None = None
    emotion_shown: str | None = None

    for segment in range(MAX_SEGMENTS):
        budget = segment_tokens(plan.character, sampling.max_new_tokens)
        schema = reply_schema(plan.character, max_say_chars=sampling.max_new_tokens) if plan.structured else None
        request = GenerationRequest(
            messages=messages,
            max_new_tokens=budget,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            seed=(sampling.seed + segment) % 2**63,
            # In a structured reply a stop sequence ends the segment early: its words so far are
            # delivered and no action follows (the JSON is incomplete).
            stop_sequences=list(sampling.stop_sequences),
            json_schema=schema,
        )
        reply = ReplyStream() if plan.structured else None
        rating = RatingFilter(plan.character.content_rating)
        result: GenerationResult | None = None

        def delta(text: str) -> TurnEvent:
            return "text_delta", dialogue_pb2.TextDelta(turn_id=plan.turn_id, utterance_index=segment, text=text)

        async def emit_text(text: str):
            """The events for newly generated text: the emotion once it is known, then the words."""
            nonlocal emotion_shown, first_token_at
            if ctx.is_cancelled:
                return  # the turn is over; its caller delivers nothing more
            words = reply.feed(text) if reply else text
            if reply and reply.emotion is not None and reply.emotion != emotion_shown:
                emotion_shown = reply.emotion
                yield "emotion", dialogue_pb2.EmotionChanged(turn_id=plan.turn_id, emotion=reply.emotion)
            released = rating.feed(words)
            if released:
                if first_token_at is None:
                    first_token_at = time.monotonic()
                yield delta(released)

        job = generator.submit(request, ctx)
        try:
            async with contextlib.aclosing(ready_together(job.events())) as batches:
                async for batch in batches:
                    text = ""
                    for event in batch:
                        if isinstance(event, TextChunk):
                            text += event.text
                            continue
                        if text:
                            async for item in emit_text(text):
                                yield item
                            text = ""
                        if isinstance(event, common_pb2.Queued):
                            yield "queued", event
                        elif isinstance(event, GenerationResult):
                            result = event
                    if text:
                        async for item in emit_text(text):
                            yield item
        except Cancelled:
            pass  # cancelled before the engine started it: nothing was generated

        if result is not None:
            outcome.completion_tokens += result.completion_tokens
            outcome.tokens_after_cancel += result.tokens_after_cancel
            outcome.prompt_tokens = max(outcome.prompt_tokens, result.prompt_tokens)
        if ctx.is_cancelled:
            outcome.reason = Reason.TURN_END_REASON_CANCELLED
            break
        tail = rating.flush()
        if tail:
            if first_token_at is None:
                first_token_at = time.monotonic()
            yield delta(tail)
        if result is not None:
            outcome.reason = FINISH_REASONS.get(result.finish_reason, Reason.TURN_END_REASON_COMPLETED)
        if reply is None or outcome.reason != Reason.TURN_END_REASON_COMPLETED:
            break
        parsed = reply.finish()
        try:
            action = validate_action(plan.character, parsed.get("then")) if parsed else None
        except InvalidAction as error:
            # Constrained decoding makes this unreachable; if it ever happens the call is not sent.
            log.error("turn %s: dropped an invalid action call: %s", plan.turn_id, error)
            break
        if action is None:
            break
        call = dialogue_pb2.ActionCall(
            turn_id=plan.turn_id,
            call_id=f"{plan.turn_id}.{segment}",
            name=action.name,
            arguments_json=json.dumps(action.arguments, separators=(",", ":"), sort_keys=True),
        )
        yield "action_call", call
        action_result = await wait_for_result(call)
        outcome.actions.append((call, action_result))
        if action_result is None or ctx.is_cancelled:
            break
        messages = [
            *messages,
            {"role": "assistant", "content": reply.raw},
            {"role": "user", "content": "[event] " + action_report(call, action_result, "You")},
        ]
        if generator.prompt_tokens(messages) + budget > generator.context_tokens:
            break  # no room left to continue after this action

    if first_token_at is not None:
        outcome.time_to_first_token_s = first_token_at - plan.started_at
    if ctx.is_cancelled:
        metrics.TOKENS_AFTER_CANCEL.observe(outcome.tokens_after_cancel)
    yield outcome

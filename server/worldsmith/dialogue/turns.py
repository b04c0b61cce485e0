"""One NPC turn, top to bottom: speak (plain text, streamed from the first token), decide (the emotion and any
action, under a grammar from the card), act (wait for the game's result), and speak again after it. Say and
Converse both run this."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, NamedTuple, TypeVar

from worldsmith._proto.worldsmith.v1 import common_pb2, dialogue_pb2
from worldsmith.dialogue.prompt import speaker_cue, transcript
from worldsmith.dialogue.rating import RatingFilter
from worldsmith.dialogue.reply import (InvalidAction, ParsedAction, decision_cue, decision_request, decision_schema,
                                       decision_tokens, validate_action)
from worldsmith.errors import Cancelled
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, TextChunk, TextEngine

log = logging.getLogger(__name__)
Reason = dialogue_pb2.TurnEndReason
T = TypeVar("T")

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
# Words that ended this way were said: a decision (emotion, action) follows them.
SPOKEN_REASONS = (Reason.TURN_END_REASON_COMPLETED, Reason.TURN_END_REASON_MAX_TOKENS,
                  Reason.TURN_END_REASON_STOP_SEQUENCE)
# A script's line ends at the next line: the turn's own stop sequence, which completes it.
LINE_END = "\n"
# Control characters a model may write (a byte-fallback NUL, an escape) that no player should see and PostgreSQL
# cannot store; newlines and tabs stay.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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
    # Whether a decision (emotion, action) follows the words: the card has something to choose.
    structured: bool
    # Base models continue a play script (dialogue/prompt.py: transcript) instead of chat messages.
    script: bool = False
    # The BCP 47 tag of the language the reply is in (dialogue/language.py).
    language: str = "en"
    started_at: float = field(default_factory=time.monotonic)


@dataclass
class TurnOutcome:
    """How the turn ended, once every event has been yielded."""

    reason: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token_s: float = 0.0
    # (call, result) for every action sent; result is None when none came back.
    actions: list[tuple[dialogue_pb2.ActionCall, dialogue_pb2.ActionResult | None]] = field(default_factory=list)


# The caller's answer to an action call: the game's result, or None when none can come (Say).
ResultWaiter = Callable[[dialogue_pb2.ActionCall], Awaitable[dialogue_pb2.ActionResult | None]]


class TurnEvent(NamedTuple):
    """One event of a turn: the field of the response's `event` oneof it goes in, and its message."""

    field: str
    message: Any

    def response(self, response_type: type[T]) -> T:
        """The event as a SayResponse or ConverseResponse."""
        return response_type(**{self.field: self.message})


# Marks the end of an utterance's words (its message: the utterance index); the decision, any action and the outcome
# follow. Never sent to the client: a spoken turn reads the utterance's last sentence at once, not after the decision.
WORDS_ENDED = "words_ended"

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


class Turn:
    """Runs one turn; `events()` yields TurnEvents in order, then one TurnOutcome.

    Text deltas carry the utterance index (one utterance per segment: an action ends it). Cancelling `ctx`
    ends the turn at the next token with reason CANCELLED.
    """

    def __init__(self, plan: TurnPlan, generator: TextEngine, ctx: CallContext, wait_for_result: ResultWaiter):
        self.plan = plan
        self.generator = generator
        self.ctx = ctx
        self.wait_for_result = wait_for_result
        self.outcome = TurnOutcome(reason=Reason.TURN_END_REASON_COMPLETED)
        self.first_token_at: float | None = None
        self.emotion_shown: str | None = None
        self.spoken = ""  # what the model said in the current segment, before the rating filter

    async def events(self) -> AsyncIterator[TurnEvent | TurnOutcome]:
        plan = self.plan
        yield TurnEvent("turn_started", dialogue_pb2.TurnStarted(turn_id=plan.turn_id, character_id=plan.character.id))
        messages = list(plan.messages)
        for segment in range(MAX_SEGMENTS):
            async for event in self._speak(messages, segment):
                yield event
            if self.ctx.is_cancelled:
                self.outcome.reason = Reason.TURN_END_REASON_CANCELLED
                break
            # Words cut short by the token limit or a stop sequence still get their emotion and action: the player
            # heard them.
            if not plan.structured or self.outcome.reason not in SPOKEN_REASONS:
                break
            words = self.spoken.strip()
            decision = await self._decide(messages, words, segment)
            if decision is None:
                break
            emotion, action = decision
            if emotion != self.emotion_shown:
                self.emotion_shown = emotion
                yield TurnEvent("emotion", dialogue_pb2.EmotionChanged(turn_id=plan.turn_id, emotion=emotion))
            if action is None:
                break
            call = self._call(action, segment)
            yield TurnEvent("action_call", call)
            result = await self.wait_for_result(call)
            self.outcome.actions.append((call, result))
            if result is None or self.ctx.is_cancelled:
                break
            messages = [*messages, {"role": "assistant", "content": words},
                        {"role": "user", "content": "[event] " + action_report(call, result, plan.character.name)}]
            if not self._fits(messages):
                break  # no room left to continue after this action
        if self.first_token_at is not None:
            self.outcome.time_to_first_token_s = self.first_token_at - plan.started_at
        yield self.outcome

    def _fits(self, messages: list[dict[str, str]]) -> bool:
        """Whether another segment's words and decision fit the context after `messages`."""
        generator, character = self.generator, self.plan.character
        if self.plan.script:
            used = generator.count_tokens(transcript(messages, character.name))
        else:  # the decision's prompt is the longest: the words, then the instruction that asks for it
            used = generator.prompt_tokens([*messages, {"role": "assistant", "content": ""},
                                            {"role": "user", "content": decision_request(character)}])
        return used + self.plan.sampling.max_new_tokens + decision_tokens(character) <= generator.context_tokens

    # -- phase 1: the words ---------------------------------------------------------------------------
    async def _speak(self, messages: list[dict[str, str]], segment: int) -> AsyncIterator[TurnEvent]:
        """Stream the character's words, filtered by its content rating; `self.spoken` collects them unfiltered."""
        self.spoken = ""
        rating = RatingFilter(self.plan.character.content_rating,
                              removed=[action.name for action in self.plan.character.actions])
        request = self._speech_request(messages, segment)
        for attempt in range(2):  # a reply that is over before it says anything gets one more try
            async for event in self._stream(request, rating, segment):
                yield event
            if self.ctx.is_cancelled or self.spoken.strip() or attempt:
                break
            self.spoken = ""
            request.seed = (request.seed + MAX_SEGMENTS) % 2**63
        if not self.ctx.is_cancelled:
            tail = rating.flush()
            if tail:
                yield self._text_delta(segment, tail)
            yield TurnEvent(WORDS_ENDED, segment)

    def _speech_request(self, messages: list[dict[str, str]], segment: int) -> GenerationRequest:
        plan, sampling = self.plan, self.plan.sampling
        request = GenerationRequest(
            max_new_tokens=sampling.max_new_tokens, temperature=sampling.temperature, top_p=sampling.top_p,
            seed=(sampling.seed + segment) % 2**63, stop_sequences=list(sampling.stop_sequences),
        )
        if plan.script:
            # One line of the script: the next line belongs to someone else.
            request.prompt = transcript(messages, plan.character.name, cue=speaker_cue(plan.character.name, plan.language))
            request.stop_sequences.append(LINE_END)
        else:
            request.messages = messages
        return request

    async def _stream(self, request: GenerationRequest, rating: RatingFilter, segment: int) -> AsyncIterator[TurnEvent]:
        """One generation of the words: Queued events and text deltas, text that arrived together in one delta."""
        try:
            job = self.generator.submit(request, self.ctx)
            async with contextlib.aclosing(ready_together(job.events())) as batches:
                async for batch in batches:
                    text = ""
                    for event in batch:
                        if isinstance(event, TextChunk):
                            if self.first_token_at is None:
                                self.first_token_at = time.monotonic()
                            text += UNPRINTABLE.sub("", event.text)
                        elif isinstance(event, common_pb2.Queued):
                            yield TurnEvent("queued", event)
                        elif isinstance(event, GenerationResult):
                            self._count(event)
                    if text and not self.ctx.is_cancelled:
                        opening = not self.spoken.strip()
                        self.spoken += text
                        released = rating.feed(text.lstrip() if opening else text)
                        if released:
                            yield self._text_delta(segment, released)
        except Cancelled:
            pass  # cancelled before the engine started it: nothing was generated

    def _text_delta(self, segment: int, text: str) -> TurnEvent:
        return TurnEvent("text_delta", dialogue_pb2.TextDelta(turn_id=self.plan.turn_id, utterance_index=segment,
                                                              text=text))

    def _count(self, result: GenerationResult) -> None:
        """Add a generation of the words to the outcome: its tokens, and how it ended."""
        self.outcome.completion_tokens += result.completion_tokens
        self.outcome.prompt_tokens = max(self.outcome.prompt_tokens, result.prompt_tokens)
        self.outcome.reason = self._end_reason(result)

    def _end_reason(self, result: GenerationResult) -> int:
        """The turn's end reason for how its words ended. A script's words also stop at LINE_END, the turn's own
        stop, which completes the turn; any stop sequence of the caller's ends it with STOP_SEQUENCE."""
        if result.finish_reason == "stop_sequence" and self.plan.script and result.stop_sequence == LINE_END:
            return Reason.TURN_END_REASON_COMPLETED
        return FINISH_REASONS.get(result.finish_reason, Reason.TURN_END_REASON_COMPLETED)

    # -- phase 2: the emotion and the action -------------------------------------------------------------
    async def _decide(self, messages: list[dict[str, str]], words: str, segment: int):
        """(emotion, action or None), or None when the decision did not complete (cancel, token limit)."""
        plan, character = self.plan, self.plan.character
        # Sampled like the words, from the same seed: a replayed turn decides the same way.
        request = GenerationRequest(
            max_new_tokens=decision_tokens(character), temperature=plan.sampling.temperature, top_p=plan.sampling.top_p,
            seed=(plan.sampling.seed + segment) % 2**63, json_schema=decision_schema(character),
        )
        said = [*messages, {"role": "assistant", "content": words}]
        if plan.script:
            request.prompt = transcript(said, character.name, cue=decision_cue(character))
        else:
            request.messages = [*said, {"role": "user", "content": decision_request(character)}]
        try:
            result = await self.generator.generate(request, self.ctx)
        except Cancelled:
            return None
        self.outcome.completion_tokens += result.completion_tokens
        if result.finish_reason != "stop":
            if result.finish_reason == "cancelled":
                self.outcome.reason = Reason.TURN_END_REASON_CANCELLED
            return None
        try:
            value = json.loads(result.text)
            return value["emotion"], validate_action(character, value.get("then"))
        except (json.JSONDecodeError, KeyError, TypeError, InvalidAction) as error:
            # Constrained decoding makes this unreachable; if it ever happens nothing is sent.
            log.error("turn %s: dropped an invalid decision %r: %s", plan.turn_id, result.text, error)
            return None

    # -- phase 3: the action ------------------------------------------------------------------------------
    def _call(self, action: ParsedAction, segment: int) -> dialogue_pb2.ActionCall:
        return dialogue_pb2.ActionCall(
            turn_id=self.plan.turn_id, call_id=f"{self.plan.turn_id}.{segment}", name=action.name,
            arguments_json=json.dumps(action.arguments, separators=(",", ":"), sort_keys=True),
        )

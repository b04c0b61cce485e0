"""Converse: one bidirectional conversation. Utterances and events start turns, a new one
interrupts the turn that is speaking, CancelTurn stops it, and an action call pauses its turn
until the game sends the ActionResult."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass, field
from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.delivery import Delivery
from worldsmith.dialogue.director import TurnDirector
from worldsmith.dialogue.prompt import TurnInput
from worldsmith.dialogue.spoken import SpokenTurn
from worldsmith.dialogue.turns import ACTION_RESULT_TIMEOUT_S, Sampling, Turn, TurnEvent, TurnOutcome
from worldsmith.errors import InvalidArgument, NotFound
from worldsmith.runtime.context import CallContext

Reason = dialogue_pb2.TurnEndReason
TURN_FIELDS = {"session_id": "start.session_id", "character_id": "utterance.character_id", "input": "utterance.text"}


@dataclass
class ActiveTurn:
    """A turn of this conversation, from its inputs to its record."""

    inputs: list[TurnInput]
    character_id: str
    ctx: CallContext
    delivery: Delivery | None = None  # once the turn is prepared
    # Set when the client stopped the turn: INTERRUPTED (new input) or CANCELLED.
    stop_reason: int | None = None
    # How much of a spoken turn's audio the player heard, when the client said so as it stopped the turn.
    played_ms: int | None = None
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    @property
    def turn_id(self) -> str:
        return self.delivery.prepared.plan.turn_id if self.delivery else ""

    def stop(self, reason: int, played_ms: int | None = None) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.played_ms = reason, played_ms
        self.ctx.cancel()
        self.release_waiting()

    def release_waiting(self) -> None:
        """No result will come for the paused action (stopped turn, closed stream)."""
        for future in self.waiting.values():
            if not future.done():
                future.set_result(None)


# What the conversation's inbox carries: the client's messages, and the running turn's events.
@dataclass
class RequestArrived:
    request: dialogue_pb2.ConverseRequest


@dataclass
class RequestsEnded:
    """The client closed its side of the stream."""


@dataclass
class RequestsFailed:
    error: Exception


@dataclass
class TurnProduced:
    turn: ActiveTurn
    item: TurnEvent | TurnOutcome


@dataclass
class TurnFailed:
    turn: ActiveTurn
    error: Exception


InboxMessage = RequestArrived | RequestsEnded | RequestsFailed | TurnProduced | TurnFailed


class Conversation:
    def __init__(self, director: TurnDirector, requests: AsyncIterator[dialogue_pb2.ConverseRequest], ctx: CallContext):
        self.director = director
        self.requests = requests
        self.ctx = ctx
        self.inbox: asyncio.Queue[InboxMessage] = asyncio.Queue()
        self.session_id = ""
        self.character_id = ""
        self.sampling: Sampling | None = None
        self.speech = False
        self.current: ActiveTurn | None = None
        self.pending: list[TurnInput] = []
        self.pending_character = ""
        self.calls_made: set[str] = set()
        self.finished_turns: set[str] = set()
        self.last_turn_id = ""
        self.closed = False

    async def _read(self) -> None:
        try:
            async for request in self.requests:
                self.inbox.put_nowait(RequestArrived(request))
            self.inbox.put_nowait(RequestsEnded())
        except Exception as error:  # the transport failed; end the conversation with it
            self.inbox.put_nowait(RequestsFailed(error))

    async def run(self) -> AsyncIterator[dialogue_pb2.ConverseResponse]:
        reader = asyncio.create_task(self._read())
        try:
            await self._open()
            while not (self.closed and self.current is None and not self.pending):
                match await self.inbox.get():
                    case RequestArrived(request):
                        await self._handle(request)
                    case RequestsEnded():
                        self.closed = True
                        if self.current is not None:
                            self.current.release_waiting()
                    case RequestsFailed(error) | TurnFailed(error=error):
                        raise error
                    case TurnProduced(turn, item):
                        event = await turn.delivery.send(item, turn.stop_reason, turn.played_ms)
                        if turn.delivery.completed:
                            self._finish(turn)
                        if event is not None:
                            yield event.response(dialogue_pb2.ConverseResponse)
                            turn.delivery.sent(event)
                        if turn.delivery.completed and self.pending:
                            self._start_turn()
        finally:
            reader.cancel()
            await self._abandon()

    async def _open(self) -> None:
        first = await self.inbox.get()
        if isinstance(first, RequestsFailed):
            raise first.error
        if not isinstance(first, RequestArrived) or first.request.WhichOneof("message") != "start":
            raise InvalidArgument("start", "the first message must be start {session_id, character_id, options}")
        start = first.request.start
        session = await self.director.load_session(start.session_id, "start.session_id")
        self.character_id = self.director.answering_character_id(session, start.character_id, "start.character_id")
        character = await self.director.load_character(self.character_id, "start.character_id")
        self.sampling = self.director.sampling(start.options, "start.options")
        self.speech = start.speech.enabled
        if self.speech:
            self.director.voicing(character)  # refused at the start, not at the first turn
        self.session_id = session.id

    async def _handle(self, request: dialogue_pb2.ConverseRequest) -> None:
        kind = request.WhichOneof("message")
        if kind == "utterance":
            inputs = self.director.inputs_of(request.utterance.text, None, "utterance.text", "")
            if not inputs:
                raise InvalidArgument("utterance.text", "is empty; send the player's words")
            played = _played(request.utterance)
            if played is not None and self.current is None and self.last_turn_id in self.finished_turns:
                # No turn is speaking, but the last one's audio may still have been playing.
                await self._keep_heard(self.last_turn_id, played, "utterance.audio_played_ms")
                played = None
            self._submit(inputs, request.utterance.character_id, played)
        elif kind == "event":
            event = request.event
            inputs = self.director.inputs_of("", event, "", "event")
            if not inputs and not event.world_state:
                raise InvalidArgument("event", "is empty; set description, world_state or both")
            if event.world_state:
                await asyncio.to_thread(self.director.store.sessions.update_world_state, self.session_id, dict(event.world_state))
            if inputs:
                self._submit(inputs, "")
        elif kind == "action_result":
            self._deliver_result(request.action_result)
        elif kind == "cancel":
            played = _played(request.cancel)
            turn_id = request.cancel.turn_id or self.last_turn_id
            if played is not None and self.current is None and turn_id in self.finished_turns:
                await self._keep_heard(turn_id, played, "cancel.turn_id")
            else:
                self._cancel(request.cancel.turn_id, played)
        elif kind == "start":
            raise InvalidArgument("start", "was already sent; a conversation has exactly one start message, first")
        else:
            raise InvalidArgument("message", "is empty; send one of utterance, event, action_result or cancel")

    def _submit(self, inputs: list[TurnInput], character_id: str, played_ms: int | None = None) -> None:
        """Queue the inputs for the next turn; a turn still speaking is interrupted, keeping what was heard of it."""
        self.pending.extend(inputs)
        self.pending_character = character_id
        if self.current is None:
            self._start_turn()
        else:
            self.current.stop(Reason.TURN_END_REASON_INTERRUPTED, played_ms)

    def _deliver_result(self, result: dialogue_pb2.ActionResult) -> None:
        future = self.current.waiting.get(result.call_id) if self.current else None
        if future is not None:
            if not future.done():
                future.set_result(result)
        elif result.call_id not in self.calls_made:
            raise InvalidArgument("action_result.call_id", f"{result.call_id!r} names no action call of this conversation")
        # A late or repeated result for a call that was made is harmless and ignored.

    def _cancel(self, turn_id: str, played_ms: int | None = None) -> None:
        current = self.current
        if current is not None and (not turn_id or turn_id == current.turn_id):
            current.stop(Reason.TURN_END_REASON_CANCELLED, played_ms)
        elif turn_id and turn_id not in self.finished_turns:
            raise InvalidArgument("cancel.turn_id", f"{turn_id!r} names no turn of this conversation")
        # Cancelling a turn that already finished is a race the client cannot avoid; ignored.

    def _start_turn(self) -> None:
        inputs, self.pending = self.pending, []
        character_id, self.pending_character = self.pending_character or self.character_id, ""
        ctx = CallContext(lane=self.ctx.lane, deadline=self.ctx.deadline, caller=self.ctx.caller, method=self.ctx.method)
        turn = ActiveTurn(inputs=inputs, character_id=character_id, ctx=ctx)
        turn.task = asyncio.create_task(self._drive(turn), name=f"converse-turn-{ctx.request_id}")
        self.current = turn

    async def _drive(self, turn: ActiveTurn) -> None:
        """Runs in its own task so requests keep being read while the turn speaks."""
        try:
            async with self.director.session_lock(self.session_id):
                prepared = await self.director.prepare(self.session_id, turn.character_id, turn.inputs, self.sampling,
                                                       TURN_FIELDS, turn.ctx)
                spoken = None
                if self.speech:
                    spoken = SpokenTurn(self.director.voicing(prepared.character), turn.ctx, prepared.plan.turn_id,
                                        prepared.plan.sampling.seed)
                turn.delivery = Delivery(self.director, prepared, spoken.track if spoken else None)
                wait_for_result = functools.partial(self._wait_for_result, turn)
                turn_events = Turn(prepared.plan, prepared.generator, turn.ctx, wait_for_result).events()
                if spoken is not None:
                    turn_events = spoken.events(turn_events)
                async with contextlib.aclosing(turn_events) as items:
                    async for item in items:
                        if isinstance(item, TurnOutcome):
                            # Its actions are recorded even if the stream ends before the main loop sends it.
                            turn.delivery.outcome = item
                        self.inbox.put_nowait(TurnProduced(turn, item))
                # Hold the session until the main loop has recorded the turn.
                await turn.finished.wait()
        except Exception as error:
            self.inbox.put_nowait(TurnFailed(turn, error))

    async def _wait_for_result(self, turn: ActiveTurn,
                               call: dialogue_pb2.ActionCall) -> dialogue_pb2.ActionResult | None:
        """The game's result for an action call, or None when none will come (stopped turn, closed stream, timeout)."""
        future = asyncio.get_running_loop().create_future()
        turn.waiting[call.call_id] = future
        self.calls_made.add(call.call_id)
        if turn.stop_reason is not None or self.closed:
            future.set_result(None)
        try:
            return await asyncio.wait_for(future, ACTION_RESULT_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            turn.waiting.pop(call.call_id, None)

    async def _keep_heard(self, turn_id: str, played_ms: int, field_name: str) -> None:
        """A finished spoken turn the player cut short while its audio played; a turn that was not spoken keeps
        what was delivered."""
        with contextlib.suppress(NotFound):
            await self.director.keep_heard(self.session_id, turn_id, played_ms, field_name)

    def _finish(self, turn: ActiveTurn) -> None:
        if turn.turn_id:
            self.finished_turns.add(turn.turn_id)
            self.last_turn_id = turn.turn_id
        turn.finished.set()
        if self.current is turn:
            self.current = None

    async def _abandon(self) -> None:
        """The stream is ending early (client gone, error): stop the turn and keep what was delivered."""
        turn = self.current
        if turn is None:
            return
        turn.stop(Reason.TURN_END_REASON_CANCELLED)
        if turn.task is not None and not turn.task.done():
            turn.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await turn.task
        if turn.delivery is not None:
            turn.delivery.close()
        self._finish(turn)


def _played(message: dialogue_pb2.PlayerUtterance | dialogue_pb2.CancelTurn) -> int | None:
    """The audio the player heard of the turn being stopped, when the client reported it."""
    return message.audio_played_ms if message.HasField("audio_played_ms") else None

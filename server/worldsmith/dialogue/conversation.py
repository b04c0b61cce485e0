"""Converse: one bidirectional conversation. Utterances and events start turns, a new one
interrupts the turn that is speaking, CancelTurn stops it, and an action call pauses its turn
until the game sends the ActionResult."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.director import Delivered, PreparedTurn, TurnDirector
from worldsmith.dialogue.prompt import TurnInput
from worldsmith.dialogue.turns import ACTION_RESULT_TIMEOUT_S, Sampling, Turn, TurnOutcome
from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import CallContext

Reason = dialogue_pb2.TurnEndReason
TURN_FIELDS = {"session_id": "start.session_id", "character_id": "utterance.character_id", "input": "utterance.text"}


@dataclass
class ActiveTurn:
    """A turn of this conversation, from its inputs to its record."""

    inputs: list[TurnInput]
    character_id: str
    ctx: CallContext
    prepared: PreparedTurn | None = None
    delivered: Delivered = field(default_factory=Delivered)
    # Set when the client stopped the turn: INTERRUPTED (new input) or CANCELLED.
    stop_reason: int | None = None
    outcome: TurnOutcome | None = None
    waiting: dict[str, asyncio.Future] = field(default_factory=dict)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    @property
    def turn_id(self) -> str:
        return self.prepared.plan.turn_id if self.prepared else ""

    def stop(self, reason: int) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.ctx.cancel()
        self.release_waiting()

    def release_waiting(self) -> None:
        """No result will come for the paused action (stopped turn, closed stream)."""
        for future in self.waiting.values():
            if not future.done():
                future.set_result(None)


class Conversation:
    def __init__(self, director: TurnDirector, requests: AsyncIterator[dialogue_pb2.ConverseRequest], ctx: CallContext):
        self.director = director
        self.requests = requests
        self.ctx = ctx
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.session_id = ""
        self.character_id = ""
        self.sampling: Sampling | None = None
        self.current: ActiveTurn | None = None
        self.pending: list[TurnInput] = []
        self.pending_character = ""
        self.calls_made: set[str] = set()
        self.finished_turns: set[str] = set()
        self.closed = False

    async def _read(self) -> None:
        try:
            async for request in self.requests:
                self.inbox.put_nowait(("request", request))
            self.inbox.put_nowait(("closed", None))
        except Exception as error:  # the transport failed; end the conversation with it
            self.inbox.put_nowait(("failed", error))

    async def run(self) -> AsyncIterator[dialogue_pb2.ConverseResponse]:
        reader = asyncio.create_task(self._read())
        try:
            await self._open()
            while not (self.closed and self.current is None and not self.pending):
                kind, *payload = await self.inbox.get()
                if kind == "request":
                    await self._handle(payload[0])
                elif kind == "closed":
                    self.closed = True
                    if self.current is not None:
                        self.current.release_waiting()
                elif kind == "failed":
                    raise payload[0]
                elif kind == "turn_failed":
                    raise payload[1]
                elif kind == "turn":
                    turn, item = payload
                    if isinstance(item, TurnOutcome):
                        completed = await self.director.complete(turn.prepared, turn.delivered, item, turn.stop_reason)
                        self._finish(turn)
                        yield dialogue_pb2.ConverseResponse(turn_completed=completed)
                        if self.pending:
                            self._start_turn()
                        continue
                    name, message = item
                    if turn.stop_reason is not None and name != "turn_started":
                        continue  # made after the client stopped the turn: never delivered
                    turn.prepared.started = True
                    yield dialogue_pb2.ConverseResponse(**{name: message})
                    if name == "text_delta":
                        turn.delivered.add(message)
        finally:
            reader.cancel()
            await self._abandon()

    async def _open(self) -> None:
        kind, payload = await self.inbox.get()
        if kind == "failed":
            raise payload
        if kind != "request" or payload.WhichOneof("message") != "start":
            raise InvalidArgument("start", "the first message must be start {session_id, character_id, options}")
        start = payload.start
        session = await self.director.load_session(start.session_id, "start.session_id")
        self.character_id = self.director.answering_character_id(session, start.character_id, "start.character_id")
        await self.director.load_character(self.character_id, "start.character_id")
        self.sampling = self.director.sampling(start.options, "start.options")
        self.session_id = session.id

    async def _handle(self, request: dialogue_pb2.ConverseRequest) -> None:
        kind = request.WhichOneof("message")
        if kind == "utterance":
            inputs = self.director.inputs_of(request.utterance.text, None, "utterance.text", "")
            if not inputs:
                raise InvalidArgument("utterance.text", "is empty; send the player's words")
            self._submit(inputs, request.utterance.character_id)
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
            self._cancel(request.cancel.turn_id)
        elif kind == "start":
            raise InvalidArgument("start", "was already sent; a conversation has exactly one start message, first")
        else:
            raise InvalidArgument("message", "is empty; send one of utterance, event, action_result or cancel")

    def _submit(self, inputs: list[TurnInput], character_id: str) -> None:
        """Queue the inputs for the next turn; a turn still speaking is interrupted."""
        self.pending.extend(inputs)
        self.pending_character = character_id
        if self.current is None:
            self._start_turn()
        else:
            self.current.stop(Reason.TURN_END_REASON_INTERRUPTED)

    def _deliver_result(self, result: dialogue_pb2.ActionResult) -> None:
        future = self.current.waiting.get(result.call_id) if self.current else None
        if future is not None:
            if not future.done():
                future.set_result(result)
        elif result.call_id not in self.calls_made:
            raise InvalidArgument("action_result.call_id", f"{result.call_id!r} names no action call of this conversation")
        # A late or repeated result for a call that was made is harmless and ignored.

    def _cancel(self, turn_id: str) -> None:
        current = self.current
        if current is not None and (not turn_id or turn_id == current.turn_id):
            current.stop(Reason.TURN_END_REASON_CANCELLED)
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
                turn.prepared = await self.director.prepare(self.session_id, turn.character_id, turn.inputs, self.sampling,
                                                             TURN_FIELDS, turn.ctx)

                async def wait_for_result(call: dialogue_pb2.ActionCall):
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

                plan = turn.prepared.plan
                async with contextlib.aclosing(Turn(plan, turn.prepared.generator, turn.ctx, wait_for_result).events()) as events:
                    async for item in events:
                        if isinstance(item, TurnOutcome):
                            turn.outcome = item
                        self.inbox.put_nowait(("turn", turn, item))
                # Hold the session until the main loop has recorded the turn.
                await turn.finished.wait()
        except Exception as error:
            self.inbox.put_nowait(("turn_failed", turn, error))

    def _finish(self, turn: ActiveTurn) -> None:
        if turn.turn_id:
            self.finished_turns.add(turn.turn_id)
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
        if turn.prepared is not None and turn.prepared.started:
            self.director.record(turn.prepared, turn.delivered, turn.outcome, interrupted=True)
        self._finish(turn)

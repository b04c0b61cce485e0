"""Delivers one turn's events to one client stream and records the turn: the bookkeeping Say and Converse share."""

from __future__ import annotations

from worldsmith.dialogue.director import Delivered, PreparedTurn, TurnDirector
from worldsmith.dialogue.turns import TurnEvent, TurnOutcome


class Delivery:
    """One turn on its way to one client.

    For each item of `Turn.events()`: `send(item)` gives the event to stream (or None), and `sent(event)` is called
    once the stream took it. The outcome is answered with TurnCompleted, after the turn is recorded; `close()` at
    the end of the stream records a turn that began but did not complete as interrupted, with what the client
    received.
    """

    def __init__(self, director: TurnDirector, prepared: PreparedTurn):
        self.director = director
        self.prepared = prepared
        self.delivered = Delivered()
        self.outcome: TurnOutcome | None = None
        self.started = False  # the client has seen the turn begin: from then on it is recorded however it ends
        self.completed = False

    async def send(self, item: TurnEvent | TurnOutcome, stop_reason: int | None = None) -> TurnEvent | None:
        """The event to stream for `item`. `stop_reason` (INTERRUPTED or CANCELLED) says the client stopped the
        turn: its later events are never delivered, and TurnCompleted reports the stop."""
        if isinstance(item, TurnOutcome):
            self.outcome = item
            completed = await self.director.complete(self.prepared, self.delivered, item, stop_reason)
            self.completed = True
            return TurnEvent("turn_completed", completed)
        if stop_reason is not None and item.field != "turn_started":
            return None
        self.started = True
        return item

    def sent(self, event: TurnEvent) -> None:
        if event.field == "text_delta":
            self.delivered.add(event.message)

    def close(self) -> None:
        """The stream is ending: a turn that began and did not complete keeps what the client received."""
        if self.started and not self.completed:
            self.director.record(self.prepared, self.delivered, self.outcome, interrupted=True)

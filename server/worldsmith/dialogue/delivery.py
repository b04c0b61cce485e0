"""Delivers one turn's events to one client stream and records the turn: the bookkeeping Say and Converse share."""

from __future__ import annotations

from worldsmith.dialogue.director import Delivered, PreparedTurn, TurnDirector
from worldsmith.dialogue.spoken import SpokenTrack
from worldsmith.dialogue.turns import WORDS_ENDED, TurnEvent, TurnOutcome


class Delivery:
    """One turn on its way to one client.

    For each item of `Turn.events()`: `send(item)` gives the event to stream (or None), and `sent(event)` is called
    once the stream took it. The outcome is answered with TurnCompleted, after the turn is recorded; `close()` at
    the end of the stream records a turn that began but did not complete as interrupted, with what the client
    received.
    """

    def __init__(self, director: TurnDirector, prepared: PreparedTurn, track: SpokenTrack | None = None):
        self.director = director
        self.prepared = prepared
        self.track = track  # a spoken turn's sentences and where they lie in its audio
        self.delivered = Delivered()
        self.outcome: TurnOutcome | None = None
        self.started = False  # the client has seen the turn begin: from then on it is recorded however it ends
        self.completed = False

    async def send(self, item: TurnEvent | TurnOutcome, stop_reason: int | None = None,
                   played_ms: int | None = None) -> TurnEvent | None:
        """The event to stream for `item`. `stop_reason` (INTERRUPTED or CANCELLED) says the client stopped the
        turn: its later events are never delivered, and TurnCompleted reports the stop. `played_ms`, with it, says
        how much of a spoken turn's audio the player heard: the turn keeps the words heard by then."""
        if isinstance(item, TurnOutcome):
            self.outcome = item
            if stop_reason is not None and played_ms is not None and self.track is not None:
                self.delivered.utterances = self.track.heard(played_ms)
            completed = await self.director.complete(self.prepared, self.delivered, item, stop_reason)
            completed.audio_duration_ms = self.track.duration_ms if self.track is not None else 0.0
            self._remember_track()
            self.completed = True
            return TurnEvent("turn_completed", completed)
        if item.field == WORDS_ENDED or (stop_reason is not None and item.field != "turn_started"):
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
            self._remember_track()

    def _remember_track(self) -> None:
        """A spoken turn's audio may still be playing: keep its timing for what the player turns out to hear."""
        if self.track is not None and self.track.sentences:
            self.director.remember_spoken(self.prepared.session_id, self.prepared.plan.turn_id, self.track)

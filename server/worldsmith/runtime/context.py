"""CallContext: what travels with a request from the transport down to the model loop."""

from __future__ import annotations

import enum
import threading
import time
import uuid
from dataclasses import dataclass, field

from worldsmith.errors import Cancelled, DeadlineExceeded


class Lane(enum.IntEnum):
    """Priority lanes, highest first. Values match worldsmith.v1.Lane."""

    REALTIME = 1
    INTERACTIVE = 2
    BATCH = 3

    @classmethod
    def from_proto(cls, value: int, default: "Lane") -> "Lane":
        return cls(value) if value in cls._value2member_map_ else default


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's name (never the key) and its scopes."""

    key_id: str = "anonymous"
    scopes: frozenset[str] = frozenset()


@dataclass
class CallContext:
    """Cancellation, deadline, caller and lane of one call.

    `cancelled` is a threading.Event so model loops running in worker threads can poll it
    between tokens or diffusion steps.
    """

    lane: Lane = Lane.INTERACTIVE
    deadline: float | None = None  # time.monotonic() seconds
    caller: Caller = field(default_factory=Caller)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    method: str = ""
    cancelled: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def with_timeout(cls, seconds: float | None, **kwargs) -> "CallContext":
        deadline = None if seconds is None else time.monotonic() + seconds
        return cls(deadline=deadline, **kwargs)

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled.is_set()

    def time_remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise if the call was cancelled or its deadline has passed. Call between steps."""
        if self.cancelled.is_set():
            raise Cancelled()
        remaining = self.time_remaining()
        if remaining is not None and remaining <= 0:
            self.cancelled.set()
            raise DeadlineExceeded("the deadline passed while the work was running")

    def should_stop(self) -> bool:
        """Non-raising form of check(), for library callbacks that cannot raise."""
        try:
            self.check()
        except (Cancelled, DeadlineExceeded):
            return True
        return False

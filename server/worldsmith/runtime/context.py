"""CallContext: what travels with a request from the transport down to the model loop."""

from __future__ import annotations

import enum
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

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
    between tokens or diffusion steps; code that waits on something else registers `on_cancel`.
    """

    lane: Lane = Lane.INTERACTIVE
    deadline: float | None = None  # time.monotonic() seconds
    caller: Caller = field(default_factory=Caller)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    method: str = ""
    cancelled: threading.Event = field(default_factory=threading.Event)
    _on_cancel: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def with_timeout(cls, seconds: float | None, **kwargs) -> "CallContext":
        deadline = None if seconds is None else time.monotonic() + seconds
        return cls(deadline=deadline, **kwargs)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled.set()
            callbacks, self._on_cancel = self._on_cancel, []
        for callback in callbacks:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` once when the call is cancelled (at once if it already is; it runs in the cancelling
        thread). Returns a function that unregisters it."""
        with self._lock:
            if not self.cancelled.is_set():
                self._on_cancel.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._on_cancel:
                self._on_cancel.remove(callback)

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
            self.cancel()
            raise DeadlineExceeded("the deadline passed while the work was running")

    def should_stop(self) -> bool:
        """Non-raising form of check(), for library callbacks that cannot raise."""
        try:
            self.check()
        except (Cancelled, DeadlineExceeded):
            return True
        return False

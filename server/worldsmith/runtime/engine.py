"""Engine: one model's worker loop, fed by bounded priority lanes with bounded waits, batching compatible jobs."""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Hashable

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.errors import Cancelled, DeadlineExceeded, ResourceExhausted, WorldsmithError
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext, Lane

log = logging.getLogger(__name__)

_DONE = object()


@dataclass(frozen=True)
class LaneLimits:
    """How many jobs may wait in each lane before callers get RESOURCE_EXHAUSTED, and how long an
    interactive or batch job may wait before it is taken ahead of the lanes above it."""

    realtime: int = 64
    interactive: int = 16
    batch: int = 256
    interactive_max_wait_s: float = 2.0
    batch_max_wait_s: float = 10.0

    def for_lane(self, lane: Lane) -> int:
        return {Lane.REALTIME: self.realtime, Lane.INTERACTIVE: self.interactive, Lane.BATCH: self.batch}[lane]

    def max_wait(self, lane: Lane) -> float:
        """Seconds a job of this lane waits before it ages; realtime never needs to."""
        return {Lane.REALTIME: math.inf, Lane.INTERACTIVE: self.interactive_max_wait_s,
                Lane.BATCH: self.batch_max_wait_s}[lane]


class Job:
    """One request's work inside an engine. Worker threads emit events; the caller iterates them."""

    def __init__(self, payload: Any, ctx: CallContext, loop: asyncio.AbstractEventLoop, on_close: Callable[["Job"], None]):
        self.payload = payload
        self.ctx = ctx
        self.enqueued_at = time.monotonic()
        self.started_at: float | None = None
        self.batch_size = 1
        self.done = False
        self.progress: common_pb2.Progress | None = None  # the last it reported, for listing the engine's work
        self._on_close = on_close
        self._loop = loop
        self._events: asyncio.Queue = asyncio.Queue()

    def emit(self, event: Any) -> None:
        """Send an event (a proto message) to the caller. Safe from any thread."""
        if isinstance(event, common_pb2.Progress):
            self.progress = event
        self._post(event)

    def finish(self, result: Any = None) -> None:
        if result is not None:
            self.emit(result)
        self._close(_DONE)

    def fail(self, error: BaseException) -> None:
        self._close(error)

    def _close(self, marker: Any) -> None:
        if not self.done:
            self.done = True
            self._on_close(self)
            self._post(marker)

    def _post(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, item)
        except RuntimeError:  # the loop has closed: a step still running at shutdown has nobody left to tell
            pass

    async def events(self) -> AsyncIterator[Any]:
        """Queued updates, the engine's events, then the result; raises the job's error.

        Leaving the iteration early (client cancel, disconnect) cancels the job.
        """
        try:
            while True:
                event = await self._events.get()
                if event is _DONE:
                    return
                if isinstance(event, BaseException):
                    raise event
                yield event
        finally:
            if not self.done:
                self.ctx.cancel()


class Engine:
    """A model's worker loop. Subclasses set the hooks; the loop does lanes, batching and metrics.

    Lane policy: the highest waiting lane goes first, except that a job which has waited longer
    than its lane's bounded wait (`LaneLimits.max_wait`) is taken next, the most overdue first.
    Such a promotion never happens twice in a row while a higher lane waits, so realtime keeps at
    least half of the engine under any load and no lane starves.

    Hooks:
      batch_key(payload)   jobs with equal non-None keys may share one run_batch call
      run_batch(jobs)      runs in a worker thread; emits progress and calls job.finish / job.fail
    """

    name = "engine"
    concurrency = 1          # batches running at once
    max_batch_size = 1       # jobs per batch
    batch_window_s = 0.0     # how long a batch waits for compatible company

    def __init__(self, name: str | None = None, limits: LaneLimits | None = None):
        self.name = name or self.name
        self.limits = limits or LaneLimits()
        self._lanes: dict[Lane, collections.deque[Job]] = {lane: collections.deque() for lane in Lane}
        self._wakeup: asyncio.Event | None = None
        self._workers: list[asyncio.Task] = []
        self._executor: ThreadPoolExecutor | None = None
        self._running: set[Job] = set()
        self._mean_job_s: float | None = None
        self._promoted_last = False

    # -- hooks -------------------------------------------------------------------------
    def batch_key(self, payload: Any) -> Hashable | None:
        return None

    def run_batch(self, jobs: list[Job]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement run_batch(jobs)")

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self._workers:
            return
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"engine-{self.name}")
        self._workers = [asyncio.create_task(self._work(), name=f"engine-{self.name}-{i}") for i in range(self.concurrency)]

    async def stop(self) -> None:
        """Fail the queued jobs and cancel the running ones: they stop at their next token or step."""
        for lane in self._lanes.values():
            while lane:
                lane.popleft().fail(Cancelled("the engine is stopping"))
        for job in self._running:
            job.ctx.cancel()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -- admission ---------------------------------------------------------------------
    def running_jobs(self) -> list[Job]:
        return list(self._running)

    def queued_jobs(self) -> dict[Lane, list[Job]]:
        """Each lane's waiting jobs, next first."""
        return {lane: list(jobs) for lane, jobs in self._lanes.items()}

    def cancel(self, job: Job) -> None:
        """Stop a job: a queued one leaves its lane at once, a running one ends at its next token or step."""
        job.ctx.cancel()
        queue = self._lanes[job.ctx.lane]
        if job in queue:
            queue.remove(job)
            job.fail(Cancelled())
            self._set_depth_metrics()
            self._announce_positions()

    def queued(self) -> int:
        return sum(len(q) for q in self._lanes.values())

    def _eta(self, position: int) -> float:
        mean = self._mean_job_s or 0.0
        return mean * (position + len(self._running)) / max(1, self.concurrency * self.max_batch_size)

    def submit(self, payload: Any, ctx: CallContext) -> Job:
        """Queue a job in the context's lane, or refuse at once when the lane is full or the
        deadline cannot be met."""
        if not self._workers:
            raise RuntimeError(f"engine {self.name!r} is not started; call `await engine.start()` first")
        lane = self._lanes[ctx.lane]
        limit = self.limits.for_lane(ctx.lane)
        if len(lane) >= limit:
            metrics.REJECTED.labels(self.name, ctx.lane.name.lower()).inc()
            raise ResourceExhausted(
                f"the {ctx.lane.name.lower()} lane of {self.name!r} is full ({limit} waiting)",
                retry_after_s=max(0.5, self._eta(limit)),
            )
        position = self._position_if_added(ctx.lane)
        eta = self._eta(position)
        remaining = ctx.time_remaining()
        if remaining is not None and self._mean_job_s is not None and remaining < eta + self._mean_job_s:
            raise DeadlineExceeded(
                f"the deadline ({remaining:.2f} s left) cannot be met: about {eta + self._mean_job_s:.2f} s "
                f"of work is ahead in {self.name!r}"
            )
        job = Job(payload, ctx, asyncio.get_running_loop(), self._learn_duration)
        lane.append(job)
        self._set_depth_metrics()
        job.emit(common_pb2.Queued(position=position, eta_seconds=eta))
        self._wakeup.set()
        return job

    def _position_if_added(self, lane: Lane) -> int:
        return sum(len(self._lanes[l]) for l in Lane if l <= lane)

    def _learn_duration(self, job: Job) -> None:
        """Keep a moving average of seconds per job, for ETAs and deadline refusals."""
        if job.started_at is None:
            return
        elapsed = (time.monotonic() - job.started_at) / job.batch_size
        self._mean_job_s = elapsed if self._mean_job_s is None else 0.8 * self._mean_job_s + 0.2 * elapsed

    def _set_depth_metrics(self) -> None:
        for lane, queue in self._lanes.items():
            metrics.QUEUE_DEPTH.labels(self.name, lane.name.lower()).set(len(queue))

    # -- the loop ----------------------------------------------------------------------
    def _take_next(self) -> Job | None:
        self._drop_dead_heads()
        lane = self._choose_lane(time.monotonic())
        return None if lane is None else self._lanes[lane].popleft()

    def _drop_dead_heads(self) -> None:
        """Fail jobs at the front of each lane that were cancelled or missed their deadline while queued."""
        for queue in self._lanes.values():
            while queue:
                job = queue[0]
                remaining = job.ctx.time_remaining()
                if job.ctx.is_cancelled:
                    job.fail(Cancelled())
                elif remaining is not None and remaining <= 0:
                    job.fail(DeadlineExceeded("the deadline passed while the request was queued"))
                else:
                    break
                queue.popleft()

    def _overdue_s(self, lane: Lane, now: float) -> float:
        """How far the lane's oldest job is past its bounded wait (negative while it is within it)."""
        return now - self._lanes[lane][0].enqueued_at - self.limits.max_wait(lane)

    def _choose_lane(self, now: float) -> Lane | None:
        """The highest waiting lane, unless a lower lane's oldest job has aged past its bounded wait and
        the previous pick was not already such a promotion."""
        waiting = [lane for lane in Lane if self._lanes[lane]]
        if not waiting:
            return None
        aged = [lane for lane in waiting[1:] if self._overdue_s(lane, now) > 0]
        if aged and not self._promoted_last:
            self._promoted_last = True
            lane = max(aged, key=lambda lane: self._overdue_s(lane, now))
            metrics.PROMOTED.labels(self.name, lane.name.lower()).inc()
            return lane
        self._promoted_last = False
        return waiting[0]

    def _take_compatible(self, first: Job, room: int) -> list[Job]:
        key = self.batch_key(first.payload)
        if key is None or room <= 0:
            return []
        taken: list[Job] = []
        for lane in Lane:
            queue = self._lanes[lane]
            for job in list(queue):
                if len(taken) >= room:
                    return taken
                if not job.ctx.is_cancelled and self.batch_key(job.payload) == key:
                    queue.remove(job)
                    taken.append(job)
        return taken

    def _announce_positions(self) -> None:
        position = 0
        for lane in Lane:
            for job in self._lanes[lane]:
                job.emit(common_pb2.Queued(position=position, eta_seconds=self._eta(position)))
                position += 1

    async def _next_batch(self) -> list[Job]:
        while True:
            first = self._take_next()
            if first is not None:
                break
            self._wakeup.clear()
            await self._wakeup.wait()
        batch = [first]
        if self.max_batch_size > 1 and self.batch_window_s > 0 and self.batch_key(first.payload) is not None:
            await asyncio.sleep(self.batch_window_s)
        batch += self._take_compatible(first, self.max_batch_size - 1)
        self._set_depth_metrics()
        self._announce_positions()
        return batch

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._next_batch()
            started = time.monotonic()
            for job in batch:
                job.started_at, job.batch_size = started, len(batch)
                metrics.QUEUE_WAIT.labels(self.name, job.ctx.lane.name.lower()).observe(started - job.enqueued_at)
            metrics.BATCH_SIZE.labels(self.name).observe(len(batch))
            self._running.update(batch)
            try:
                await loop.run_in_executor(self._executor, self._run_guarded, batch)
            finally:
                self._running.difference_update(batch)

    def _run_guarded(self, batch: list[Job]) -> None:
        try:
            self.run_batch(batch)
        except WorldsmithError as error:
            for job in batch:
                job.fail(error)
        except Exception as error:  # a bug or a model fault, never the caller's mistake
            log.exception("engine %s failed a batch of %d", self.name, len(batch))
            for job in batch:
                job.fail(error)
        for job in batch:
            if not job.done:
                job.fail(Cancelled() if job.ctx.is_cancelled else RuntimeError(f"{self.name} ended a job without a result"))


class FunctionEngine(Engine):
    """An engine whose jobs are plain callables `fn(job)`: CPU generators (procedural
    textures, scenes, avatars) get the same lanes, queue events and metrics as models."""

    name = "cpu"

    def __init__(self, name: str = "cpu", concurrency: int = 2, limits: LaneLimits | None = None):
        super().__init__(name, limits)
        self.concurrency = concurrency

    def run_batch(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.ctx.check()
            job.finish(job.payload(job))

"""Lane policy: realtime first, but interactive and batch jobs that waited past their bound go next."""

from __future__ import annotations

import asyncio
import threading
import time

from prometheus_client import REGISTRY

from worldsmith.config import load_settings
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.engine import FunctionEngine, LaneLimits

STEP_S = 0.01


async def drain(job) -> list:
    return [event async for event in job.events()]


def recording(starts: list[tuple[Lane, float]], lane: Lane, seconds: float = STEP_S):
    def run(job):
        starts.append((lane, time.monotonic()))
        time.sleep(seconds)
        return lane
    return run


async def blocked_engine(limits: LaneLimits) -> tuple[FunctionEngine, threading.Event, object]:
    """A one-worker engine whose worker is held by a job until the returned gate is set."""
    engine = FunctionEngine("lanes", concurrency=1, limits=limits)
    await engine.start()
    gate = threading.Event()
    blocker = engine.submit(lambda job: gate.wait(5), CallContext(lane=Lane.REALTIME))
    await asyncio.sleep(0.05)
    return engine, gate, blocker


async def saturate_realtime(engine: FunctionEngine, starts: list, stop: asyncio.Event) -> list:
    """Keep at least eight realtime jobs queued until `stop` is set."""
    jobs = []
    while not stop.is_set():
        while sum(1 for job in jobs if not job.done and job.started_at is None) < 8:
            jobs.append(engine.submit(recording(starts, Lane.REALTIME), CallContext(lane=Lane.REALTIME)))
        await asyncio.sleep(STEP_S / 2)
    return jobs


async def test_aged_interactive_and_batch_jobs_are_served_under_saturating_realtime_load():
    limits = LaneLimits(interactive_max_wait_s=0.2, batch_max_wait_s=0.4)
    engine = FunctionEngine("lanes", concurrency=1, limits=limits)
    await engine.start()
    starts: list[tuple[Lane, float]] = []
    stop = asyncio.Event()
    try:
        feeder = asyncio.create_task(saturate_realtime(engine, starts, stop))
        await asyncio.sleep(0.1)
        lower = []
        for lane in [Lane.INTERACTIVE, Lane.BATCH, Lane.INTERACTIVE, Lane.BATCH]:
            lower.append(engine.submit(recording(starts, lane), CallContext(lane=lane)))
            await asyncio.sleep(0.15)
        await asyncio.wait_for(asyncio.gather(*(drain(job) for job in lower)), timeout=30)
        await asyncio.sleep(0.1)
        stop.set()
        realtime_jobs = await feeder
        await asyncio.gather(*(drain(job) for job in realtime_jobs), return_exceptions=True)
    finally:
        stop.set()
        await engine.stop()

    realtime_starts = [at for lane, at in starts if lane is Lane.REALTIME]
    lower_starts = [at for lane, at in starts if lane is not Lane.REALTIME]
    assert max(realtime_starts) > max(lower_starts), "realtime stayed saturated while the lower lanes were served"
    for job in lower:
        aged_at = job.enqueued_at + limits.max_wait(job.ctx.lane)
        # Once aged, a job is taken at the next pick, or the one after when another aged job went first.
        realtime_in_between = sum(1 for at in realtime_starts if aged_at < at < job.started_at)
        others_in_between = sum(1 for at in lower_starts if aged_at < at < job.started_at)
        assert realtime_in_between <= others_in_between + 1, (job.ctx.lane, realtime_in_between, others_in_between)


async def test_realtime_goes_first_while_nothing_has_aged():
    engine, gate, blocker = await blocked_engine(LaneLimits(interactive_max_wait_s=30, batch_max_wait_s=30))
    starts: list[tuple[Lane, float]] = []
    try:
        lanes = [Lane.BATCH, Lane.INTERACTIVE, Lane.REALTIME, Lane.BATCH, Lane.REALTIME, Lane.INTERACTIVE]
        jobs = [engine.submit(recording(starts, lane, 0), CallContext(lane=lane)) for lane in lanes]
        gate.set()
        await asyncio.gather(drain(blocker), *(drain(job) for job in jobs))
        assert [lane for lane, _ in starts] == [Lane.REALTIME] * 2 + [Lane.INTERACTIVE] * 2 + [Lane.BATCH] * 2
    finally:
        gate.set()
        await engine.stop()


async def test_aged_jobs_alternate_with_realtime_so_realtime_keeps_half():
    engine, gate, blocker = await blocked_engine(LaneLimits(interactive_max_wait_s=0.01))
    starts: list[tuple[Lane, float]] = []
    try:
        interactive = [engine.submit(recording(starts, Lane.INTERACTIVE, 0), CallContext(lane=Lane.INTERACTIVE))
                       for _ in range(3)]
        await asyncio.sleep(0.05)  # every interactive job is past its bound
        realtime = [engine.submit(recording(starts, Lane.REALTIME, 0), CallContext(lane=Lane.REALTIME))
                    for _ in range(3)]
        gate.set()
        await asyncio.gather(drain(blocker), *(drain(job) for job in interactive + realtime))
        assert [lane for lane, _ in starts] == [Lane.INTERACTIVE, Lane.REALTIME] * 3
    finally:
        gate.set()
        await engine.stop()


async def test_the_most_overdue_lane_is_promoted_and_counted():
    engine, gate, blocker = await blocked_engine(LaneLimits(interactive_max_wait_s=0.2, batch_max_wait_s=0.01))
    starts: list[tuple[Lane, float]] = []
    promoted = lambda lane: REGISTRY.get_sample_value("worldsmith_lane_promotions_total", {"engine": "lanes", "lane": lane}) or 0
    before = promoted("batch")
    try:
        jobs = [engine.submit(recording(starts, lane, 0), CallContext(lane=lane))
                for lane in [Lane.INTERACTIVE, Lane.BATCH, Lane.REALTIME, Lane.REALTIME]]
        await asyncio.sleep(0.05)  # batch is past its bound, interactive is not
        gate.set()
        await asyncio.gather(drain(blocker), *(drain(job) for job in jobs))
        assert [lane for lane, _ in starts] == [Lane.BATCH, Lane.REALTIME, Lane.REALTIME, Lane.INTERACTIVE]
        assert promoted("batch") == before + 1
    finally:
        gate.set()
        await engine.stop()


def test_bounded_waits_come_from_the_config(monkeypatch):
    monkeypatch.setenv("WORLDSMITH_LANES__BATCH_MAX_WAIT_S", "45")
    settings = load_settings()
    limits = LaneLimits(**settings.lanes.model_dump())
    assert limits.max_wait(Lane.BATCH) == 45
    assert limits.max_wait(Lane.INTERACTIVE) == settings.lanes.interactive_max_wait_s == 2.0
    assert limits.max_wait(Lane.REALTIME) == float("inf")

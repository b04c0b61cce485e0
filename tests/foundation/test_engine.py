"""Engine lanes: priority, bounded queues, deadlines, cancellation between steps, batching."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.errors import DeadlineExceeded, ResourceExhausted
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.engine import Engine, FunctionEngine, LaneLimits


async def drain(job) -> list:
    return [event async for event in job.events()]


async def test_a_full_lane_answers_resource_exhausted_at_once():
    engine = FunctionEngine("test", concurrency=1, limits=LaneLimits(realtime=1, interactive=1, batch=1))
    await engine.start()
    gate = threading.Event()
    try:
        running = engine.submit(lambda job: gate.wait(5), CallContext(lane=Lane.BATCH))
        await asyncio.sleep(0.05)  # the worker takes it; the batch lane is empty again
        waiting = engine.submit(lambda job: "second", CallContext(lane=Lane.BATCH))
        started = time.monotonic()
        with pytest.raises(ResourceExhausted) as refused:
            engine.submit(lambda job: "third", CallContext(lane=Lane.BATCH))
        assert time.monotonic() - started < 0.05
        assert refused.value.retry_after_s > 0
        # Another lane still has room.
        other = engine.submit(lambda job: "realtime", CallContext(lane=Lane.REALTIME))
        gate.set()
        assert (await drain(other))[-1] == "realtime"
        assert (await drain(waiting))[-1] == "second"
        await drain(running)
    finally:
        gate.set()
        await engine.stop()


async def test_higher_lanes_are_served_first():
    engine = FunctionEngine("test", concurrency=1)
    await engine.start()
    gate = threading.Event()
    order: list[str] = []
    try:
        blocker = engine.submit(lambda job: gate.wait(5), CallContext(lane=Lane.BATCH))
        await asyncio.sleep(0.05)
        jobs = [engine.submit(lambda job, name=name: order.append(name), CallContext(lane=lane))
                for name, lane in [("batch", Lane.BATCH), ("interactive", Lane.INTERACTIVE), ("realtime", Lane.REALTIME)]]
        gate.set()
        await asyncio.gather(drain(blocker), *(drain(job) for job in jobs))
        assert order == ["realtime", "interactive", "batch"]
    finally:
        gate.set()
        await engine.stop()


async def test_queued_events_report_the_position():
    engine = FunctionEngine("test", concurrency=1)
    await engine.start()
    gate = threading.Event()
    try:
        blocker = engine.submit(lambda job: gate.wait(5), CallContext())
        await asyncio.sleep(0.05)
        second = engine.submit(lambda job: "done", CallContext())
        third = engine.submit(lambda job: "done", CallContext())
        gate.set()
        events = await drain(third)
        positions = [event.position for event in events if isinstance(event, common_pb2.Queued)]
        assert positions[0] == 1 and positions[-1] == 0
        await asyncio.gather(drain(blocker), drain(second))
    finally:
        gate.set()
        await engine.stop()


async def test_cancel_stops_work_at_the_next_step():
    steps_after_cancel = 0
    cancelled_at = threading.Event()

    def stepper(job):
        nonlocal steps_after_cancel
        for step in range(1000):
            job.ctx.check()
            if cancelled_at.is_set():
                steps_after_cancel += 1
            job.emit(common_pb2.Progress(stage="step", step=step, total=1000))
            time.sleep(0.002)

    engine = FunctionEngine("test", concurrency=1)
    await engine.start()
    try:
        job = engine.submit(stepper, CallContext())
        async for event in job.events():
            if isinstance(event, common_pb2.Progress) and event.step == 5:
                cancelled_at.set()
                break  # leaving the stream is what a client cancel does
        await asyncio.sleep(0.1)
        assert job.done
        assert steps_after_cancel <= 1
    finally:
        await engine.stop()


async def test_a_deadline_that_cannot_be_met_is_refused_before_work_starts():
    engine = FunctionEngine("test", concurrency=1)
    await engine.start()
    try:
        await drain(engine.submit(lambda job: time.sleep(0.2), CallContext()))  # teaches the engine a job takes ~0.2 s
        ran = threading.Event()
        with pytest.raises(DeadlineExceeded):
            engine.submit(lambda job: ran.set(), CallContext.with_timeout(0.05))
        assert not ran.is_set()
    finally:
        await engine.stop()


class PairingEngine(Engine):
    """Batches payloads with the same key; records each batch it ran."""

    max_batch_size = 4
    batch_window_s = 0.05

    def __init__(self):
        super().__init__("pairing")
        self.batches: list[list[str]] = []

    def batch_key(self, payload):
        return payload[0]

    def run_batch(self, jobs):
        self.batches.append(sorted(job.payload for job in jobs))
        for job in jobs:
            job.finish(job.payload)


async def test_compatible_jobs_share_a_batch():
    engine = PairingEngine()
    await engine.start()
    try:
        jobs = [engine.submit(payload, CallContext()) for payload in ["a1", "b1", "a2", "a3"]]
        await asyncio.gather(*(drain(job) for job in jobs))
        assert sorted(engine.batches) == [["a1", "a2", "a3"], ["b1"]]
    finally:
        await engine.stop()

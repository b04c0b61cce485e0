"""AdminService.ListJobs and CancelJob on a live server: running and queued work per lane, cancelled by its own
key or an admin's, refused for another editor's."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from harness import auth, channel_to
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, common_pb2, scene_pb2, scene_pb2_grpc


def _long_scene(lane: int) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, lane=lane, skip_preview=True,
                                          interior=scene_pb2.InteriorParameters(object_count=400))


async def test_jobs_are_listed_per_lane_and_cancelled_by_their_own_key(stack, scenes):
    async with channel_to(stack) as channel:
        admin = admin_pb2_grpc.AdminServiceStub(channel)
        scene = scene_pb2_grpc.SceneServiceStub(channel)
        # The CPU engine runs two at once: a third waits in its lane.
        calls = []
        for lane in (common_pb2.LANE_INTERACTIVE, common_pb2.LANE_INTERACTIVE):
            calls.append(scene.GenerateScene(_long_scene(lane), metadata=auth("editor")))
            while not (await calls[-1].read()).HasField("progress"):
                pass
        calls.append(scene.GenerateScene(_long_scene(common_pb2.LANE_BATCH), metadata=auth("editor")))
        jobs = await _wait_for(admin, lambda jobs: len(jobs) == 3)
        running = [job for job in jobs if job.state == admin_pb2.JOB_STATE_RUNNING]
        queued = [job for job in jobs if job.state == admin_pb2.JOB_STATE_QUEUED]
        assert len(running) == 2 and all(job.progress.stage == "layout" and job.progress.step >= 1 for job in running)
        assert [(job.lane, job.position, job.engine) for job in queued] == [(common_pb2.LANE_BATCH, 0, "cpu")]
        assert {job.method for job in jobs} == {"/worldsmith.v1.SceneService/GenerateScene"}
        assert {job.key_name for job in jobs} == {"editor"}

        cancelled = await admin.CancelJob(admin_pb2.CancelJobRequest(request_id=queued[0].request_id), metadata=auth("editor"))
        assert [job.request_id for job in cancelled.jobs] == [queued[0].request_id]
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            [event async for event in calls[2]]
        assert gone.value.code() == grpc.StatusCode.CANCELLED

        await admin.CancelJob(admin_pb2.CancelJobRequest(request_id=running[0].request_id), metadata=auth("admin"))
        await admin.CancelJob(admin_pb2.CancelJobRequest(request_id=running[1].request_id), metadata=auth("editor"))
        await _wait_for(admin, lambda jobs: not jobs)
        for call in calls:
            call.cancel()


async def test_cancel_job_errors_name_what_is_wrong(stack):
    async with channel_to(stack) as channel:
        admin = admin_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await admin.CancelJob(admin_pb2.CancelJobRequest(), metadata=auth("editor"))
        assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "request_id" in missing.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await admin.CancelJob(admin_pb2.CancelJobRequest(request_id="nope"), metadata=auth("editor"))
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as runtime:
            await admin.ListJobs(admin_pb2.ListJobsRequest(), metadata=auth("runtime"))
        assert runtime.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def _wait_for(admin, done, timeout: float = 10.0) -> list:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        jobs = list((await admin.ListJobs(admin_pb2.ListJobsRequest(), metadata=auth("editor"))).jobs)
        if done(jobs) or asyncio.get_running_loop().time() > deadline:
            assert done(jobs), jobs
            return jobs
        await asyncio.sleep(0.05)

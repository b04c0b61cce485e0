"""Long streams over the wire: a full lane, a client cancel, and SIGTERM mid-stream."""

from __future__ import annotations

import asyncio
import signal

import grpc
from google.rpc import error_details_pb2

from harness import CHANNEL_OPTIONS, KEYS, ServerProcess, auth, channel_to, running, settings_for
from harness import rich_status
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2, scene_pb2_grpc


def slow_terrain(seed: int = 1) -> scene_pb2.GenerateSceneRequest:
    """A fraction of a second of CPU work on this machine, reported stage by stage."""
    return scene_pb2.GenerateSceneRequest(
        kind=scene_pb2.SCENE_KIND_TERRAIN, prompt="hills with trees", seed=seed,
        bounds=common_pb2.Vec3(x=256, y=40, z=256), terrain=scene_pb2.TerrainParameters(resolution=257),
    )


async def collect(call) -> list[str]:
    return [response.WhichOneof("event") async for response in call]


async def test_a_full_lane_refuses_at_once_with_retry_info(tmp_path):
    # One job may wait in the interactive lane; the CPU engine runs two at once.
    async with running(settings_for(tmp_path, lanes={"interactive": 1})) as server:
        async with channel_to(server) as channel:
            stub = scene_pb2_grpc.SceneServiceStub(channel)
            outcomes = await asyncio.gather(
                *(collect(stub.GenerateScene(slow_terrain(seed), metadata=auth("editor"))) for seed in range(1, 6)),
                return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    finished = [o for o in outcomes if isinstance(o, list)]
    assert refused and all(error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED for error in refused)
    assert all(events[-1] == "result" for events in finished) and len(finished) >= 3
    details = rich_status(refused[0]).details
    assert any(detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR) for detail in details)


async def test_a_client_cancel_frees_the_engine(tmp_path):
    async with running(settings_for(tmp_path)) as server:
        async with channel_to(server) as channel:
            stub = scene_pb2_grpc.SceneServiceStub(channel)
            call = stub.GenerateScene(slow_terrain(), metadata=auth("editor"))
            async for response in call:
                if response.WhichOneof("event") == "progress":
                    call.cancel()
                    break
            await asyncio.sleep(0.5)
            assert server.core.cpu_engine.queued() == 0
            # The engine serves the next caller normally.
            events = await collect(stub.GenerateScene(slow_terrain(2), metadata=auth("editor")))
    assert events[-1] == "result"


def test_sigterm_during_a_stream_lets_it_finish_then_exits(tmp_path):
    server = ServerProcess(["--data-dir", str(tmp_path)], env={"WORLDSMITH_SERVER__GRACE_PERIOD_S": "30"}).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}", options=CHANNEL_OPTIONS) as channel:
            stream = scene_pb2_grpc.SceneServiceStub(channel).GenerateScene(
                slow_terrain(), metadata=(("authorization", f"Bearer {KEYS['editor']}"),))
            events = []
            for response in stream:
                events.append(response.WhichOneof("event"))
                if len(events) == 1:
                    server.signal(signal.SIGTERM)
        code, output = server.wait(timeout=60)
    finally:
        server.kill()
    assert events[-1] == "result", events
    assert code == 0, output

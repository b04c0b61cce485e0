"""The Godot add-on's own connect_call.gd and worldsmith_client.gd, interpreted, against a live server."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2

from tests.clients import godot_engine
from tests.clients.gdscript import JSON, Instance, PackedByteArray, Runtime
from harness import KEYS, free_port
from worldsmith._proto.worldsmith.v1 import common_pb2

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "clients" / "godot" / "addons" / "worldsmith"
DEMO = REPO / "examples" / "godot_demo" / "main.gd"
SCENE = "worldsmith.v1.SceneService/GenerateScene"
SERVER_INFO = "worldsmith.v1.AdminService/GetServerInfo"


@pytest.fixture(scope="module")
def godot() -> Runtime:
    return Runtime([ADDON / "connect_call.gd", ADDON / "envelope.gd"], godot_engine.GLOBALS)


def _scene_request(objects: int, seed: int = 9, kind: str = "SCENE_KIND_INTERIOR") -> dict:
    return {"kind": kind, "seed": str(seed), "interior": {"objectCount": objects}, "skipPreview": True}


async def _run_call(godot: Runtime, base_url: str, method: str, request: dict, *, streaming: bool,
                    key: str = KEYS["editor"], timeout_s: float = 30.0, on_message=None) -> Instance:
    """WorldsmithCall.new(method, streaming).start(...) until `finished`, in a worker thread: the
    script polls its HTTPClient (a blocking socket here) while the server runs on this loop."""
    call = godot.scripts["WorldsmithCall"].new(method, streaming)
    finished = []
    call["finished"].connect(finished.append)
    if on_message is not None:
        call["message_received"].connect(lambda message: on_message(call, message))
    await asyncio.wait_for(asyncio.to_thread(call.call, "start", base_url, key, request, timeout_s), timeout=60)
    assert call["is_done"] and finished == [call["error"]], "finished is emitted exactly once, with the error"
    return call


def _base_url(stack) -> str:
    return f"http://127.0.0.1:{stack.http.port}"


def _bad_request(detail: dict) -> error_details_pb2.BadRequest:
    assert detail["type"] == "google.rpc.BadRequest"
    return error_details_pb2.BadRequest.FromString(base64.b64decode(detail["value"] + "=="))


async def test_unary_call(stack, godot):
    call = await _run_call(godot, _base_url(stack), SERVER_INFO, {}, streaming=False)
    assert call["error"] == {}
    info = call["messages"][0]
    assert info["version"] and {s["name"] for s in info["services"]} >= {"worldsmith.v1.SceneService"}
    request = call["_http"].last_request.decode()
    assert request.startswith(f"POST /{SERVER_INFO} HTTP/1.1\r\n")


async def test_stream_arrives_message_by_message(stack, godot):
    arrivals = []
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=4), streaming=True,
                           on_message=lambda _, message: arrivals.append(message))
    assert call["error"] == {}
    assert arrivals == call["messages"]
    progress = [m["progress"] for m in arrivals if "progress" in m]
    assert [(p["stage"], p["step"], p["total"]) for p in progress] == [("layout", i, 4) for i in range(1, 5)]
    result = arrivals[-1]["result"]
    assert len(result["graph"]["nodes"]) == 4 and result["recipe"]["seed"] == "9"
    assert call["_envelopes"].call("pending_bytes") == 0


async def test_a_url_prefix_is_kept_and_a_bad_url_is_refused(stack, godot):
    call = await _run_call(godot, _base_url(stack) + "/", SERVER_INFO, {}, streaming=False)
    assert call["error"] == {}
    call = await _run_call(godot, f"127.0.0.1:{stack.http.port}", SERVER_INFO, {}, streaming=False)
    assert call["error"]["code"] == "invalid_argument" and "http://host:port" in call["error"]["message"]
    split = godot.scripts["WorldsmithCall"].call("_split_url", "https://worlds.example/api/")
    assert split == {"host": "worlds.example", "port": 443, "tls": True, "prefix": "/api"}


async def test_stream_error_carries_bad_request(stack, godot):
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=5000), streaming=True)
    assert call["messages"] == []
    assert call["error"]["code"] == "invalid_argument"
    violation = _bad_request(call["error"]["details"][0]).field_violations[0]
    assert violation.field == "interior.object_count" and "at most 1000" in violation.description


async def test_unknown_enum_name_is_invalid_argument(stack, godot):
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=2, kind="SCENE_KIND_CASTLE"),
                           streaming=True)
    assert call["error"]["code"] == "invalid_argument"
    assert _bad_request(call["error"]["details"][0]).field_violations[0].field == "request"


async def test_unary_error_is_connect_error_json(stack, godot):
    call = await _run_call(godot, _base_url(stack), SERVER_INFO, {"verbose": True}, streaming=False)
    assert call["messages"] == []
    assert call["error"]["code"] == "invalid_argument" and "verbose" in call["error"]["message"]
    assert _bad_request(call["error"]["details"][0]).field_violations[0].field == "request"


async def test_unknown_method_is_unimplemented(stack, godot):
    call = await _run_call(godot, _base_url(stack), "worldsmith.v1.SceneService/Teleport", {}, streaming=False)
    assert call["error"]["code"] == "unimplemented"


async def test_missing_key_and_wrong_scope(stack, godot, scenes):
    call = await _run_call(godot, _base_url(stack), SERVER_INFO, {}, streaming=False, key="")
    assert call["error"]["code"] == "unauthenticated"
    assert b"authorization" not in call["_http"].last_request.lower()

    before = scenes.steps_run
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=3), streaming=True, key="")
    assert call["messages"] == [] and call["error"]["code"] == "unauthenticated"
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=3), streaming=True,
                           key=KEYS["runtime"])
    assert call["error"]["code"] == "permission_denied"
    assert scenes.steps_run == before


async def test_cancel_mid_stream_stops_the_work(stack, godot, scenes):
    def cancel_on_progress(call, message):
        if "progress" in message:
            call.call("cancel")

    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=200), streaming=True,
                           on_message=cancel_on_progress)
    assert call["error"]["code"] == "canceled"
    assert len(call["messages"]) < 200
    assert await scenes.steps_after() == 0
    assert scenes.steps_run < 200


async def test_deadline_stops_the_work(stack, godot, scenes):
    call = await _run_call(godot, _base_url(stack), SCENE, _scene_request(objects=200), streaming=True,
                           timeout_s=0.3)
    assert call["error"]["code"] == "deadline_exceeded"
    assert 0 < len(call["messages"]) < 200
    assert await scenes.steps_after() == 0


class _StoppedClock:
    @staticmethod
    def get_ticks_msec() -> int:
        return 0


async def test_server_enforces_the_deadline_the_client_sends(stack, scenes):
    """With the script's clock stopped only the server can end the call: it must have been told."""
    scripts = [ADDON / "connect_call.gd", ADDON / "envelope.gd"]
    stopped = Runtime(scripts, {**godot_engine.GLOBALS, "Time": _StoppedClock})
    call = await _run_call(stopped, _base_url(stack), SCENE, _scene_request(objects=200), streaming=True,
                           timeout_s=0.3)
    assert call["error"]["code"] == "deadline_exceeded"
    assert 0 < len(call["messages"]) < 200
    assert await scenes.steps_after() == 0


async def test_request_over_the_size_limit_is_refused(stack, godot):
    request = {**_scene_request(objects=1), "prompt": "x" * 100_000}
    call = await _run_call(godot, _base_url(stack), SCENE, request, streaming=True)
    assert call["error"]["code"] == "resource_exhausted"


async def test_server_not_listening_is_unavailable(godot):
    call = await _run_call(godot, f"http://127.0.0.1:{free_port()}", SERVER_INFO, {}, streaming=False)
    assert call["error"]["code"] == "unavailable"


def _project(settings: dict, environment: dict) -> Runtime:
    """The demo project's scripts, with these project settings and environment variables."""
    engine = {**godot_engine.GLOBALS, "ProjectSettings": godot_engine.ProjectSettings(settings),
              "OS": godot_engine.OS(environment)}
    return Runtime([ADDON / "worldsmith_client.gd", ADDON / "connect_call.gd", ADDON / "envelope.gd", DEMO], engine)


def _autoload(settings: dict, environment: dict) -> Instance:
    """The `Worldsmith` autoload (worldsmith_client.gd)."""
    return _project(settings, environment).scripts["WorldsmithClient"].new()


async def test_autoload_reads_project_settings_and_the_environment_key_wins(stack):
    settings = {"worldsmith/server/url": _base_url(stack), "worldsmith/server/api_key": "stale-key"}
    client = _autoload(settings, {"WORLDSMITH_API_KEY": KEYS["editor"]})
    assert client["timeout_s"] == 30.0
    reply = await asyncio.wait_for(asyncio.to_thread(client.call, "unary", SERVER_INFO, {}), timeout=60)
    assert reply["error"] == {} and reply["messages"][0]["version"]

    client = _autoload(settings, {})
    reply = await asyncio.wait_for(asyncio.to_thread(client.call, "unary", SERVER_INFO, {}), timeout=60)
    described = client.script.call("describe", reply["error"])
    assert described.startswith("unauthenticated: ") and client.script.call("describe", {}) == "ok"


async def test_the_demo_stores_its_blacksmith_and_builds_its_room(stack):
    project = _project({"worldsmith/server/url": _base_url(stack)}, {"WORLDSMITH_API_KEY": KEYS["editor"]})
    demo, client = project.by_path[DEMO], project.scripts["WorldsmithClient"].new()
    upsert = "worldsmith.v1.DialogueService/UpsertCharacter"
    stored = await asyncio.wait_for(
        asyncio.to_thread(client.call, "unary", upsert, {"character": demo.consts["BLACKSMITH"]}), timeout=60)
    assert stored["error"] == {} and stored["messages"][0]["character"]["id"] == "blacksmith"
    room = await asyncio.wait_for(
        asyncio.to_thread(client.call, "stream", SCENE, demo.consts["ROOM"], 60.0), timeout=60)
    assert room["error"] == {} and "result" in room["messages"][-1]


def test_bytes_fields_decode_as_the_server_encodes_them():
    png = b"\x89PNG\r\n\x1a\n preview"
    progress = JSON.parse_string(json_format.MessageToJson(common_pb2.Progress(step=1, total=2, preview_png=png)))
    client = _autoload({}, {}).script
    assert bytes(client.call("bytes_field", progress, "previewPng")) == png
    assert bytes(client.call("bytes_field", progress, "missing")) == b""


def test_envelopes_survive_any_cut(godot):
    envelope = godot.scripts["WorldsmithEnvelope"]
    first = envelope.call("encode", PackedByteArray(b'{"a":1}'))
    end = envelope.call("encode", PackedByteArray(b"{}"), envelope.consts["FLAG_END_STREAM"])
    stream = bytes(first + end)
    assert stream == b'\x00\x00\x00\x00\x07{"a":1}\x02\x00\x00\x00\x02{}'
    for cut in range(len(stream) + 1):
        reader = envelope.new()
        parts = reader.call("feed", PackedByteArray(stream[:cut])) + reader.call("feed", PackedByteArray(stream[cut:]))
        assert [(p["flags"], bytes(p["data"])) for p in parts] == [(0, b'{"a":1}'), (2, b"{}")]
        assert reader.call("pending_bytes") == 0


def test_request_body_is_compact_json_enveloped_for_streams(godot):
    call = godot.scripts["WorldsmithCall"]
    unary = bytes(call.call("request_body", False, {"seed": "9", "interior": {"objectCount": 2}}))
    assert json.loads(unary) == {"seed": "9", "interior": {"objectCount": 2}}
    streamed = bytes(call.call("request_body", True, {"seed": "9"}))
    assert streamed[0] == 0 and int.from_bytes(streamed[1:5], "big") == len(streamed) - 5
    assert json.loads(streamed[5:]) == {"seed": "9"}

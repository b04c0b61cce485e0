"""The /studio/ mount beside the Connect app: built files, the page's limits, a missing build, and everything else passed on."""

from __future__ import annotations

import asyncio
import json

from harness import settings_for
from worldsmith.api.studio import StudioMount


async def get(app, path: str) -> tuple[int, dict[str, str], bytes]:
    sent = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():  # the request, then a client that stays until the response ends
        if requests:
            return requests.pop()
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [], "scheme": "http", "server": ("127.0.0.1", 8080), "http_version": "1.1"}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def connect_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"connect")]})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


def mount(tmp_path, built: bool) -> StudioMount:
    if built:
        (tmp_path / "index.html").write_text("<title>studio</title>")
        (tmp_path / "studio.js").write_text("console.log(1)")
    settings = settings_for(tmp_path, server={"max_message_bytes": 5000})
    return StudioMount(connect_app, settings, dist=tmp_path)


async def test_built_files_are_served_under_the_prefix(tmp_path):
    app = mount(tmp_path, built=True)
    assert (await get(app, "/studio/"))[2] == b"<title>studio</title>"
    status, headers, body = await get(app, "/studio/studio.js")
    assert (status, body) == (200, b"console.log(1)") and "javascript" in headers["content-type"]
    assert (await get(app, "/studio"))[0] == 307
    assert (await get(app, "/studio/missing.js"))[0] == 404


async def test_the_page_learns_the_largest_message_the_server_reads(tmp_path):
    status, _, body = await get(mount(tmp_path, built=True), "/studio/config.json")
    assert status == 200 and json.loads(body) == {"max_message_bytes": 5000}


async def test_a_missing_build_says_how_to_build_it(tmp_path):
    status, _, body = await get(mount(tmp_path, built=False), "/studio/")
    assert status == 503 and b"make studio" in body


async def test_other_paths_reach_the_connect_app(tmp_path):
    for path in ("/worldsmith.v1.DialogueService/Say", "/studios", "/"):
        status, headers, body = await get(mount(tmp_path, built=True), path)
        assert headers["x-app"] == "connect" and body == path.encode()

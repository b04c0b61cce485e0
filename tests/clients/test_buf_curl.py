"""`buf curl` calls a streaming RPC on the HTTP/1.1 listener over Connect and over gRPC-Web."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness import KEYS, REPO, TOOLS_BIN

BUF = TOOLS_BIN / "buf"
SCENE = "worldsmith.v1.SceneService/GenerateScene"


@pytest.mark.skipif(not BUF.exists(), reason="buf comes from `make tools`")
@pytest.mark.parametrize("protocol", ["connect", "grpcweb"])
async def test_buf_curl_streams_over_http1(stack, protocol):
    request = {"kind": "SCENE_KIND_INTERIOR", "seed": "5", "interior": {"objectCount": 2}}
    process = await asyncio.create_subprocess_exec(
        str(BUF), "curl", "--schema", str(REPO), "--protocol", protocol,
        "-H", f"authorization: Bearer {KEYS['editor']}", "--data", json.dumps(request),
        f"http://127.0.0.1:{stack.http.port}/{SCENE}",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    # buf curl prints each streamed message as a JSON document.
    decoder, text, messages = json.JSONDecoder(), stdout.decode().strip(), []
    while text:
        message, end = decoder.raw_decode(text)
        messages.append(message)
        text = text[end:].strip()
    assert [m["progress"]["step"] for m in messages if "progress" in m] == [1, 2]
    assert len(messages[-1]["result"]["graph"]["nodes"]) == 2


@pytest.mark.skipif(not BUF.exists(), reason="buf comes from `make tools`")
async def test_buf_curl_reports_errors(stack):
    process = await asyncio.create_subprocess_exec(
        str(BUF), "curl", "--schema", str(REPO), "--protocol", "connect",
        "--data", "{}", f"http://127.0.0.1:{stack.http.port}/{SCENE}",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert "unauthenticated" in stderr.decode()

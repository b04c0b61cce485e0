"""Raw HTTP/1.1 exchanges for conformance tests: exact request bytes, answers read in small pieces."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field

import h11


def raw_request(port: int, method: str, headers: list[str], body: bytes) -> bytes:
    """A POST of `body` to /method with our header lines, then Host and Content-Length."""
    lines = [f"POST /{method} HTTP/1.1", *headers, f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def envelope(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


class EnvelopeReader:
    """Feed any chunking, get whole (flags, payload) envelopes."""

    def __init__(self):
        self.buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[int, bytes]]:
        self.buffer += chunk
        complete = []
        while len(self.buffer) >= 5:
            flags, length = struct.unpack(">BI", self.buffer[:5])
            if len(self.buffer) < 5 + length:
                break
            complete.append((flags, self.buffer[5 : 5 + length]))
            self.buffer = self.buffer[5 + length :]
        return complete


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    chunks: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


class Exchange:
    """One HTTP/1.1 request written byte for byte, its response parsed by h11 as it arrives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, read_size: int):
        self.reader, self.writer, self.read_size = reader, writer, read_size
        self.client = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, port: int, raw_request: bytes, read_size: int = 7) -> "Exchange":
        # h11 checks that the bytes are a well-formed request and tracks the client side's state.
        server = h11.Connection(h11.SERVER)
        server.receive_data(raw_request)
        request = server.next_event()
        assert isinstance(request, h11.Request), f"not a valid HTTP/1.1 request: {raw_request[:200]!r}"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        exchange = cls(reader, writer, read_size)
        exchange.client.send(h11.Request(method=request.method, target=request.target, headers=request.headers))
        body = server.next_event()
        exchange.client.send(h11.Data(data=body.data) if isinstance(body, h11.Data) else h11.EndOfMessage())
        if isinstance(body, h11.Data):
            exchange.client.send(h11.EndOfMessage())
        writer.write(raw_request)
        await writer.drain()
        return exchange

    async def _next(self):
        while True:
            event = self.client.next_event()
            if event is not h11.NEED_DATA:
                return event
            self.client.receive_data(await self.reader.read(self.read_size))

    async def response(self) -> Response:
        event = await self._next()
        assert isinstance(event, h11.Response), event
        headers = {k.decode().lower(): v.decode() for k, v in event.headers}
        return Response(event.status_code, headers)

    async def body_chunks(self):
        """Body bytes as they arrive, in pieces of at most read_size."""
        while True:
            event = await self._next()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return

    async def read_all(self, response: Response) -> Response:
        async for chunk in self.body_chunks():
            response.chunks.append(chunk)
        return response

    def close(self) -> None:
        self.writer.close()


def grpc_web_trailers(payload: bytes) -> dict[str, str]:
    """A gRPC-Web trailer frame's 'name: value' lines."""
    lines = payload.decode().strip().split("\r\n")
    return {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}

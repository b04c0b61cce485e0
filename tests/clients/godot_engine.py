"""The Godot 4 engine classes the add-on's client code uses, HTTPClient on a real socket among them."""

from __future__ import annotations

import base64
import socket
import time

import h11

from tests.clients.gdscript import PackedByteArray, Signal, Vector2

OK = 0
ERR_INVALID_PARAMETER = 31
ERR_UNAVAILABLE = 2


class HTTPClient:
    """Godot 4's HTTPClient: connect_to_host, request_raw, then poll() until the status moves on.
    It writes the request as Godot's HTTPClientTCP::request does (the caller's header lines, then
    Host, Content-Length, User-Agent and Accept where the caller gave none) and reads the answer
    `read_size` bytes per poll, so the script meets every way a body can be cut."""

    STATUS_DISCONNECTED, STATUS_RESOLVING, STATUS_CANT_RESOLVE, STATUS_CONNECTING = 0, 1, 2, 3
    STATUS_CANT_CONNECT, STATUS_CONNECTED, STATUS_REQUESTING, STATUS_BODY = 4, 5, 6, 7
    STATUS_CONNECTION_ERROR, STATUS_TLS_HANDSHAKE_ERROR = 8, 9
    METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH")
    METHOD_GET, METHOD_HEAD, METHOD_POST = 0, 1, 2

    read_size = 7
    read_chunk_size = 65536

    @classmethod
    def new(cls) -> "HTTPClient":
        return cls()

    def __init__(self):
        self.status = self.STATUS_DISCONNECTED
        self.host, self.port = "", 0
        self.sock: socket.socket | None = None
        self.protocol: h11.Connection | None = None
        self.response: h11.Response | None = None
        self.body = bytearray()
        self.body_complete = False
        self.last_request = b""

    def connect_to_host(self, host: str, port: int = -1, tls_options=None) -> int:
        if tls_options is not None:
            return ERR_UNAVAILABLE  # the tests talk plain HTTP on loopback
        self.close()
        self.host, self.port = host, port if port > 0 else 80
        self.status = self.STATUS_RESOLVING
        return OK

    def get_status(self) -> int:
        return self.status

    def poll(self) -> int:
        if self.status in (self.STATUS_RESOLVING, self.STATUS_CONNECTING):
            try:
                self.sock = socket.create_connection((self.host, self.port), timeout=5)
                self.status = self.STATUS_CONNECTED
            except OSError:
                self.status = self.STATUS_CANT_CONNECT
        elif self.status in (self.STATUS_REQUESTING, self.STATUS_BODY) and not self.body_complete:
            self._read()
        return OK

    def request_raw(self, method: int, url: str, headers: list[str], body: bytes) -> int:
        if self.status != self.STATUS_CONNECTED or not url.startswith("/"):
            return ERR_INVALID_PARAMETER
        for header in headers:
            if header.strip().find(":") < 1:
                return ERR_INVALID_PARAMETER  # Godot's verify_headers
        lines = [f"{self.METHODS[method]} {url} HTTP/1.1", *headers]

        def given(name: str) -> bool:
            return any(h.lower().startswith(name.lower() + ":") for h in headers)

        if not given("Host"):
            lines.append(f"Host: {self.host}" + ("" if self.port == 80 else f":{self.port}"))
        if body and not given("Content-Length"):
            lines.append(f"Content-Length: {len(body)}")
        if not given("User-Agent"):
            lines.append("User-Agent: GodotEngine/4.4.stable (Linux)")
        if not given("Accept"):
            lines.append("Accept: */*")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + bytes(body)
        self.protocol = _client_connection(raw)
        self.last_request = raw
        self.sock.sendall(raw)
        self.response, self.body, self.body_complete = None, bytearray(), False
        self.status = self.STATUS_REQUESTING
        return OK

    def _read(self) -> None:
        self.sock.settimeout(0.05)
        try:
            data = self.sock.recv(self.read_size)
        except TimeoutError:
            return
        except OSError:
            self.status = self.STATUS_CONNECTION_ERROR
            return
        self.protocol.receive_data(data)
        while True:
            event = self.protocol.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Response):
                self.response = event
                self.status = self.STATUS_BODY
            elif isinstance(event, h11.Data):
                self.body.extend(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.body_complete = True
                if not self.body:
                    self.status = self.STATUS_CONNECTED
                break
            elif isinstance(event, h11.ConnectionClosed):
                self.status = self.STATUS_DISCONNECTED
                break

    def has_response(self) -> bool:
        return self.response is not None

    def get_response_code(self) -> int:
        return self.response.status_code if self.response else 0

    def read_response_body_chunk(self) -> PackedByteArray:
        chunk = PackedByteArray(self.body[: self.read_chunk_size])
        del self.body[: self.read_chunk_size]
        if self.body_complete and not self.body:
            self.status = self.STATUS_CONNECTED
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.status = self.STATUS_DISCONNECTED


def _client_connection(raw: bytes) -> h11.Connection:
    """An h11 client that has sent `raw`; parsing it as a server first proves it is valid HTTP/1.1."""
    server = h11.Connection(h11.SERVER)
    server.receive_data(raw)
    request = server.next_event()
    assert isinstance(request, h11.Request), f"not a valid HTTP/1.1 request: {raw[:200]!r}"
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=request.method, target=request.target, headers=request.headers))
    while not isinstance(event := server.next_event(), h11.EndOfMessage):
        client.send(h11.Data(data=event.data))
    client.send(h11.EndOfMessage())
    return client


class ProjectSettings:
    """The project's settings (project.godot); get_setting falls back to the default given."""

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

    def get_setting(self, name: str, default=None):
        return self.settings.get(name, default)


class OS:
    def __init__(self, environment: dict[str, str] | None = None):
        self.environment = environment or {}

    def get_environment(self, name: str) -> str:
        return self.environment.get(name, "")


class Marshalls:
    @staticmethod
    def base64_to_raw(text: str) -> PackedByteArray:
        return PackedByteArray(base64.b64decode(text))


class TLSOptions:
    @staticmethod
    def client(trusted_chain=None, common_name_override: str = "") -> "TLSOptions":
        return TLSOptions()


class Time:
    @staticmethod
    def get_ticks_msec() -> int:
        return int(time.monotonic() * 1000)


class AudioStreamGenerator:
    """A stream the script fills frame by frame."""

    def __init__(self):
        self.mix_rate, self.buffer_length = 44100.0, 0.5

    @classmethod
    def new(cls) -> "AudioStreamGenerator":
        return cls()


class AudioStreamGeneratorPlayback:
    """The generator's ring buffer: `mix_rate * buffer_length` frames; `play(n)` is the audio device taking n."""

    def __init__(self, stream: AudioStreamGenerator):
        self.capacity = int(stream.mix_rate * stream.buffer_length)
        self.buffered: list[float] = []  # the left channel of each frame not yet played
        self.played: list[float] = []

    def get_frames_available(self) -> int:
        return self.capacity - len(self.buffered)

    def push_frame(self, frame: Vector2) -> bool:
        if len(self.buffered) >= self.capacity:
            return False
        self.buffered.append(frame.x)
        return True

    def clear_buffer(self) -> None:
        self.buffered.clear()

    def play(self, frames: int) -> None:
        self.played += self.buffered[:frames]
        del self.buffered[:frames]


class AudioStreamPlayer:
    def __init__(self):
        self.stream, self.playing, self._playback = None, False, None

    def play(self) -> None:
        self.playing = True
        self._playback = AudioStreamGeneratorPlayback(self.stream)

    def get_stream_playback(self) -> AudioStreamGeneratorPlayback:
        return self._playback


class MeshInstance3D:
    """A mesh with named blend shapes; `weights` is what the script set on each."""

    def __init__(self, blend_shapes: list[str]):
        self.blend_shapes = list(blend_shapes)
        self.weights = dict.fromkeys(blend_shapes, 0.0)

    def find_blend_shape_by_name(self, name: str) -> int:
        return self.blend_shapes.index(name) if name in self.blend_shapes else -1

    def set_blend_shape_value(self, index: int, value: float) -> None:
        self.weights[self.blend_shapes[index]] = value


class SceneTree:
    """The main loop; awaiting process_frame lets one frame (a millisecond here) pass."""

    def __init__(self):
        self.process_frame = Signal("process_frame", on_await=lambda: time.sleep(0.001))


class Engine:
    main_loop = SceneTree()

    @staticmethod
    def get_main_loop() -> SceneTree:
        return Engine.main_loop


GLOBALS = {
    "HTTPClient": HTTPClient, "TLSOptions": TLSOptions, "Time": Time, "Engine": Engine, "Marshalls": Marshalls,
    "AudioStreamGenerator": AudioStreamGenerator,
    "ProjectSettings": ProjectSettings(), "OS": OS(), "OK": OK, "ERR_INVALID_PARAMETER": ERR_INVALID_PARAMETER,
}

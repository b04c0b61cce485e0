"""Speech test helpers: a server that speaks, a stream's audio and visemes gathered, a generated avatar's shape keys."""

from __future__ import annotations

import io
import wave

import numpy as np
import pygltflib

from harness import auth
from worldsmith._proto.worldsmith.v1 import avatar_pb2, avatar_pb2_grpc

SPEECH_MODEL = {"speech": {"kind": "speech", "source": "package:hibari"}}


def decoded(pcm: bytes, sample_rate: int) -> np.ndarray:
    """The PCM16 track written as a WAV file and read back, as a game's audio import would: floats in [-1, 1]."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(sample_rate)
        file.writeframes(pcm)
    buffer.seek(0)
    with wave.open(buffer, "rb") as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, sample_rate)
        frames = file.readframes(file.getnframes())
    return np.frombuffer(frames, "<i2").astype(np.float32) / 32767.0


def is_speech(audio: np.ndarray) -> bool:
    """Loud enough to hear, and not a constant: RMS above -40 dBFS with a peak above -20 dBFS."""
    return audio.size > 0 and float(np.sqrt(np.mean(audio ** 2))) > 0.01 and float(np.max(np.abs(audio))) > 0.1


async def avatar_shape_keys(channel) -> set[str]:
    """The blend shape names on a freshly generated avatar's mesh, read from its GLB."""
    stub = avatar_pb2_grpc.AvatarServiceStub(channel)
    result = None
    async for event in stub.CreateAvatar(avatar_pb2.CreateAvatarRequest(description="dwarf blacksmith", seed=3, lods=[1.0],
                                                                       texture_size=256), metadata=auth("runtime")):
        if event.WhichOneof("event") == "result":
            result = event.result
    gltf = pygltflib.GLTF2.load_from_bytes(result.glb)
    return {name for mesh in gltf.meshes if mesh.extras for name in mesh.extras.get("targetNames", [])}

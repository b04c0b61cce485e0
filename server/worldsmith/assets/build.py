"""`worldsmith build`: generates every manifest entry through the services, incrementally and atomically.

The build calls the same RPC implementations the server runs through a `Caller`: in this
process (the command line's `InProcessCaller`, over the assembled services) or over gRPC
(`RemoteCaller`), both in the batch lane, so both give the same bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Protocol

import grpc
from google.protobuf import json_format, message_factory

from worldsmith._proto.worldsmith.v1 import admin_pb2, common_pb2, dialogue_pb2, speech_pb2
from worldsmith.assets import outputs, speech_files
from worldsmith.assets.lockfile import LockedEntry, LockFile, recipe_hash
from worldsmith.assets.manifest import KINDS, Entry, Manifest
from worldsmith.dialogue.card_files import load_file
from worldsmith.errors import WorldsmithError
from worldsmith.store.files import write_atomic

ADMIN = admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name
DIALOGUE = KINDS["barks"].service  # barks are Say turns; the build also stores their character there
SPEECH = speech_pb2.DESCRIPTOR.services_by_name["SpeechService"].full_name  # voiced barks are read aloud there

# Which model kinds shape each entry kind's output.
MODEL_KINDS = {
    "texture": {admin_pb2.MODEL_KIND_DIFFUSION},
    "scene": {admin_pb2.MODEL_KIND_TEXT_GENERATOR},
    "avatar": {admin_pb2.MODEL_KIND_TEXT_GENERATOR},
    "barks": {admin_pb2.MODEL_KIND_TEXT_GENERATOR, admin_pb2.MODEL_KIND_EMBEDDER, admin_pb2.MODEL_KIND_SPEECH},
}


class Caller(Protocol):
    async def unary(self, service: str, method: str, request: Any) -> Any: ...
    def stream(self, service: str, method: str, request: Any) -> AsyncIterator[Any]: ...


class RemoteCaller:
    """Calls a running server over gRPC with an editor key."""

    def __init__(self, target: str, key: str | None, max_message_bytes: int = 256 * 1024 * 1024):
        options = [("grpc.max_receive_message_length", max_message_bytes), ("grpc.max_send_message_length", max_message_bytes)]
        self._channel = grpc.aio.insecure_channel(target, options=options)
        self._metadata = (("authorization", f"Bearer {key}"),) if key else ()

    def _method(self, service: str, method: str):
        from google.protobuf import descriptor_pool

        descriptor = descriptor_pool.Default().FindServiceByName(service).methods_by_name[method]
        return f"/{service}/{method}", message_factory.GetMessageClass(descriptor.output_type)

    async def unary(self, service: str, method: str, request: Any) -> Any:
        path, response_class = self._method(service, method)
        call = self._channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
        return await call(request, metadata=self._metadata)

    async def stream(self, service: str, method: str, request: Any) -> AsyncIterator[Any]:
        path, response_class = self._method(service, method)
        call = self._channel.unary_stream(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
        async for response in call(request, metadata=self._metadata):
            yield response

    async def close(self) -> None:
        await self._channel.close()


def describe_error(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    if isinstance(error, WorldsmithError):
        return f"{error.code}: {error.message}"
    return f"{type(error).__name__}: {error}"


@dataclass
class EntryOutcome:
    name: str
    status: str  # "built", "up to date", "failed"
    reason: str = ""
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[str, str, int, int], None]  # entry name, stage, step, total


class Builder:
    def __init__(self, manifest: Manifest, caller: Caller, parallel: int | None = None):
        self.manifest = manifest
        self.caller = caller
        self.parallel = max(1, parallel or manifest.parallel)
        self.lock = LockFile.read(manifest.lock_path)
        self._lock_guard = asyncio.Lock()
        self._backends: dict[str, dict] = {}

    async def _describe_backends(self) -> None:
        info = await self.caller.unary(ADMIN, "GetServerInfo", admin_pb2.GetServerInfoRequest())
        for kind, model_kinds in MODEL_KINDS.items():
            models = sorted((m.name, m.source, m.revision) for m in info.models if m.kind in model_kinds)
            self._backends[kind] = {"worldsmith": info.version, "models": models}
        self._model_names = {m.name for m in info.models if m.kind == admin_pb2.MODEL_KIND_DIFFUSION}

    def _request_dict(self, entry: Entry) -> dict:
        if entry.request is not None:
            return json_format.MessageToDict(entry.request, preserving_proto_field_name=True)
        return dict(entry.fields)

    def expected_hash(self, entry: Entry) -> str:
        return recipe_hash(entry.kind.name, self._request_dict(entry), self._backends[entry.kind.name])

    def preflight(self) -> list[tuple[int, str]]:
        """Problems only a running service can see (an unknown model), with manifest lines."""
        problems = []
        for entry in self.manifest.entries:
            model = entry.fields.get("model")
            if entry.kind.name == "texture" and model and model != "procedural" and model not in self._model_names:
                problems.append((entry.where("model"), f"texture {entry.name!r}: unknown model {model!r} "
                                                       f"(configured diffusion models: {', '.join(sorted(self._model_names)) or 'none'}; or 'procedural')"))
        return problems

    async def prepare(self) -> list[tuple[int, str]]:
        await self._describe_backends()
        return self.preflight()

    def stale(self) -> dict[str, list[str]]:
        """Entries whose outputs are missing, changed, or whose recipe changed, with the reasons."""
        result = {}
        for entry in self.manifest.entries:
            problems = self.lock.problems(entry.name, self.expected_hash(entry), self.manifest.root)
            if problems:
                result[entry.name] = problems
        return result

    async def build(self, progress: Progress | None = None, force: bool = False) -> list[EntryOutcome]:
        progress = progress or (lambda *args: None)
        stale = self.stale()
        semaphore = asyncio.Semaphore(self.parallel)

        async def one(entry: Entry) -> EntryOutcome:
            if not force and entry.name not in stale:
                return EntryOutcome(entry.name, "up to date")
            async with semaphore:
                started = time.monotonic()
                progress(entry.name, "starting", 0, 0)
                try:
                    files = await self._generate(entry, progress)
                    written = await asyncio.to_thread(self._write, entry, files)
                    await self._record(entry, written)
                except Exception as error:  # one entry's failure never stops the others
                    progress(entry.name, "failed", 0, 0)
                    return EntryOutcome(entry.name, "failed", describe_error(error), seconds=time.monotonic() - started)
                progress(entry.name, "done", 1, 1)
                return EntryOutcome(entry.name, "built", files=list(written), seconds=time.monotonic() - started)

        return list(await asyncio.gather(*(one(entry) for entry in self.manifest.entries)))

    async def _generate(self, entry: Entry, progress: Progress) -> dict[str, bytes]:
        if entry.kind.name == "barks":
            lines = await self._barks(entry, progress)
            files = outputs.barks_files(entry.name, lines)
            if entry.fields.get("voiced"):
                files.update(await self._voiced(entry, lines, progress))
            return files
        request = type(entry.request)()
        request.CopyFrom(entry.request)
        request.lane = common_pb2.LANE_BATCH
        result = None
        async for response in self.caller.stream(entry.kind.service, entry.kind.method, request):
            event = response.WhichOneof("event")
            if event == "progress":
                progress(entry.name, response.progress.stage, response.progress.step, response.progress.total)
            elif event == "queued":
                progress(entry.name, f"queued #{response.queued.position}", 0, 0)
            elif event == "result":
                result = response.result
        if result is None:
            raise RuntimeError("the stream ended without a result")
        return outputs.WRITERS[entry.kind.name](entry.name, result)

    async def _barks(self, entry: Entry, progress: Progress) -> dict[str, list[str]]:
        fields = entry.fields
        if fields.get("character_file"):
            # The same files `worldsmith characters import` and `chat` read: cards and lore, JSON or TOML.
            characters, lore = load_file(self.manifest.root / fields["character_file"])
            for card in characters:
                await self.caller.unary(DIALOGUE, "UpsertCharacter", dialogue_pb2.UpsertCharacterRequest(character=card))
            if lore:
                await self.caller.unary(DIALOGUE, "UpsertLore", dialogue_pb2.UpsertLoreRequest(entries=lore))
        situations, per = fields["situations"], fields.get("lines_per_situation", 1)
        lines: dict[str, list[str]] = {}
        total, done = len(situations) * per, 0
        for i, situation in enumerate(situations):
            for k in range(per):
                # A fresh session per line: each bark is independent of the others.
                session_id = f"build-{entry.name}-{i}-{k}"
                await self.caller.unary(DIALOGUE, "CreateSession", dialogue_pb2.CreateSessionRequest(session_id=session_id, character_ids=[fields["character"]]))
                try:
                    options = dialogue_pb2.GenerationOptions(seed=fields.get("seed", 0) + 1000 * i + k, max_new_tokens=fields.get("max_new_tokens", 0))
                    say = dialogue_pb2.SayRequest(session_id=session_id, character_id=fields["character"], event=dialogue_pb2.GameEvent(description=situation),
                                                  options=options, lane=common_pb2.LANE_BATCH)
                    text = ""
                    async for response in self.caller.stream(DIALOGUE, "Say", say):
                        if response.WhichOneof("event") == "turn_completed":
                            text = response.turn_completed.text
                    lines.setdefault(situation, []).append(text)
                finally:
                    await self.caller.unary(DIALOGUE, "DeleteSession", dialogue_pb2.DeleteSessionRequest(session_id=session_id))
                done += 1
                progress(entry.name, "lines", done, total)
        return lines

    async def _voiced(self, entry: Entry, lines: dict[str, list[str]], progress: Progress) -> dict[str, bytes]:
        """Each line read aloud in its character's voice: `<name>_<situation>_<line>.wav` and `.visemes.json` beside it."""
        card = (await self.caller.unary(DIALOGUE, "GetCharacter", dialogue_pb2.GetCharacterRequest(character_id=entry.fields["character"]))).character
        files: dict[str, bytes] = {}
        total, done = sum(len(texts) for texts in lines.values()), 0
        for i, texts in enumerate(lines.values()):
            for k, text in enumerate(texts):
                request = speech_pb2.SpeakRequest(text=text, voice=card.voice, seed=entry.fields.get("seed", 0) + 1000 * i + k,
                                                  lane=common_pb2.LANE_BATCH)
                spoken = await speech_files.collect(self.caller.stream(SPEECH, "Speak", request))
                stem = f"{entry.name}_{i + 1}_{k + 1}"
                files[f"{stem}.wav"] = speech_files.wav_bytes(spoken)
                files[f"{stem}.visemes.json"] = speech_files.visemes_json(spoken)
                done += 1
                progress(entry.name, "voices", done, total)
        return files

    def _write(self, entry: Entry, files: dict[str, bytes]) -> dict[str, str]:
        """Write each file atomically; remove files an earlier build of this entry made and this one did not."""
        # A build killed mid-write leaves only temporary files (never a half-written output); sweep them.
        for leftover in entry.output.glob(".*.tmp") if entry.output.is_dir() else ():
            leftover.unlink(missing_ok=True)
        written = {}
        for filename, data in sorted(files.items()):
            path = entry.output / filename
            write_atomic(path, data)
            written[str(path.relative_to(self.manifest.root))] = hashlib.sha256(data).hexdigest()
        previous = self.lock.entries.get(entry.name)
        for relative in (previous.outputs if previous else {}):
            stale = (self.manifest.root / relative).resolve()
            if relative not in written and stale.is_relative_to(entry.output):  # the lock is untrusted: only this entry's folder
                stale.unlink(missing_ok=True)
        return written

    async def _record(self, entry: Entry, written: dict[str, str]) -> None:
        """The lock is rewritten after every entry, so an interrupted build resumes where it stopped."""
        async with self._lock_guard:
            self.lock.entries[entry.name] = LockedEntry(entry.kind.name, self.expected_hash(entry), written)
            await asyncio.to_thread(self.lock.write)

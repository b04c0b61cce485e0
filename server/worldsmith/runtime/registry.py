"""Model registry: loads configured models at start-up, keeps them resident, loads and unloads at run time.

Services reach a model only through a `ModelProvider`, asked on each call. The policy for a
service's models, the same in every domain: a model the config leaves unset means the service's
model-free path (keyword planner, rule parser, procedural paint, BM25), logged at assembly, or,
for a model the service cannot do without, NOT_SERVING naming the config key to set; a model the
config names that is not ready (loading, failed, unloaded) makes the service NOT_SERVING with the
reason, and each call that needs it fails with UNAVAILABLE and that reason (retryable: the load
may finish, or AdminService.LoadModel may load it). A model one service lends another (the
textures' diffusion model painting avatar atlases) is used only while it is ready.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, TypeVar

from worldsmith._proto.worldsmith.v1 import admin_pb2
from worldsmith.config import ModelConfig, RuntimeConfig
from worldsmith.errors import NotFound, Unavailable
from worldsmith.runtime import devices, heap, metrics
from worldsmith.runtime.engine import LaneLimits

log = logging.getLogger(__name__)

# Each kind's module exposes `load(source, revision, device, dtype, limits, **options) -> ResidentEngine`.
LOADER_MODULES = {
    "transformers": "worldsmith.runtime.text_generator",
    "llama.cpp": "worldsmith.runtime.llama_cpp",
    "diffusers": "worldsmith.runtime.diffusion",
    "sentence-transformers": "worldsmith.runtime.embedder",
    "hibari": "worldsmith.runtime.speech_hibari",
}


def engine_of(config: ModelConfig) -> str:
    """The engine that serves this model: its LOADER_MODULES key, as ModelInfo.engine reports it."""
    if config.kind == "text-generator":
        return config.text_engine
    return {"diffusion": "diffusers", "embedder": "sentence-transformers", "speech": "hibari"}[config.kind]


class ResidentEngine(Protocol):
    """What the registry needs of every engine it keeps resident."""

    name: str

    def warmup(self) -> None: ...
    def memory_bytes(self) -> int: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


EngineT = TypeVar("EngineT", covariant=True)


class ModelProvider(Protocol[EngineT]):
    """The resident engine of one configured model, looked up on each call, so a model loaded
    later is picked up; raises Unavailable with the reason while the model is not ready."""

    def __call__(self) -> EngineT: ...


KIND_TO_PROTO = {
    "text-generator": admin_pb2.MODEL_KIND_TEXT_GENERATOR,
    "diffusion": admin_pb2.MODEL_KIND_DIFFUSION,
    "embedder": admin_pb2.MODEL_KIND_EMBEDDER,
    "speech": admin_pb2.MODEL_KIND_SPEECH,
}


@dataclass
class ModelEntry:
    name: str
    config: ModelConfig
    state: int = admin_pb2.MODEL_STATE_UNLOADED
    engine: ResidentEngine | None = None
    device: str = ""
    dtype: str = ""
    error: str = ""
    load_seconds: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def info(self) -> admin_pb2.ModelInfo:
        memory = self.engine.memory_bytes() if self.engine is not None else 0
        facts = getattr(self.engine, "facts", None)  # what a GGUF file says of itself
        return admin_pb2.ModelInfo(
            name=self.name, kind=KIND_TO_PROTO[self.config.kind], source=self.config.source,
            revision=self.engine.revision if facts else self.config.revision, device=self.device, dtype=self.dtype,
            state=self.state, memory_bytes=memory, error=self.error, load_seconds=self.load_seconds,
            engine=engine_of(self.config),
            architecture=facts.architecture if facts else "", quantization=facts.quantization if facts else "",
            license=facts.license if facts else "", sha256=facts.sha256 if facts else "",
        )


class ModelRegistry:
    """Owns every configured model. `get(name)` returns the resident engine or raises
    Unavailable with the reason, so services can answer while others fail."""

    def __init__(self, models: dict[str, ModelConfig], limits: LaneLimits, options: dict[str, dict] | None = None,
                 runtime: RuntimeConfig | None = None):
        self._entries = {name: ModelEntry(name, config) for name, config in models.items()}
        self._limits = limits
        self._options = options or {}
        self._listeners: list[Callable[[], None]] = []
        self._remote = None
        if runtime is not None and runtime.executor == "ray":  # imported only then: Ray is a large import
            from worldsmith.runtime.ray_executor import RayExecutor

            self._remote = RayExecutor(runtime, models, limits, self._options)

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def names(self) -> list[str]:
        return list(self._entries)

    def entry(self, name: str) -> ModelEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise NotFound(f"model {name!r} is not in the config (configured: {', '.join(self._entries) or 'none'})") from None

    def get(self, name: str) -> ResidentEngine:
        entry = self.entry(name)
        if entry.state != admin_pb2.MODEL_STATE_READY:
            raise Unavailable(self.reason(name))
        return entry.engine

    def provider(self, name: str, key: str) -> ModelProvider[ResidentEngine]:
        """The provider of model `name`, which the config key `key` names; with no name, a provider
        whose Unavailable says which key to set."""

        def provide() -> ResidentEngine:
            if not name:
                raise Unavailable(f"{key} is not set in the config, so no model serves this")
            return self.get(name)

        return provide

    def reason(self, name: str) -> str:
        """Why a model is not ready, in words an operator can act on ('' when ready)."""
        entry = self.entry(name)
        return {
            admin_pb2.MODEL_STATE_READY: "",
            admin_pb2.MODEL_STATE_LOADING: f"model {name!r} is still loading",
            admin_pb2.MODEL_STATE_UNLOADED: f"model {name!r} is unloaded (AdminService.LoadModel loads it)",
            admin_pb2.MODEL_STATE_FAILED: f"model {name!r} failed to load: {entry.error}",
        }[entry.state]

    def info(self) -> list[admin_pb2.ModelInfo]:
        return [entry.info() for entry in self._entries.values()]

    def resident(self) -> dict[str, ResidentEngine]:
        """Every model that is loaded, by name."""
        return {name: entry.engine for name, entry in self._entries.items() if entry.engine is not None}

    async def load_all(self) -> None:
        for name in self._entries:
            await self.load(name)
        heap.freeze_live_objects()  # with no model configured too: torch and transformers are imported

    async def load(self, name: str) -> admin_pb2.ModelInfo:
        entry = self.entry(name)
        async with entry.lock:
            if entry.state == admin_pb2.MODEL_STATE_READY:
                return entry.info()
            entry.state, entry.error = admin_pb2.MODEL_STATE_LOADING, ""
            self._changed()
            started = time.monotonic()
            try:
                engine = await asyncio.to_thread(self._load_and_warm, entry)
                await engine.start()
            except Exception as error:  # any load failure is reported, never fatal to the server
                entry.state, entry.error = admin_pb2.MODEL_STATE_FAILED, _explain(entry.config, error)
                log.error("model %s failed to load: %s", name, entry.error)
            else:
                entry.engine, entry.state = engine, admin_pb2.MODEL_STATE_READY
                entry.load_seconds = time.monotonic() - started
                heap.freeze_live_objects()
                metrics.MODEL_MEMORY.labels(name, entry.device).set(engine.memory_bytes())
                log.info("model %s ready on %s (%s) in %.1f s", name, entry.device, entry.dtype, entry.load_seconds)
            metrics.MODEL_READY.labels(name).set(1 if entry.state == admin_pb2.MODEL_STATE_READY else 0)
            self._changed()
            return entry.info()

    def _load_and_warm(self, entry: ModelEntry) -> ResidentEngine:
        config = entry.config
        if self._remote is not None:
            engine = self._remote.load(entry.name)
            entry.device, entry.dtype = f"ray:{engine.device}", engine.dtype
        else:
            engine, entry.device, entry.dtype = load_engine(config, self._limits, self._options.get(entry.name, {}))
        engine.name = entry.name
        return engine

    async def unload(self, name: str) -> admin_pb2.ModelInfo:
        entry = self.entry(name)
        async with entry.lock:
            engine, entry.engine = entry.engine, None
            entry.state, entry.error = admin_pb2.MODEL_STATE_UNLOADED, ""
            if engine is not None:
                await engine.stop()
                del engine
                heap.thaw()
                heap.freeze_live_objects()  # its collection frees what the model left in reference cycles
                _release_cached_accelerator_memory()
            metrics.MODEL_READY.labels(name).set(0)
            metrics.MODEL_MEMORY.labels(name, entry.device).set(0)
            self._changed()
            return entry.info()

    async def close(self) -> None:
        """Stop every engine at once. The process is ending: memory goes back at exit, with no collection here."""
        engines = []
        for entry in self._entries.values():
            if entry.engine is not None:
                engines.append(entry.engine)
                entry.engine, entry.state = None, admin_pb2.MODEL_STATE_UNLOADED
                metrics.MODEL_READY.labels(entry.name).set(0)
        await asyncio.gather(*(engine.stop() for engine in engines))
        heap.thaw()  # what is left is freed as usual at exit


def load_engine(config: ModelConfig, limits: LaneLimits, options: dict) -> tuple[ResidentEngine, str, str]:
    """Load and warm one model in this process, as a local front or a Ray replica does: (engine, device, dtype)."""
    local = Path(config.source).expanduser()
    if config.source.startswith(("/", "./", "../", "~")) and not (local.is_dir() or local.is_file()):
        raise FileNotFoundError(f"model folder {config.source} does not exist (make one with `worldsmith models make-tiny DIR`)")
    # The speech engine runs onnxruntime's CPU provider whatever the machine has.
    device = "cpu" if config.kind == "speech" else devices.pick_device(config.device)
    dtype = devices.pick_dtype(device, config.dtype, config.kind)
    engine_name = engine_of(config)
    options = dict(options)
    if engine_name == "llama.cpp" and config.threads:
        options["threads"] = config.threads
    module = importlib.import_module(LOADER_MODULES[engine_name])
    engine = module.load(config.source, config.revision, device, dtype, limits, **options)
    facts = getattr(engine, "facts", None)
    dtype_name = facts.quantization if facts else getattr(engine, "weights_dtype", str(dtype).removeprefix("torch."))
    if config.warmup:
        engine.warmup()
    return engine, device, dtype_name


def _explain(config: ModelConfig, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    if isinstance(error, OSError) and ("does not appear to have" in text or "not a valid model identifier" in text or "Can't load" in text or "No such file" in text):
        return (f"{config.source!r} is neither a local model folder nor a downloadable Hugging Face id "
                f"({text.splitlines()[0]}). Point `source` at a folder written by save_pretrained, "
                f"e.g. one made by `worldsmith models make-tiny DIR`.")
    return text.splitlines()[0][:500]


def _release_cached_accelerator_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()

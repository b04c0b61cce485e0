"""Configuration: one TOML file, overridable by WORLDSMITH_* environment variables."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SCOPES = ("runtime", "editor", "admin")


def is_gguf_source(source: str) -> bool:
    """A text generator's source that is a GGUF file: a .gguf path, or `package:NAME` (for text generators,
    an installed package that ships a GGUF)."""
    return source.lower().endswith(".gguf") or source.startswith("package:")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TlsConfig(Section):
    cert_file: Path | None = None
    key_file: Path | None = None
    # Set to require client certificates signed by this CA (mutual TLS).
    client_ca_file: Path | None = None

    @model_validator(mode="after")
    def _pair(self):
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be set together")
        if self.client_ca_file is not None and self.cert_file is None:
            raise ValueError("client_ca_file needs cert_file and key_file")
        return self

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(50051, ge=0, le=65535)
    # Connect / gRPC-Web listener for HTTP/1.1 clients (0: off).
    http_port: int = Field(0, ge=0, le=65535)
    # Prometheus /metrics (0: off).
    metrics_port: int = Field(0, ge=0, le=65535)
    data_dir: Path = Path("var")
    max_message_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    max_concurrent_streams: int = Field(256, ge=1)
    # Seconds running streams get to finish on SIGTERM before they are cancelled.
    grace_period_s: float = Field(10.0, ge=0)
    cors_origins: list[str] = Field(default_factory=list)
    tls: TlsConfig = TlsConfig()


class ApiKey(Section):
    name: str
    key: str = Field(min_length=8)
    scopes: list[Literal["runtime", "editor", "admin"]]


class AuthConfig(Section):
    enabled: bool = True
    keys: list[ApiKey] = Field(default_factory=list)


class ModelConfig(Section):
    kind: Literal["text-generator", "diffusion", "embedder", "speech"]
    # Hugging Face id, local directory, a .gguf file, or `package:NAME` for an installed package shipping a GGUF.
    source: str
    revision: str = "main"
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    warmup: bool = True
    # Text generators: "llama.cpp" (GGUF files; the CPU default) or "transformers"; "auto" picks llama.cpp
    # for GGUF sources and transformers otherwise.
    engine: Literal["auto", "transformers", "llama.cpp"] = "auto"
    # llama.cpp: CPU threads (0: every core).
    threads: int = Field(0, ge=0)
    # runtime.executor = "ray" only: the model's Ray Serve deployment. `replicas` fixed, or autoscaling between
    # min_replicas and max_replicas when max_replicas > 0, aiming at target_ongoing_requests per replica;
    # resources one replica reserves; requests a replica takes at once (its engine batches what it can and keeps
    # the rest in its lanes, by priority) and callers that may wait for a replica before RESOURCE_EXHAUSTED.
    replicas: int = Field(1, ge=1)
    min_replicas: int = Field(1, ge=0)
    max_replicas: int = Field(0, ge=0)
    replica_cpus: float = Field(1.0, ge=0)
    replica_gpus: float = Field(0.0, ge=0)
    target_ongoing_requests: int = Field(8, ge=1)
    max_ongoing_requests: int = Field(64, ge=1)
    max_queued_requests: int = Field(64, ge=1)

    @model_validator(mode="after")
    def _engine_fits(self):
        if self.engine == "llama.cpp" and not is_gguf_source(self.source):
            raise ValueError(f"engine 'llama.cpp' loads GGUF files; source {self.source!r} is neither a .gguf file "
                             f"nor package:NAME")
        if self.engine != "auto" and self.kind != "text-generator":
            raise ValueError(f"engine applies to text generators only; this model is a {self.kind}")
        if self.max_replicas and self.max_replicas < self.min_replicas:
            raise ValueError(f"max_replicas ({self.max_replicas}) is below min_replicas ({self.min_replicas})")
        return self

    @property
    def text_engine(self) -> str:
        """The engine that serves this text generator."""
        if self.engine != "auto":
            return self.engine
        return "llama.cpp" if is_gguf_source(self.source) else "transformers"


class RuntimeConfig(Section):
    # Where models run: "local" (in this process) or "ray" (text generators as Ray Serve deployments).
    executor: Literal["local", "ray"] = "local"
    # executor = "ray": the cluster, e.g. "ray://HEAD:10001" or "auto" (a node on this machine); empty starts a
    # Ray instance inside this process (one machine, for trying it).
    ray_address: str = ""
    # The Ray Serve application holding the deployments (fronts sharing a cluster use the same name).
    ray_app: str = "worldsmith"


class LaneConfig(Section):
    # Jobs that may wait per lane and engine before RESOURCE_EXHAUSTED.
    realtime: int = Field(64, ge=1)
    interactive: int = Field(16, ge=1)
    batch: int = Field(256, ge=1)
    # Seconds an interactive or batch job waits before it is taken ahead of the lanes above it.
    interactive_max_wait_s: float = Field(2.0, gt=0)
    batch_max_wait_s: float = Field(10.0, gt=0)


class DialogueConfig(Section):
    # Name of a text-generator model (empty: dialogue is NOT_SERVING).
    model: str = ""
    # Name of an embedder model for lore retrieval (empty: BM25).
    embedder: str = ""
    max_utterance_chars: int = Field(1000, ge=1)
    max_new_tokens: int = Field(128, ge=1)
    context_tokens: int = Field(2048, ge=128)
    lore_entries_per_turn: int = Field(3, ge=0)
    temperature: float = Field(0.8, ge=0)
    top_p: float = Field(0.95, gt=0, le=1)
    # Concurrent turns the continuous batcher runs.
    max_batch_size: int = Field(16, ge=1)


class TexturesConfig(Section):
    # Diffusion model names from [models] (empty: procedural only).
    models: list[str] = Field(default_factory=list)
    max_size: int = Field(2048, ge=64)
    max_steps: int = Field(100, ge=1)
    max_variations: int = Field(4, ge=1)
    max_batch_size: int = Field(4, ge=1)
    # Bytes the texture cache keeps on disk; the least recently used variations go first.
    cache_max_bytes: int = Field(256 * 1024 * 1024, ge=1)


class ScenesConfig(Section):
    # Text-generator model used as the planner (empty: keyword planner).
    planner_model: str = ""
    max_objects: int = Field(500, ge=1)


class AvatarsConfig(Section):
    # Text-generator model used to read descriptions (empty: rule-based parser).
    parser_model: str = ""
    max_texture_size: int = Field(4096, ge=64)


class SpeechConfig(Section):
    # Name of a speech model (kind "speech"; empty: no speech, and speech asked of a turn is FAILED_PRECONDITION).
    model: str = ""
    # Voices loaded at start-up; the first speaks for characters without a voice. A voice not on disk fails
    # the load (NOT_SERVING with the reason): nothing is downloaded while serving.
    voices: list[str] = Field(default_factory=lambda: ["heart"], min_length=1)
    # Characters `SpeechService.Speak` reads in one call.
    max_text_chars: int = Field(2000, ge=1)


class StoreConfig(Section):
    # Characters, lore and sessions: empty for the SQLite file worldsmith.db in server.data_dir (one process),
    # or postgresql://USER:PASSWORD@HOST:PORT/NAME, shared by every front (WORLDSMITH_STORE__URL keeps the
    # password out of the file).
    url: str = ""
    # The content-addressed asset cache (textures): empty for the folder cache/ in server.data_dir, or
    # s3://BUCKET/PREFIX for an S3-compatible bucket every front shares. Credentials and region come from the
    # standard AWS chain boto3 reads (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, ~/.aws, roles).
    assets_url: str = ""
    # The S3 API's address for assets_url: empty for AWS, e.g. http://minio:9000 for MinIO, Ceph or R2.
    s3_endpoint_url: str = ""

    @field_validator("url")
    @classmethod
    def _scheme(cls, url: str):
        if url and not url.startswith(("postgresql://", "postgresql+psycopg://", "sqlite:///")):
            raise ValueError("must be empty (SQLite in the data directory), postgresql://USER:PASSWORD@HOST/NAME "
                             "or sqlite:///PATH")
        return url

    @field_validator("assets_url")
    @classmethod
    def _bucket(cls, url: str):
        if url and not re.fullmatch(r"s3://[^/]+(/.*)?", url):
            raise ValueError("must be empty (the folder cache/ in server.data_dir) or s3://BUCKET/PREFIX")
        return url

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, url: str):
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("must be empty (AWS) or the S3 API's http:// or https:// address, e.g. http://minio:9000")
        return url


class Settings(BaseSettings):
    """The effective configuration. Environment variables override the file:
    WORLDSMITH_SERVER__PORT=6000, WORLDSMITH_API_KEYS=runtime:KEY,admin:KEY2."""

    model_config = SettingsConfigDict(env_prefix="WORLDSMITH_", env_nested_delimiter="__", extra="forbid")

    server: ServerConfig = ServerConfig()
    auth: AuthConfig = AuthConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    lanes: LaneConfig = LaneConfig()
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    dialogue: DialogueConfig = DialogueConfig()
    textures: TexturesConfig = TexturesConfig()
    scenes: ScenesConfig = ScenesConfig()
    avatars: AvatarsConfig = AvatarsConfig()
    speech: SpeechConfig = SpeechConfig()
    store: StoreConfig = StoreConfig()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        # Environment beats the file (passed as init kwargs).
        return (env_settings, init_settings)

    @field_validator("models")
    @classmethod
    def _names(cls, models: dict[str, ModelConfig]):
        for name in models:
            if not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"model name {name!r} may use letters, digits, '-' and '_' only")
        return models

    @model_validator(mode="after")
    def _references(self):
        def check(key: str, name: str, kinds: tuple[str, ...]) -> None:
            if not name:
                return
            if name not in self.models:
                raise ValueError(f"{key} names model {name!r}, which is not in [models] (have: {sorted(self.models) or 'none'})")
            if self.models[name].kind not in kinds:
                raise ValueError(f"{key} needs a {' or '.join(kinds)} model; {name!r} is a {self.models[name].kind}")

        check("dialogue.model", self.dialogue.model, ("text-generator",))
        check("dialogue.embedder", self.dialogue.embedder, ("embedder",))
        check("scenes.planner_model", self.scenes.planner_model, ("text-generator",))
        check("avatars.parser_model", self.avatars.parser_model, ("text-generator",))
        check("speech.model", self.speech.model, ("speech",))
        for i, name in enumerate(self.textures.models):
            check(f"textures.models[{i}]", name, ("diffusion",))
        return self


class ConfigError(Exception):
    """The configuration is invalid; the message names the key."""


def _api_keys_from_env(value: str) -> list[dict]:
    keys: dict[str, dict] = {}
    for i, item in enumerate(part.strip() for part in value.split(",") if part.strip()):
        scope, sep, key = item.partition(":")
        if not sep or scope not in SCOPES or not key:
            raise ConfigError(
                f"WORLDSMITH_API_KEYS item {i + 1}: expected 'scope:key' with scope one of {', '.join(SCOPES)}, "
                f"e.g. WORLDSMITH_API_KEYS=runtime:game-key-123,admin:ops-key-456"
            )
        entry = keys.setdefault(key, {"name": f"env-{len(keys) + 1}", "key": key, "scopes": []})
        entry["scopes"].append(scope)
    return list(keys.values())


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"] if not str(p).startswith("function-after"))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against the README's config reference)"
        lines.append(f"{key or '(top level)'}: {message}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(path: str | Path | None = None, **overrides) -> Settings:
    """Read the TOML file (if any), apply environment variables and overrides, validate."""
    data: dict = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
        base = path.parent
        for model in data.get("models", {}).values():
            if isinstance(model, dict) and isinstance(model.get("source"), str):
                candidate = base / model["source"]
                if not Path(model["source"]).is_absolute() and candidate.exists():
                    model["source"] = str(candidate.resolve())
    env_keys = os.environ.get("WORLDSMITH_API_KEYS")
    if env_keys:
        data.setdefault("auth", {}).setdefault("keys", []).extend(_api_keys_from_env(env_keys))
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.partition("__")
        data.setdefault(section, {})[key] = value
    saved = os.environ.pop("WORLDSMITH_API_KEYS", None)
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    finally:
        if saved is not None:
            os.environ["WORLDSMITH_API_KEYS"] = saved


def masked(settings: Settings) -> dict:
    """The effective config as plain data with secrets replaced."""
    data = settings.model_dump(mode="json")
    for key in data["auth"]["keys"]:
        key["key"] = key["key"][:2] + "…" + "*" * 6
    return data


def speech_options(settings: Settings) -> dict:
    """What the speech loader takes beyond the model config: the voices to keep resident."""
    return {"voices": tuple(settings.speech.voices)}


def diffusion_options(settings: Settings) -> dict:
    """What the diffusion loader takes beyond the model config: how many requests share a call."""
    return {"max_batch_size": settings.textures.max_batch_size}

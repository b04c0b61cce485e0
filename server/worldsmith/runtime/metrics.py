"""Prometheus metrics: requests, latency, lanes, batches, models, plus the domains' own."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

REQUESTS = Counter("worldsmith_requests_total", "Finished RPCs", ["method", "code"])
LATENCY = Histogram(
    "worldsmith_request_seconds", "RPC latency", ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_DEPTH = Gauge("worldsmith_queue_depth", "Jobs waiting", ["engine", "lane"])
QUEUE_WAIT = Histogram("worldsmith_queue_wait_seconds", "Time from submit to start", ["engine", "lane"])
PROMOTED = Counter("worldsmith_lane_promotions_total", "Jobs taken ahead of higher lanes after waiting past their lane's bound",
                   ["engine", "lane"])
REJECTED = Counter("worldsmith_lane_rejections_total", "Jobs refused because a lane was full", ["engine", "lane"])
BATCH_SIZE = Histogram("worldsmith_batch_size", "Jobs per engine batch", ["engine"], buckets=(1, 2, 4, 8, 16, 32, 64))
CACHE_BYTES = Gauge("worldsmith_cache_bytes", "Bytes a content cache holds", ["cache"])
CACHE_ENTRIES = Gauge("worldsmith_cache_entries", "Entries a content cache holds", ["cache"])
CACHE_EVICTIONS = Counter("worldsmith_cache_evictions_total", "Least recently used entries deleted to keep a cache under its limit", ["cache"])
CACHE_LOOKUPS = Counter("worldsmith_cache_lookups_total", "Cache lookups by result (hit or miss)", ["cache", "result"])
MODEL_MEMORY = Gauge("worldsmith_model_memory_bytes", "Resident model memory", ["model", "device"])
MODEL_READY = Gauge("worldsmith_model_ready", "1 when the model is resident and warm", ["model"])

# Domain metrics live here too so every name is in one place.
TIME_TO_FIRST_TOKEN = Histogram(
    "worldsmith_dialogue_time_to_first_token_seconds", "Dialogue time to first token",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
TOKENS = Counter("worldsmith_dialogue_tokens_total", "Generated dialogue tokens")
TOKENS_AFTER_CANCEL = Histogram("worldsmith_dialogue_tokens_after_cancel", "Tokens generated after a turn was stopped", buckets=(0, 1, 2, 4, 8, 16, 32))
TOKENS_PER_SECOND = Histogram("worldsmith_dialogue_tokens_per_second", "Per-turn decode rate", buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000))
SPEECH_SECONDS = Counter("worldsmith_speech_audio_seconds_total", "Seconds of speech synthesised", ["model"])
SPEECH_REALTIME_FACTOR = Histogram("worldsmith_speech_realtime_factor", "Seconds of audio per second of synthesis, per sentence",
                                   ["model"], buckets=(1, 5, 10, 25, 50, 100, 200, 400))
DIFFUSION_STEPS = Counter("worldsmith_diffusion_steps_total", "Diffusion denoising steps run", ["model"])
DIFFUSION_STEPS_AFTER_CANCEL = Histogram("worldsmith_diffusion_steps_after_cancel", "Denoising steps a stopped job's batch ran after the stop was seen",
                                         ["model"], buckets=(0, 1, 2, 4, 8, 16, 32))
DIFFUSION_STEPS_PER_SECOND = Histogram("worldsmith_diffusion_steps_per_second", "Per-batch denoising rate", ["model"], buckets=(0.5, 1, 2, 5, 10, 25, 50, 100))


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on its own port (a daemon thread)."""
    start_http_server(port, addr=host)

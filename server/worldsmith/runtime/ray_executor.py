"""runtime.executor = "ray": joins the Ray cluster, runs the Ray Serve application of the configured models (unless
a RayService or another front already runs it) and hands the registry a remote engine per model."""

from __future__ import annotations

import dataclasses
import logging
import threading

import ray
from ray import serve

from worldsmith.config import ModelConfig, RuntimeConfig
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.ray_engine import REMOTE_ENGINES, RemoteEngine
from worldsmith.runtime.ray_serve import build

log = logging.getLogger(__name__)

NAMESPACE = "worldsmith"


class RayExecutor:
    """Serves every model of `models` from a Ray Serve deployment of its own; `options` are each loader's extra
    arguments (speech voices, diffusion batch size), as a local front passes them."""

    def __init__(self, runtime: RuntimeConfig, models: dict[str, ModelConfig], limits: LaneLimits,
                 options: dict[str, dict]):
        self.runtime = runtime
        self.models = models
        self._limits = limits
        self._options = options
        self._deployed = threading.Lock()
        self._running = False

    def load(self, name: str) -> RemoteEngine:
        """The model's remote engine, once its deployment has a ready replica. Blocks: call it off the loop."""
        self._ensure_running()
        facts = serve.get_deployment_handle(name, app_name=self.runtime.ray_app).describe.remote().result()
        config = self.models[name]
        return REMOTE_ENGINES[config.kind](self.runtime.ray_app, name, config, facts)

    def _ensure_running(self) -> None:
        with self._deployed:
            if self._running:
                return
            if not ray.is_initialized():
                ray.init(address=self.runtime.ray_address or "local", namespace=NAMESPACE, include_dashboard=False,
                         log_to_driver=False)
            status = serve.status().applications.get(self.runtime.ray_app)
            if status is not None and status.status == "RUNNING":
                log.info("Ray Serve application %r is running; this front uses it", self.runtime.ray_app)
            else:
                log.info("starting Ray Serve application %r (%s)", self.runtime.ray_app, ", ".join(self.models))
                serve.start(proxy_location="Disabled")  # fronts call the deployments by handle; no Serve ingress
                serve.run(build(self.models, dataclasses.asdict(self._limits), self._options),
                          name=self.runtime.ray_app, route_prefix=None)
            self._running = True

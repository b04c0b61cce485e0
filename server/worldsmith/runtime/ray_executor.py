"""runtime.executor = "ray": joins the Ray cluster, runs the Ray Serve application of the configured text
generators (unless a RayService or another front already runs it) and hands the registry a RemoteTextEngine per
model."""

from __future__ import annotations

import dataclasses
import logging
import threading

import ray
from ray import serve

from worldsmith.config import ModelConfig, RuntimeConfig
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.ray_engine import RemoteTextEngine
from worldsmith.runtime.ray_serve import build, runs_remotely
from worldsmith.runtime.ray_vocabulary import vocabulary_of

log = logging.getLogger(__name__)

NAMESPACE = "worldsmith"


class RayExecutor:
    """Serves the text generators of `models` from Ray Serve deployments, one per model."""

    def __init__(self, runtime: RuntimeConfig, models: dict[str, ModelConfig], limits: LaneLimits):
        self.runtime = runtime
        self.models = {name: config for name, config in models.items() if runs_remotely(config)}
        self._limits = limits
        self._deployed = threading.Lock()
        self._running = False

    def load(self, name: str) -> RemoteTextEngine:
        """The model's proxy engine, once its deployment has a ready replica. Blocks: call it off the loop."""
        self._ensure_running()
        describe = serve.get_deployment_handle(name, app_name=self.runtime.ray_app)
        facts = describe.describe.remote().result()
        return RemoteTextEngine(self.runtime.ray_app, name, vocabulary_of(self.models[name]), facts)

    def _ensure_running(self) -> None:
        with self._deployed:
            if self._running:
                return
            if not ray.is_initialized():
                ray.init(address=self.runtime.ray_address or None, namespace=NAMESPACE, include_dashboard=False,
                         log_to_driver=False)
            status = serve.status().applications.get(self.runtime.ray_app)
            if status is not None and status.status == "RUNNING":
                log.info("Ray Serve application %r is running; this front uses it", self.runtime.ray_app)
            else:
                log.info("starting Ray Serve application %r (%s)", self.runtime.ray_app, ", ".join(self.models))
                serve.run(build(self.models, dataclasses.asdict(self._limits)), name=self.runtime.ray_app,
                          route_prefix=None)
            self._running = True

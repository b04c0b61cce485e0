"""The Ray Serve application a RayService (or `serve run worldsmith.api.ray_app:app config=PATH`) builds from a
worldsmith config: every model of its [models] table as a deployment, each loader given what its domains ask."""

from __future__ import annotations

from ray import serve

from worldsmith.api.services import loader_options
from worldsmith.config import load_settings
from worldsmith.runtime.ray_serve import build


def app(args: dict) -> serve.Application:
    settings = load_settings(args["config"])
    return build(settings.models, settings.lanes.model_dump(), loader_options(settings))

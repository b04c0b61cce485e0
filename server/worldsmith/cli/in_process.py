"""The one way a command runs a service in this process: the server's assembled services, no listener."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Iterator

from worldsmith.config import Settings
from worldsmith.runtime.context import CallContext, Lane


@contextlib.asynccontextmanager
async def started_services(settings: Settings, models: Iterable[str] | None = None) -> AsyncIterator[Any]:
    """`api.services.Services` built and started from `settings`, stopped on leaving the block.

    `models` names the configured models to load (None: all of them, as the server does); a
    command that needs one service loads only the models that service uses. Names the config
    lacks are left to the service to refuse, with its own message.
    """
    # Imported here: it brings torch and the model libraries, which `--help` and `config show` do without.
    from worldsmith.api.services import Services

    services = Services(settings)
    await services.start(load_models=models is None)
    try:
        for name in dict.fromkeys(models or ()):
            if name in settings.models:
                await services.registry.load(name)
        yield services
    finally:
        await services.stop()


@contextlib.contextmanager
def scratch_data(settings: Settings) -> Iterator[Settings]:
    """`settings` with a fresh data folder, removed on leaving: for commands that keep nothing."""
    with tempfile.TemporaryDirectory(prefix="worldsmith-") as folder:
        yield settings.model_copy(update={"server": settings.server.model_copy(update={"data_dir": Path(folder)})})


async def call(services, service: str, method: str, request, lane: Lane = Lane.INTERACTIVE):
    """One unary RPC on the service object, with the CallContext the server would build."""
    return await getattr(services.by_name[service], method)(request, _context(service, method, lane))


async def stream(services, service: str, method: str, request, lane: Lane = Lane.INTERACTIVE) -> AsyncIterator[Any]:
    """One server-streaming RPC on the service object, with the CallContext the server would build."""
    async for event in getattr(services.by_name[service], method)(request, _context(service, method, lane)):
        yield event


async def stream_to_result(services, service: str, method: str, request, lane: Lane = Lane.INTERACTIVE,
                           on_event: Callable[[Any], None] | None = None):
    """Run a server-streaming RPC to its `result` event, passing every event to `on_event` on the way."""
    result = None
    async for event in stream(services, service, method, request, lane):
        if on_event is not None:
            on_event(event)
        if event.WhichOneof("event") == "result":
            result = event.result
    if result is None:
        raise RuntimeError(f"{service}.{method} ended without a result")
    return result


def _context(service: str, method: str, lane: Lane) -> CallContext:
    return CallContext(lane=lane, method=f"/{service}/{method}")

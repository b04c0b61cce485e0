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


class InProcessCaller:
    """Calls the assembled service objects as the server does, each call with its own CallContext in
    one lane. It is the build's `Caller` in this process, and every command calls through it."""

    def __init__(self, services, lane: Lane = Lane.INTERACTIVE):
        self._services = services.by_name
        self._lane = lane

    async def unary(self, service: str, method: str, request) -> Any:
        return await getattr(self._services[service], method)(request, self._context(service, method))

    async def stream(self, service: str, method: str, request) -> AsyncIterator[Any]:
        async for event in getattr(self._services[service], method)(request, self._context(service, method)):
            yield event

    def _context(self, service: str, method: str) -> CallContext:
        return CallContext(lane=self._lane, method=f"/{service}/{method}")


async def result_of(events: AsyncIterator[Any], on_event: Callable[[Any], None] | None = None) -> Any:
    """The `result` event of a server stream, passing every event to `on_event` on the way."""
    result = None
    async for event in events:
        if on_event is not None:
            on_event(event)
        if event.WhichOneof("event") == "result":
            result = event.result
    if result is None:
        raise RuntimeError("the stream ended without a result")
    return result

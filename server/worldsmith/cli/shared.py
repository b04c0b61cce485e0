"""What every command shares: the stderr console, the --config option, settings and error exits."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console

from worldsmith.config import ConfigError, Settings, load_settings
from worldsmith.errors import WorldsmithError

console = Console(stderr=True)

ConfigOption = typer.Option(None, "--config", "-c", help="TOML config file (default: built-in defaults).", envvar="WORLDSMITH_CONFIG")
# What `serve` and `chat` run without a config: real models from the package index (defaults.toml).
EMBEDDED_DEFAULTS = Path(__file__).resolve().parent.parent / "defaults.toml"


def settings_or_exit(config: Optional[Path], **overrides) -> Settings:
    """The settings from the file, the environment and `overrides`; exit 2 naming the key when invalid."""
    with exit_on_error():
        return load_settings(config, **overrides)


@contextlib.contextmanager
def exit_on_error() -> Iterator[None]:
    """A caller's mistake (bad input, a bad config) prints its message and exits 2, without a traceback."""
    try:
        yield
    except (WorldsmithError, ConfigError) as error:
        console.print(f"[red]error:[/red] {getattr(error, 'message', error)}")
        raise typer.Exit(2) from None


def configure_logging(level: str = "INFO") -> None:
    from worldsmith.api.calls import RequestIdFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)

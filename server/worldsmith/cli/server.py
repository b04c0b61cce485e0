"""`worldsmith serve`: the gRPC server (and optional HTTP/1.1 listener) until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import typer

from worldsmith.cli.shared import EMBEDDED_DEFAULTS, ConfigOption, configure_logging, exit_on_error, settings_or_exit


def serve(
    config: Optional[Path] = ConfigOption,
    host: Optional[str] = typer.Option(None, help="Address to listen on."),
    port: Optional[int] = typer.Option(None, help="gRPC port (default 50051)."),
    http_port: Optional[int] = typer.Option(None, "--http-port", help="Connect / gRPC-Web port for HTTP/1.1 clients."),
    metrics_port: Optional[int] = typer.Option(None, "--metrics-port", help="Prometheus /metrics port."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where SQLite and the asset cache live."),
    log_level: str = typer.Option("INFO", "--log-level"),
) -> None:
    """Start the server and keep models resident until SIGTERM or Ctrl-C."""
    from worldsmith.api.server import exit_within, serve as run_server

    settings = settings_or_exit(config or EMBEDDED_DEFAULTS, server__host=host, server__port=port,
                                server__http_port=http_port, server__metrics_port=metrics_port, server__data_dir=data_dir)
    configure_logging(log_level)
    with exit_on_error():
        exit_within(asyncio.run(run_server(settings)))

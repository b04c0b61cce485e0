"""`worldsmith config show`: the effective configuration, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from worldsmith.cli.shared import ConfigOption, settings_or_exit
from worldsmith.config import masked

app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")


@app.command("show")
def config_show(config: Optional[Path] = ConfigOption) -> None:
    """Print the effective configuration (file + environment) with secrets masked."""
    print(json.dumps(masked(settings_or_exit(config)), indent=2))

"""`worldsmith models ...`: write tiny random models, list the configured ones."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from worldsmith.cli.shared import ConfigOption, console, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Make and list models.")


@app.command("make-tiny")
def models_make_tiny(directory: Path = typer.Argument(..., help="Folder to write the models and worldsmith.toml into.")) -> None:
    """Write tiny random models (text, diffusion, embedder) and a config that serves them. No network."""
    from worldsmith.runtime.tiny import make_all

    with console.status("writing tiny models"):
        path = make_all(directory)
    console.print(f"wrote tiny models to {directory}\nserve them with: worldsmith serve --config {path}")


@app.command("list")
def models_list(config: Optional[Path] = ConfigOption) -> None:
    """Show the models the config names and whether each is present locally."""
    settings = settings_or_exit(config)
    table = Table("name", "kind", "source", "revision", "local")
    for name, model in settings.models.items():
        table.add_row(name, model.kind, model.source, model.revision, _local_state(model.source, model.revision))
    Console().print(table)
    if not settings.models:
        console.print("no models configured: the server runs procedural backends only")


def _local_state(source: str, revision: str) -> str:
    if Path(source).is_dir():
        return "yes (folder)"
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(source, revision=revision, local_files_only=True)
        return "yes (cache)"
    except Exception:
        return "no"

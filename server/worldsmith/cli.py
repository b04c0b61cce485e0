"""`worldsmith ...`: serve, inspect the config, make and list models."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from worldsmith.config import ConfigError, Settings, load_settings, masked

app = typer.Typer(no_args_is_help=True, add_completion=False, help="worldsmith: generative content for game engines.")
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")
models_app = typer.Typer(no_args_is_help=True, help="Make and list models.")
app.add_typer(config_app, name="config")
characters_app = typer.Typer(no_args_is_help=True, help="Manage NPC characters and lore.")
app.add_typer(models_app, name="models")
app.add_typer(characters_app, name="characters")

console = Console(stderr=True)

ConfigOption = typer.Option(None, "--config", "-c", help="TOML config file (default: built-in defaults).", envvar="WORLDSMITH_CONFIG")
# What `serve` and `chat` run without a config: real models from the package index (defaults.toml).
EMBEDDED_DEFAULTS = Path(__file__).parent / "defaults.toml"


def _settings(config: Optional[Path], **overrides) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


def configure_logging(level: str = "INFO") -> None:
    from worldsmith.api.adapter import RequestIdFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


@app.command()
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
    from worldsmith.api.server import serve as run_server

    settings = _settings(config or EMBEDDED_DEFAULTS, server__host=host, server__port=port,
                         server__http_port=http_port, server__metrics_port=metrics_port, server__data_dir=data_dir)
    configure_logging(log_level)
    try:
        asyncio.run(run_server(settings))
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@config_app.command("show")
def config_show(config: Optional[Path] = ConfigOption) -> None:
    """Print the effective configuration (file + environment) with secrets masked."""
    print(json.dumps(masked(_settings(config)), indent=2))


@models_app.command("make-tiny")
def models_make_tiny(directory: Path = typer.Argument(..., help="Folder to write the models and worldsmith.toml into.")) -> None:
    """Write tiny random models (text, diffusion, embedder) and a config that serves them. No network."""
    from worldsmith.runtime.tiny import make_all

    with console.status("writing tiny models"):
        path = make_all(directory)
    console.print(f"wrote tiny models to {directory}\nserve them with: worldsmith serve --config {path}")


@models_app.command("list")
def models_list(config: Optional[Path] = ConfigOption) -> None:
    """Show the models the config names and whether each is present locally."""
    settings = _settings(config)
    table = Table("name", "kind", "source", "revision", "local")
    for name, model in settings.models.items():
        table.add_row(name, model.kind, model.source, model.revision, _local_state(model.source, model.revision))
    Console().print(table)
    if not settings.models:
        console.print("no models configured: the server runs procedural backends only")


@app.command()
def chat(
    card: Path = typer.Argument(..., exists=True, dir_okay=False, help="A character file (JSON or TOML), e.g. examples/game/characters/bram.toml."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Talk to the NPC in CARD from the terminal, on the configured text model (default: the embedded Gemma 3)."""
    from worldsmith.api.services import Services
    from worldsmith.dialogue.chat import chat as run_chat, scratch_data_dir
    from worldsmith.errors import WorldsmithError

    settings = _settings(config or EMBEDDED_DEFAULTS, server__data_dir=scratch_data_dir())
    configure_logging("WARNING")

    async def session() -> int:
        services = Services(settings)
        with console.status("loading models"):
            await services.start()
        try:
            status = services.statuses()["worldsmith.v1.DialogueService"]
            if not status.serving:
                console.print(f"[red]error:[/red] dialogue is not serving: {status.reason}")
                return 2
            return await run_chat(card, services)
        finally:
            await services.stop()

    try:
        raise typer.Exit(asyncio.run(session()))
    except WorldsmithError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None


@characters_app.command("import")
def characters_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON or TOML: one card, a list, or characters plus lore."),
    config: Optional[Path] = ConfigOption,
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Server data folder (default: the config's)."),
) -> None:
    """Validate every card in FILE, then store them all (a bad file changes nothing)."""
    from worldsmith.dialogue.commands import import_characters
    from worldsmith.errors import WorldsmithError

    settings = _settings(config, server__data_dir=data_dir)
    try:
        summary = import_characters(file, settings.server.data_dir)
    except WorldsmithError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
    console.print(str(summary))


def _register_generators() -> None:
    """In-process generator commands; each domain owns its command function."""
    from worldsmith.avatars.commands import avatar
    from worldsmith.scenes.commands import scene

    app.command("scene")(scene)
    app.command("avatar")(avatar)


_register_generators()


@app.command()
def texture(
    prompt: str = typer.Argument(..., help='What to make, e.g. "mossy cobblestone".'),
    tile: str = typer.Option("both", "--tile", help="none, x, y or both."),
    maps: str = typer.Option("albedo", "--maps", help="all, or names: albedo,height,normal,roughness,ao,metallic,orm."),
    size: int = typer.Option(512, "--size", help="Width and height in pixels (a multiple of 8)."),
    seed: int = typer.Option(1, "--seed", min=0),
    model: str = typer.Option("", "--model", help="A diffusion model from the config, or 'procedural' (default: the first configured, else procedural)."),
    steps: int = typer.Option(0, "--steps", min=0, help="Diffusion steps (0: the model's default)."),
    variations: int = typer.Option(1, "--variations", min=1),
    bits: int = typer.Option(8, "--bits", help="PNG bit depth: 8 or 16."),
    normal: str = typer.Option("opengl", "--normal", help="Normal map convention: opengl or directx."),
    preset: str = typer.Option("", "--preset", help="Procedural preset (default: chosen from the prompt)."),
    config: Optional[Path] = ConfigOption,
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for the PNGs and recipes."),
) -> None:
    """Generate a tileable PBR material set in this process, with a progress bar."""
    from worldsmith.errors import WorldsmithError
    from worldsmith.textures.commands import texture as make_texture

    try:
        make_texture(prompt, tile, maps, size, seed, model, config, output, steps=steps, variations=variations,
                     bits=bits, normal=normal, preset=preset, console=console)
    except (WorldsmithError, ConfigError) as error:
        console.print(f"[red]error:[/red] {getattr(error, 'message', error)}")
        raise typer.Exit(2) from None


@app.command()
def build(
    manifest: Path = typer.Argument(Path("assets.toml"), help="Build manifest."),
    config: Optional[Path] = ConfigOption,
    server: Optional[str] = typer.Option(None, "--server", help="HOST:PORT of a running server (batch lane) instead of in-process."),
    key: Optional[str] = typer.Option(None, "--key", envvar="WORLDSMITH_API_KEY", help="Editor key for --server."),
    check: bool = typer.Option(False, "--check", help="Generate nothing; exit 1 naming entries whose outputs differ from the lock."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Entries generated at once (default: the manifest's build.parallel)."),
) -> None:
    """Generate every entry of an asset manifest; only entries whose recipe changed are rebuilt."""
    from worldsmith.assets.commands import build_command

    settings = None if server else _settings(config)
    raise typer.Exit(build_command(manifest, settings, server, key, check, jobs))


def _local_state(source: str, revision: str) -> str:
    if Path(source).is_dir():
        return "yes (folder)"
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(source, revision=revision, local_files_only=True)
        return "yes (cache)"
    except Exception:
        return "no"


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())

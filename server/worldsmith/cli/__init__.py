"""`worldsmith ...`: the command line, one module per command group, every command on the assembled services."""

from __future__ import annotations

import typer

# Each command imports the domain modules it runs on when it runs: they bring numpy, torch and the
# model libraries, which `--help` and `config show` do without.
from worldsmith.cli import avatar, build, characters, chat, configuration, models, scene, server, speak, texture

app = typer.Typer(no_args_is_help=True, add_completion=False, help="worldsmith: generative content for game engines.")
app.add_typer(configuration.app, name="config")
app.add_typer(models.app, name="models")
app.add_typer(characters.app, name="characters")
app.command()(server.serve)
app.command()(chat.chat)
app.command()(scene.scene)
app.command()(avatar.avatar)
app.command()(texture.texture)
app.command()(build.build)
app.command()(speak.speak)

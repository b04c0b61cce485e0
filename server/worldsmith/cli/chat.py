"""`worldsmith chat CARD`: talk to an NPC from the terminal, through the same services the server runs."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.cli.in_process import InProcessCaller, scratch_data, started_services
from worldsmith.cli.shared import EMBEDDED_DEFAULTS, ConfigOption, configure_logging, console, exit_on_error, settings_or_exit
from worldsmith.runtime.context import Lane

SERVICE = "worldsmith.v1.DialogueService"


def chat(
    card: Path = typer.Argument(..., exists=True, dir_okay=False, help="A character file (JSON or TOML), e.g. examples/game/characters/bram.toml."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Talk to the NPC in CARD from the terminal, on the configured text model (default: the embedded Gemma 3)."""
    settings = settings_or_exit(config or EMBEDDED_DEFAULTS)
    configure_logging("WARNING")

    async def session() -> int:
        # Chats keep nothing: the services' data folder is a scratch one.
        with scratch_data(settings) as scratch:
            async with contextlib.AsyncExitStack() as stack:
                with console.status("loading models"):
                    services = await stack.enter_async_context(started_services(scratch))
                status = services.statuses()[SERVICE]
                if not status.serving:
                    console.print(f"[red]error:[/red] dialogue is not serving: {status.reason}")
                    return 2
                return await converse(card, services)

    with exit_on_error():
        code = asyncio.run(session())
    raise typer.Exit(code)


async def converse(card_file: Path, services, read_line: Callable[[str], str] = input,
                   write: Callable[[str], None] = sys.stdout.write) -> int:
    """Load the card file's characters and lore, open a session with its first character, and answer each line
    the player types until end of input. `services` are the assembled, started services."""
    from worldsmith.dialogue.card_files import load_file

    characters, lore = load_file(card_file)
    if not characters:
        write(f"{card_file} holds no character card\n")
        return 2
    dialogue = InProcessCaller(services)
    for character in characters:
        await dialogue.unary(SERVICE, "UpsertCharacter", dialogue_pb2.UpsertCharacterRequest(character=character))
    if lore:
        await dialogue.unary(SERVICE, "UpsertLore", dialogue_pb2.UpsertLoreRequest(entries=lore))
    character = characters[0]
    session = (await dialogue.unary(SERVICE, "CreateSession", dialogue_pb2.CreateSessionRequest(character_ids=[character.id]))).session
    write(f"You are talking to {character.name}" + (f", {character.role}" if character.role else "") +
          ". Type a line and press Enter; Ctrl-D ends.\n")
    player = InProcessCaller(services, Lane.REALTIME)  # a game's NPC turns run in the realtime lane
    while True:
        try:
            line = read_line("you> ").strip()
        except EOFError:
            write("\n")
            return 0
        if not line:
            continue
        write(f"{character.name}> ")
        say = dialogue_pb2.SayRequest(session_id=session.id, utterance=line)
        async for response in player.stream(SERVICE, "Say", say):
            event = response.WhichOneof("event")
            if event == "text_delta":
                write(response.text_delta.text)
            elif event == "emotion":
                write(f"  ({response.emotion.emotion})")
            elif event == "action_call":
                write(f"  [{response.action_call.name} {response.action_call.arguments_json}]")
        write("\n")

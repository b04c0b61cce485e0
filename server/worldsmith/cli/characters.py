"""`worldsmith characters import FILE`: validate character cards (and lore) and store them through DialogueService."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.cli.in_process import InProcessCaller, started_services
from worldsmith.cli.shared import ConfigOption, console, exit_on_error, settings_or_exit
from worldsmith.config import Settings

SERVICE = "worldsmith.v1.DialogueService"

app = typer.Typer(no_args_is_help=True, help="Manage NPC characters and lore.")


@dataclass(frozen=True)
class ImportSummary:
    created: list[str]
    updated: list[str]
    lore_entries: int

    def __str__(self) -> str:
        parts = [f"{len(self.created)} character(s) created", f"{len(self.updated)} updated"]
        if self.lore_entries:
            parts.append(f"{self.lore_entries} lore entr{'y' if self.lore_entries == 1 else 'ies'} upserted")
        return ", ".join(parts)


@app.command("import")
def characters_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON or TOML: one card, a list, or characters plus lore."),
    config: Optional[Path] = ConfigOption,
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Server data folder (default: the config's)."),
) -> None:
    """Validate every card in FILE, then store them all (a bad file changes nothing)."""
    settings = settings_or_exit(config, server__data_dir=data_dir)
    with exit_on_error():
        summary = import_characters(file, settings)
    console.print(str(summary))


def import_characters(path: str | Path, settings: Settings) -> ImportSummary:
    """Validate the whole file first, then store it through DialogueService: a bad file changes nothing."""
    from worldsmith.dialogue.card_files import load_file

    characters, lore = load_file(path)
    return asyncio.run(_store(characters, lore, settings))


async def _store(characters: list[dialogue_pb2.Character], lore: list[dialogue_pb2.LoreEntry], settings: Settings) -> ImportSummary:
    from worldsmith.dialogue.service import MAX_LORE_PER_CALL

    created, updated = [], []
    # Storing cards needs no model: none is loaded.
    async with started_services(settings, models=()) as services:
        dialogue = InProcessCaller(services)
        for card in characters:
            response = await dialogue.unary(SERVICE, "UpsertCharacter", dialogue_pb2.UpsertCharacterRequest(character=card))
            (created if response.created else updated).append(card.id)
        for start in range(0, len(lore), MAX_LORE_PER_CALL):
            await dialogue.unary(SERVICE, "UpsertLore", dialogue_pb2.UpsertLoreRequest(entries=lore[start:start + MAX_LORE_PER_CALL]))
    return ImportSummary(created=created, updated=updated, lore_entries=len(lore))

"""`worldsmith chat CARD`: talk to an NPC from the terminal, through the same services the server runs."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Callable

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.commands import load_file
from worldsmith.runtime.context import CallContext, Lane


async def chat(card_file: Path, services, read_line: Callable[[str], str] = input,
               write: Callable[[str], None] = sys.stdout.write) -> int:
    """Load the card file's characters and lore, open a session with its first character, and answer each line
    the player types until end of input. `services` is an assembled, started api.services.Services."""
    characters, lore = load_file(card_file)
    if not characters:
        write(f"{card_file} holds no character card\n")
        return 2
    dialogue = services.by_name["worldsmith.v1.DialogueService"]
    ctx = CallContext(lane=Lane.INTERACTIVE)
    for character in characters:
        await dialogue.UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(character=character), ctx)
    if lore:
        await dialogue.UpsertLore(dialogue_pb2.UpsertLoreRequest(entries=lore), ctx)
    character = characters[0]
    session = (await dialogue.CreateSession(dialogue_pb2.CreateSessionRequest(character_ids=[character.id]), ctx)).session
    write(f"You are talking to {character.name}" + (f", {character.role}" if character.role else "") +
          ". Type a line and press Enter; Ctrl-D ends.\n")
    while True:
        try:
            line = read_line("you> ").strip()
        except EOFError:
            write("\n")
            return 0
        if not line:
            continue
        write(f"{character.name}> ")
        async for response in dialogue.Say(dialogue_pb2.SayRequest(session_id=session.id, utterance=line),
                                           CallContext(lane=Lane.REALTIME)):
            event = response.WhichOneof("event")
            if event == "text_delta":
                write(response.text_delta.text)
            elif event == "emotion":
                write(f"  ({response.emotion.emotion})")
            elif event == "action_call":
                write(f"  [{response.action_call.name} {response.action_call.arguments_json}]")
        write("\n")


def scratch_data_dir() -> Path:
    """Chats keep nothing unless asked: a fresh folder per run."""
    return Path(tempfile.mkdtemp(prefix="worldsmith-chat-"))

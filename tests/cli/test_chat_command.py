"""`worldsmith chat CARD`: the card file's NPC answers each typed line through the assembled services."""

from __future__ import annotations

from harness import REPO
from worldsmith.cli.chat import converse
from worldsmith.cli.in_process import started_services
from worldsmith.config import load_settings


async def test_each_line_gets_a_reply_until_end_of_input(tiny_models, tmp_path):
    settings = load_settings(tiny_models / "worldsmith.toml", server__data_dir=tmp_path / "data",
                             dialogue__max_new_tokens=8)
    lines = iter(["Good morning!", "", "Can you mend a sword?"])

    def read_line(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    written: list[str] = []
    async with started_services(settings) as services:
        code = await converse(REPO / "examples" / "game" / "characters" / "bram.toml", services, read_line, written.append)
    transcript = "".join(written)
    assert code == 0
    assert transcript.startswith("You are talking to Bram, the blacksmith of Oakvale.")
    assert transcript.count("Bram> ") == 2 and transcript.endswith("\n")

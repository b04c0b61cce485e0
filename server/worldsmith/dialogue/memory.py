"""Long-term memory: turns that outgrow the context window are folded into a bounded summary."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from worldsmith._proto.worldsmith.v1 import dialogue_pb2

SUMMARY_MAX_CHARS = 1500
LINE_MAX_CHARS = 160


def gist(text: str) -> str:
    """The first sentence of a turn, at most LINE_MAX_CHARS."""
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= LINE_MAX_CHARS else sentence[: LINE_MAX_CHARS - 1] + "…"


def fold_summary(summary: str, turns: Sequence[dialogue_pb2.Turn], label: Callable[[str], str]) -> str:
    """Append one line per folded turn ("Mara: Welcome, traveller.") and keep the newest lines
    within SUMMARY_MAX_CHARS.

    Extractive on purpose: it costs no model call on the realtime path, never invents a fact,
    and is deterministic, so an exported session replays exactly.
    """
    lines = summary.splitlines() if summary else []
    lines += [f"{label(turn.speaker)}: {gist(turn.text)}" for turn in turns if turn.text.strip()]
    while lines and len("\n".join(lines)) > SUMMARY_MAX_CHARS:
        lines.pop(0)
    return "\n".join(lines)

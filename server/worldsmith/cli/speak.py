"""`worldsmith speak TEXT --voice V -o out/`: read a text aloud through SpeechService in this process and
write `speech.wav` and `visemes.json`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from worldsmith._proto.worldsmith.v1 import speech_pb2
from worldsmith.cli.in_process import InProcessCaller, scratch_data, started_services
from worldsmith.cli.shared import EMBEDDED_DEFAULTS, ConfigOption, console as stderr, exit_on_error
from worldsmith.config import load_settings
from worldsmith.runtime.context import Lane

SERVICE = "worldsmith.v1.SpeechService"


def speak(
    text: str = typer.Argument(..., help='What to say, e.g. "Mind the bridge, traveller."'),
    voice: str = typer.Option("", "--voice", help="A voice the speech model has loaded (default: the first of speech.voices)."),
    speed: float = typer.Option(1.0, "--speed", help="Pace, 0.5 to 2.0; 1.0 is the voice's own."),
    seed: int = typer.Option(0, "--seed", min=0, help="Fixes the voice's noise: the same seed gives the same samples."),
    config: Optional[Path] = ConfigOption,
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for speech.wav and visemes.json."),
) -> None:
    """Read a text aloud in this process: a 16-bit mono WAV and the viseme track for an avatar's mouth."""
    with exit_on_error():
        write_speech(text, voice, speed, seed, config, output, console=stderr)


def write_speech(text: str, voice: str = "", speed: float = 1.0, seed: int = 0, config: Path | None = None,
                 output: Path = Path("out"), console: Console | None = None) -> list[Path]:
    """Speak `text` and write `output/speech.wav` and `output/visemes.json`; returns the two paths."""
    from worldsmith.assets.speech_files import visemes_json, wav_bytes

    console = console or Console(stderr=True)
    settings = load_settings(config or EMBEDDED_DEFAULTS)
    request = speech_pb2.SpeakRequest(text=text, voice=speech_pb2.Voice(id=voice, speed=speed), seed=seed)
    spoken = asyncio.run(_speak(settings, request))
    output.mkdir(parents=True, exist_ok=True)
    wav, track = output / "speech.wav", output / "visemes.json"
    wav.write_bytes(wav_bytes(spoken))
    track.write_bytes(visemes_json(spoken))
    console.print(f"{spoken.summary.duration_ms / 1000:.2f} s in voice {spoken.summary.voice!r}, "
                  f"{len(spoken.visemes)} visemes: wrote {wav} and {track}")
    return [wav, track]


async def _speak(settings, request: speech_pb2.SpeakRequest):
    from worldsmith.assets.speech_files import collect

    with scratch_data(settings) as scratch:
        async with started_services(scratch, [settings.speech.model] if settings.speech.model else []) as services:
            return await collect(InProcessCaller(services, Lane.INTERACTIVE).stream(SERVICE, "Speak", request))

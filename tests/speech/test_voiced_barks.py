"""`worldsmith build` with voiced barks: each line's WAV and viseme track beside the text, in the character's voice."""

from __future__ import annotations

import json

from rich.console import Console

from speech.spoken import decoded
from worldsmith.cli.build import run_build
from worldsmith.config import load_settings

SMITH = {"id": "smith", "name": "Brann", "role": "the village blacksmith", "voice": {"id": "heart", "speed": 1.25}}

MANIFEST = """\
[[barks]]
name = "smith"
character = "smith"
character_file = "smith.json"
situations = ["the player walks into the forge", "the player leaves"]
lines_per_situation = 1
max_new_tokens = 12
seed = 5
voiced = true
"""


async def test_voiced_barks_write_a_wav_and_visemes_beside_each_line(tiny_models, tmp_path):
    project = tmp_path / "game"
    project.mkdir()
    (project / "smith.json").write_text(json.dumps(SMITH))
    (project / "assets.toml").write_text(MANIFEST)
    settings = load_settings(tiny_models / "worldsmith.toml", server__data_dir=tmp_path / "data")
    assert await run_build(project / "assets.toml", settings, None, None, False, None, Console(stderr=True)) == 0
    folder = next(path.parent for path in project.rglob("smith.barks.json"))
    lines = json.loads((folder / "smith.barks.json").read_text())
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["smith.barks.json", "smith_1_1.wav", "smith_1_1.visemes.json", "smith_2_1.wav", "smith_2_1.visemes.json"])
    for stem, text in (("smith_1_1", lines["the player walks into the forge"][0]), ("smith_2_1", lines["the player leaves"][0])):
        track = json.loads((folder / f"{stem}.visemes.json").read_text())
        wav = (folder / f"{stem}.wav").read_bytes()
        audio = decoded(wav[44:], 24000)  # the 44-byte header of a PCM WAV, then the samples
        assert track["voice"] == "heart" and track["sample_rate"] == 24000
        assert track["duration_ms"] == audio.size / 24
        assert track["visemes"] and track["visemes"][-1]["end_ms"] >= track["duration_ms"] - 1
        assert all(viseme["name"].startswith("viseme_") for viseme in track["visemes"]), text

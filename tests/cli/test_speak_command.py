"""`worldsmith speak ...` writes speech.wav and visemes.json through SpeechService, on the embedded voice."""

from __future__ import annotations

import json
import subprocess
import sys
import wave

import numpy as np

from harness import REPO
from worldsmith.cli.speak import write_speech


def test_speak_writes_a_wav_and_the_visemes_that_cover_it(tmp_path):
    wav_path, track_path = write_speech("Mind the bridge, traveller. It is older than the king.", output=tmp_path / "out")
    with wave.open(str(wav_path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    track = json.loads(track_path.read_text())
    assert samples.std() > 300 and track["duration_ms"] == samples.size / 24
    assert track["voice"] == "heart" and track["engine"].startswith("hibari ")
    assert track["visemes"][0]["start_ms"] == 0 and track["visemes"][-1]["end_ms"] == track["duration_ms"]
    assert {v["name"] for v in track["visemes"]} >= {"viseme_sil", "viseme_PP", "viseme_aa"}


def test_an_unknown_voice_exits_2_naming_the_field(tmp_path):
    run = subprocess.run([sys.executable, "-m", "worldsmith.cli", "speak", "Hello.", "--voice", "gandalf", "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(REPO / "server"), "PATH": "", "COLUMNS": "200"})
    assert run.returncode == 2 and "voice.id" in run.stderr and "gandalf" in run.stderr
    assert not (tmp_path / "speech.wav").exists()

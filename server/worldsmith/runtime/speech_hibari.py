"""The hibari speech engine: a Kokoro-82M distillation on onnxruntime, 24 kHz, its durations timing the visemes.

hibari's graph predicts one duration per phoneme (in units of two 12.5 ms frames) and expands the
phonemes by them before it decodes audio, but returns only the audio's spectra. `_with_durations`
adds that tensor (`/Cast_32_output_0`, the rounded, clipped durations after the speed division) to the
graph's outputs with onnx, so the visemes are timed by the very frames the audio is made of. The sound trails those frames by
about one unit (25 ms): on five sentences the track agreed with the audio on 78% of judged frames as
timed and on 81% led by one unit (vowels alone), so the track leads by one unit, as a mouth leads its sound.

Voices are whole models: "heart" ships inside the wheel; the others are files hibari downloads on first
use. This engine never downloads: a configured voice that is not on disk fails the load with where the
file belongs, which health reports as the speech service's NOT_SERVING reason.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime import packages
from worldsmith.runtime.speech import SpeechClip, SpeechEngine, to_pcm16
from worldsmith.runtime.visemes import SILENCE, led, timeline, trim_pauses, viseme_of, with_weights, without_lead_in

log = logging.getLogger(__name__)

DURATIONS_OUTPUT = "/Cast_32_output_0"
SPECTRUM_OUTPUTS = ("lh", "theta", "ln", "lr", "phi", "f0")


def _with_durations(model_path: str):
    """The voice's ONNX graph with the per-phoneme durations as one more output."""
    import onnx

    model = onnx.load(model_path)
    if not any(DURATIONS_OUTPUT in node.output for node in model.graph.node):
        raise RuntimeError(f"{model_path} has no {DURATIONS_OUTPUT} tensor: this hibari export lays its graph out "
                           f"differently, so visemes cannot be timed from it")
    model.graph.output.append(onnx.helper.make_tensor_value_info(DURATIONS_OUTPUT, onnx.TensorProto.INT64, None))
    return model.SerializeToString()


class HibariVoice:
    """One voice: its ONNX session (with durations) and the G2P its accent uses."""

    def __init__(self, name: str, model_path: str, threads: int):
        import onnxruntime
        from hibari import Hibari

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = threads
        options.log_severity_level = 3
        self.name = name
        self.session = onnxruntime.InferenceSession(_with_durations(model_path), options, providers=["CPUExecutionProvider"])
        # Hibari's own object gives the G2P, the sentence splitter and the phoneme ids; its session is not used.
        self.text = Hibari(voice=name, model=model_path, threads=1)


class HibariSpeech(SpeechEngine):
    """The resident hibari voices; one sentence per job, one ONNX run per sentence."""

    sample_rate = 24000
    weights_dtype = "int8"  # hibari's exports quantise their MatMul weights

    def __init__(self, voices: dict[str, HibariVoice], model_id: str, revision: str, limits: LaneLimits | None = None):
        super().__init__("speech", limits)
        self._voices = voices
        self.voices = tuple(voices)
        self.model_id = model_id
        self.revision = revision

    def synthesize(self, text: str, voice: str, speed: float = 1.0, seed: int = 0) -> SpeechClip:
        from hibari import dsp

        engine = self._voices[voice]
        rng = np.random.default_rng(seed)
        pieces: list[SpeechClip] = []
        for phonemes in engine.text.phonemize(text):
            if all(viseme_of(symbol) == SILENCE for symbol in phonemes):
                continue  # punctuation alone ("...") is a pause the voice would breathe, not speech
            ids = engine.text.ids(phonemes)
            symbols = ["<pad>", *(c for c in phonemes if c in engine.text.vocab), "<pad>"]
            outputs = engine.session.run([*SPECTRUM_OUTPUTS, DURATIONS_OUTPUT],
                                         {"ids": np.asarray([ids], np.int64), "speed": np.asarray([speed], np.float32)})
            lh, theta, ln, lr, phi, f0 = (output[0] for output in outputs[:6])
            audio = dsp.synth(lh, theta, ln, lr, phi, f0, rng)
            units = outputs[6].reshape(-1).astype(np.float64)
            ms_per_unit = len(audio) / units.sum() * 1000.0 / self.sample_rate
            durations = list(units * ms_per_unit)
            spans = trim_pauses(led(timeline(symbols, durations), ms_per_unit), audio, self.sample_rate)
            audio, spans, cut_ms = without_lead_in(audio, self.sample_rate, spans)
            word_ends = tuple(end - cut_ms for end in _word_ends(symbols, durations))
            pieces.append(SpeechClip(to_pcm16(audio), self.sample_rate, tuple(with_weights(spans, audio, self.sample_rate)),
                                     word_ends))
        return _joined(pieces, self.sample_rate)

    def warmup(self) -> None:
        for voice in self.voices:
            self.synthesize("Warm up.", voice)

    def memory_bytes(self) -> int:
        return sum(os.path.getsize(voice.text.model_path) for voice in self._voices.values())


def _word_ends(symbols: list[str], durations: list[float]) -> tuple[float, ...]:
    """Where each spoken word ends: the end of the last phoneme before each space and before the end."""
    ends, clock, last_spoken = [], 0.0, None
    for symbol, duration in zip(symbols, durations):
        clock += duration
        if symbol == " " or symbol == "<pad>":
            if last_spoken is not None:
                ends.append(last_spoken)
                last_spoken = None
        elif symbol.isalpha() or symbol in "ᵊˈˌː":
            last_spoken = clock
    return tuple(ends)


def _joined(pieces: list[SpeechClip], sample_rate: int) -> SpeechClip:
    """Sentences one after another, their times moved to where each starts."""
    if not pieces:
        return SpeechClip.silent(sample_rate)
    visemes, word_ends, offset = [], [], 0.0
    for piece in pieces:
        visemes += [type(v)(v.name, round(v.start_ms + offset, 1), round(v.end_ms + offset, 1), v.weight) for v in piece.visemes]
        word_ends += [end + offset for end in piece.word_ends_ms]
        offset += piece.duration_ms
    return SpeechClip(b"".join(piece.pcm for piece in pieces), sample_rate, tuple(visemes), tuple(word_ends))


def load(source: str = "package:hibari", revision: str = "", device: str = "cpu", dtype=None,
         limits: LaneLimits | None = None, *, voices: tuple[str, ...] = ("heart",), threads: int = 1) -> HibariSpeech:
    """Load each configured voice from disk; a voice that would need a download fails the load and says where its file goes."""
    if source != "package:hibari":
        raise ValueError(f"the hibari speech engine loads source 'package:hibari', not {source!r}")
    hibari = packages.import_package(source)
    from hibari.voices import VOICES, voice_path

    loaded = {}
    for name in voices:
        if name not in VOICES:
            raise ValueError(f"speech.voices names {name!r}, which hibari does not have (it has: {', '.join(VOICES)})")
        try:
            path = voice_path(name, download_missing=False)
        except FileNotFoundError as missing:
            raise FileNotFoundError(
                f"voice {name!r} is not on disk ({missing}); worldsmith never downloads a voice while serving. Copy "
                f"{VOICES[name]['file']} there (or set HIBARI_HOME to the folder that holds it), or use the voice "
                f"inside the package, 'heart'") from None
        loaded[name] = HibariVoice(name, path, threads)
    version = getattr(hibari, "__version__", "") or _installed_version("hibari-tts")
    log.info("hibari %s voices %s resident on the CPU", version, ", ".join(loaded))
    return HibariSpeech(loaded, "hibari", version if revision in ("", "main") else revision, limits)


def _installed_version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)

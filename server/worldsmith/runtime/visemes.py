"""Visemes: misaki phonemes (the alphabet Kokoro-family voices read) to the 15 Oculus visemes, timed by the voice's durations.

The names are the avatars' shape keys (`viseme_sil` ... `viseme_U`). A stress mark (ˈ ˌ) is spoken as
the vowel after it, so its frames join that vowel; length and tone marks join the phoneme before them.
Punctuation, word gaps of 100 ms or more and the voice's leading and trailing pads are `viseme_sil`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES = ("viseme_sil", "viseme_PP", "viseme_FF", "viseme_TH", "viseme_DD", "viseme_kk", "viseme_CH", "viseme_SS",
         "viseme_nn", "viseme_RR", "viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U")
SILENCE = "viseme_sil"
# Visemes with the lips apart: in the avatars' shapes (avatars/head.py) each opens the jaw by at least 0.2,
# where sil, PP (lips pressed), FF (lip tucked) and SS (teeth together) keep it near shut. A loud voiced
# frame should show one of these.
OPEN_MOUTH = frozenset({"viseme_TH", "viseme_DD", "viseme_kk", "viseme_CH", "viseme_nn", "viseme_RR",
                        "viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U"})
VOWELS = frozenset({"viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U"})

_GROUPS = {
    "viseme_PP": "pbm",
    "viseme_FF": "fv",
    "viseme_TH": "θð",
    "viseme_DD": "tdɾʔ",
    "viseme_kk": "kɡŋhxçq",
    "viseme_CH": "ʃʒʧʤʨʥ",
    "viseme_SS": "szʦʣ",
    "viseme_nn": "nlɲɳɴ",
    "viseme_RR": "ɹɚɻr",
    # Open vowels and the diphthongs that start open: I (aɪ), W (aʊ).
    "viseme_aa": "ɑæaʌɐIW",
    # Mid front and central vowels, schwa among them: A (eɪ).
    "viseme_E": "ɛeəᵊɜA",
    "viseme_I": "ɪiᵻɨyj",
    # Rounded back vowels and the diphthongs that start rounded: O (oʊ), Q (əʊ), Y (ɔɪ).
    "viseme_O": "ɒɔoOQYø",
    "viseme_U": "ʊuwɯœ",
}
PHONEME_TO_VISEME = {phoneme: viseme for viseme, phonemes in _GROUPS.items() for phoneme in phonemes}
_JOINS_NEXT = frozenset("ˈˌ")
_JOINS_PREVIOUS = frozenset("ːʰʲ\u0303↓→↗↘")
WORD_GAP_SILENCE_MS = 100.0
# A 10 ms frame under this share of the clip's loud level (its 95th-percentile frame RMS) is silent.
SILENT_LEVEL = 0.01


@dataclass(frozen=True)
class Viseme:
    """One mouth shape held from `start_ms` to `end_ms` (from the clip's start), at `weight` in [0, 1]."""

    name: str
    start_ms: float
    end_ms: float
    weight: float


def viseme_of(symbol: str) -> str:
    """The viseme a phoneme symbol shows; anything that is no phoneme (punctuation, pads) is silence."""
    return PHONEME_TO_VISEME.get(symbol, SILENCE)


def timeline(symbols: list[str], durations_ms: list[float]) -> list[tuple[str, float, float]]:
    """(viseme, start, end) per phoneme, modifiers folded into their phoneme, neighbours of one viseme merged."""
    spans: list[list] = []
    carried = 0.0
    clock = 0.0
    for index, (symbol, duration) in enumerate(zip(symbols, durations_ms)):
        start, clock = clock, clock + duration
        if symbol in _JOINS_NEXT and index + 1 < len(symbols):
            carried += duration
            continue
        if symbol in _JOINS_PREVIOUS and spans:
            spans[-1][2] = clock
            continue
        name = viseme_of(symbol)
        if symbol == " " and duration < WORD_GAP_SILENCE_MS and spans:
            spans[-1][2] = clock  # a short gap between words is the previous phoneme's release
            continue
        start -= carried
        carried = 0.0
        if spans and spans[-1][0] == name:
            spans[-1][2] = clock
        else:
            spans.append([name, start, clock])
    return [(name, start, end) for name, start, end in spans]


def led(spans: list[tuple[str, float, float]], lead_ms: float) -> list[tuple[str, float, float]]:
    """Every viseme `lead_ms` earlier, the track still starting at 0 and ending where it ended."""
    if not spans:
        return spans
    end = spans[-1][2]
    moved = [(name, max(0.0, start - lead_ms), max(0.0, stop - lead_ms)) for name, start, stop in spans]
    moved = [span for span in moved if span[2] > span[1]]
    moved[0] = (moved[0][0], 0.0, moved[0][2])
    last = moved[-1]
    return moved[:-1] + [(last[0], last[1], end)]


def quiet_frames(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """For each 10 ms frame, whether it is under `SILENT_LEVEL` of the clip's loud level."""
    frame = sample_rate // 100
    count = len(audio) // frame
    if count == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt(np.mean(np.square(audio[:count * frame].reshape(count, frame), dtype=np.float64), axis=1))
    return rms < SILENT_LEVEL * (np.percentile(rms, 95) or 1.0)


def without_lead_in(audio: np.ndarray, sample_rate: int, spans: list[tuple[str, float, float]],
                    keep_ms: float = 50.0) -> tuple[np.ndarray, list[tuple[str, float, float]], float]:
    """The clip from `keep_ms` before its first sound, its spans moved to match, and the ms cut.

    The voice opens every sentence with a pad of 300-375 ms of silence; a reply that starts with it
    sounds late however early its first sample arrives.
    """
    quiet = quiet_frames(audio, sample_rate)
    sounding = np.flatnonzero(~quiet)
    cut_ms = max(0.0, (sounding[0] if sounding.size else 0) * 10.0 - keep_ms)
    if cut_ms <= 0:
        return audio, spans, 0.0
    moved = [(name, max(0.0, start - cut_ms), stop - cut_ms) for name, start, stop in spans if stop > cut_ms]
    return audio[int(cut_ms * sample_rate / 1000):], moved, cut_ms


def trim_pauses(spans: list[tuple[str, float, float]], audio: np.ndarray, sample_rate: int) -> list[tuple[str, float, float]]:
    """Close the mouth where the voice has gone quiet before a pause.

    The voice stretches the last phoneme before punctuation or the end over the pause that follows
    (a sentence-final consonant measured 325 ms, 200 of them silent), so a phoneme followed by silence
    ends at its last 10 ms frame above 1% of the clip's loud level, and the silence takes the rest.
    """
    quiet = quiet_frames(audio, sample_rate)
    count = len(quiet)
    if count == 0:
        return spans
    trimmed: list[list] = [list(span) for span in spans]
    for index, span in enumerate(trimmed):
        name, start, end = span
        followed_by_silence = index + 1 == len(trimmed) or trimmed[index + 1][0] == SILENCE
        if name == SILENCE or not followed_by_silence:
            continue
        first, last = int(start // 10), min(count, int(np.ceil(end / 10)))
        while last > first + 1 and quiet[last - 1]:
            last -= 1
        cut = min(end, last * 10.0)
        if cut < end:
            span[2] = cut
            if index + 1 < len(trimmed):
                trimmed[index + 1][1] = cut
            else:
                trimmed.append([SILENCE, cut, end])
    return [tuple(span) for span in trimmed]


def with_weights(spans: list[tuple[str, float, float]], audio: np.ndarray, sample_rate: int) -> list[Viseme]:
    """Visemes weighted by their stretch of audio: its loudness against the clip's loudest stretch (silence: 1)."""
    levels = []
    for _, start, end in spans:
        piece = audio[int(start * sample_rate / 1000):max(int(start * sample_rate / 1000) + 1, int(end * sample_rate / 1000))]
        levels.append(float(np.sqrt(np.mean(np.square(piece, dtype=np.float64)))) if piece.size else 0.0)
    loudest = max(levels, default=0.0) or 1.0
    return [Viseme(name, round(start, 1), round(end, 1),
                   1.0 if name == SILENCE else round(min(1.0, max(0.2, level / loudest)), 3))
            for (name, start, end), level in zip(spans, levels)]


def agreement(audio: np.ndarray, sample_rate: int, visemes: list[Viseme], frame_ms: float = 10.0,
              open_mouth: frozenset[str] = OPEN_MOUTH) -> tuple[float, int]:
    """The share of judged 10 ms frames on which the track agrees with the audio, and how many were judged.

    A frame is judged when it is loud and voiced (RMS at least half the clip's 95th-percentile frame,
    under 10% zero crossings: the track should show one of `open_mouth`) or silent (RMS under `SILENT_LEVEL` of it: the
    track should show `viseme_sil`); frames in between (consonants, fades) are not judged.
    """
    step = int(sample_rate * frame_ms / 1000)
    count = len(audio) // step
    if count == 0:
        return 1.0, 0
    frames = audio[:count * step].astype(np.float64).reshape(count, step)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    crossings = np.mean(np.abs(np.diff(np.signbit(frames), axis=1)), axis=1)
    reference = np.percentile(rms, 95) or 1.0
    shown = np.full(count, SILENCE, dtype=object)
    for viseme in visemes:
        shown[int(viseme.start_ms / frame_ms):int(np.ceil(viseme.end_ms / frame_ms))] = viseme.name
    loud = (rms >= 0.5 * reference) & (crossings < 0.1)
    silent = rms < SILENT_LEVEL * reference
    agreed = np.sum(loud & np.isin(shown, list(open_mouth))) + np.sum(silent & (shown == SILENCE))
    judged = int(np.sum(loud) + np.sum(silent))
    return (float(agreed) / judged if judged else 1.0), judged

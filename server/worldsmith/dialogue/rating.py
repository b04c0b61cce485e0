"""Content rating applied to streamed text: words above the character's rating are masked."""

from __future__ import annotations

import re
from typing import Iterable

from worldsmith._proto.worldsmith.v1 import dialogue_pb2

RATINGS = dialogue_pb2.ContentRating

# Strong words are stems (any word starting with one is masked); mild words match whole.
STRONG_STEMS = ("fuck", "motherfuck", "cunt", "shit", "nigg", "faggot", "retard")
MILD_WORDS = frozenset(
    "damn damned dammit damnit goddamn hell bastard bastards bitch bitches ass asses arse crap crappy piss pissed "
    "bloody slut sluts whore whores dick dicks cock cocks prick pricks".split()
)

# rating -> (stems, whole words) that are masked
BLOCKED: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {
    RATINGS.CONTENT_RATING_EVERYONE: (STRONG_STEMS, MILD_WORDS),
    RATINGS.CONTENT_RATING_TEEN: (STRONG_STEMS, frozenset()),
    RATINGS.CONTENT_RATING_MATURE: ((), frozenset()),
}

GUIDANCE: dict[int, str] = {
    RATINGS.CONTENT_RATING_EVERYONE: "Keep every word suitable for all ages: no profanity, no graphic violence, nothing sexual.",
    RATINGS.CONTENT_RATING_TEEN: "Keep it suitable for teenagers: mild language only, no graphic violence or sexual content.",
    RATINGS.CONTENT_RATING_MATURE: "Mature content is allowed where the story calls for it.",
}

# A word with what follows it up to the next word: a removed word takes its colon and spaces along.
_WORD = re.compile(r"\w+:?[ \t]*", re.UNICODE)


class RatingFilter:
    """Masks blocked words in a stream of text pieces.

    A word can straddle two pieces, so the trailing partial word is held back until the next
    piece (or `flush`) shows where it ends. What `feed` returns is what may be delivered.
    """

    def __init__(self, rating: int, removed: Iterable[str] = ()):
        """`removed`: words dropped outright (with a colon after them), e.g. the card's action names, which
        belong in action calls, never in what the character says aloud."""
        self.stems, self.words = BLOCKED.get(rating, BLOCKED[RATINGS.CONTENT_RATING_EVERYONE])
        self.removed = frozenset(word.lower() for word in removed)
        self.active = bool(self.stems or self.words or self.removed)
        self._pending = ""

    def _mask(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            word = match.group(0)
            core = word.rstrip(": \t")
            lowered = core.lower()
            if lowered in self.removed:
                return ""
            if lowered in self.words or lowered.startswith(self.stems):
                return "*" * len(core) + word[len(core):]
            return word

        return _WORD.sub(replace, text)

    def feed(self, piece: str) -> str:
        text = self._pending + piece
        if not self.active:
            self._pending = ""
            return text
        # Hold back a word that may continue in the next piece.
        tail = re.search(r"\w+$", text)
        cut = tail.start() if tail else len(text)
        self._pending = text[cut:]
        return self._mask(text[:cut])

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._mask(text) if self.active else text

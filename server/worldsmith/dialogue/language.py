"""Which language a character answers in: the player's, when the card lists it, else the card's own."""

from __future__ import annotations

import functools

from lingua import IsoCode639_1, LanguageDetectorBuilder

from worldsmith._proto.worldsmith.v1 import dialogue_pb2

# tag -> (English name, the language's own name). Base models switch language when a speaker's label names it
# in that language ("Bram [Deutsch]:"), far more reliably than when told in English.
LANGUAGE_NAMES = {
    "en": ("English", "English"), "de": ("German", "Deutsch"), "fr": ("French", "Français"),
    "es": ("Spanish", "Español"), "it": ("Italian", "Italiano"), "pt": ("Portuguese", "Português"),
    "nl": ("Dutch", "Nederlands"), "pl": ("Polish", "Polski"), "sv": ("Swedish", "Svenska"),
    "da": ("Danish", "Dansk"), "nb": ("Norwegian", "Norsk"), "fi": ("Finnish", "Suomi"), "cs": ("Czech", "Čeština"),
    "ru": ("Russian", "Русский"), "uk": ("Ukrainian", "Українська"), "tr": ("Turkish", "Türkçe"),
    "ja": ("Japanese", "日本語"), "ko": ("Korean", "한국어"), "zh": ("Chinese", "中文"), "ar": ("Arabic", "العربية"),
    "hi": ("Hindi", "हिन्दी"), "id": ("Indonesian", "Bahasa Indonesia"), "vi": ("Vietnamese", "Tiếng Việt"),
    "th": ("Thai", "ไทย"),
}
# Short lines ("ok", "ja") say little; below this confidence the card's own language is kept.
MIN_CONFIDENCE = 0.5


def language_name(tag: str, native: bool = False) -> str:
    """'de' -> 'German' (or 'Deutsch'); an unknown tag is named as it is."""
    names = LANGUAGE_NAMES.get(tag.split("-")[0].lower())
    return names[1 if native else 0] if names else (tag or "English")


def spoken_languages(character: dialogue_pb2.Character) -> list[str]:
    """The card's languages, its main one first (BCP 47 base tags, lower case)."""
    tags = [character.language or "en", *character.languages]
    return list(dict.fromkeys(tag.split("-")[0].lower() for tag in tags if tag))


def supported(tag: str) -> bool:
    return _iso(tag) is not None


def reply_language(character: dialogue_pb2.Character, player_text: str) -> str:
    """The player's language when the character speaks it, else the character's main language."""
    languages = spoken_languages(character)
    if len(languages) < 2 or not player_text.strip():
        return languages[0]
    detector = _detector(tuple(languages))
    if detector is None:
        return languages[0]
    best = detector.compute_language_confidence_values(player_text)[0]
    tag = best.language.iso_code_639_1.name.lower()
    return tag if best.value >= MIN_CONFIDENCE and tag in languages else languages[0]


def _iso(tag: str) -> IsoCode639_1 | None:
    return getattr(IsoCode639_1, tag.split("-")[0].upper(), None)


@functools.lru_cache(maxsize=64)
def _detector(languages: tuple[str, ...]):
    """A detector that tells these languages (and English, the likeliest stray) apart; models load once."""
    codes = {code for code in map(_iso, (*languages, "en")) if code is not None}
    if len(codes) < 2:
        return None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

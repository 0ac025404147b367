"""Which espeak-ng voice speaks which language (BCP-47 locale), and the robot's voice for a goal."""

from __future__ import annotations

from robot.core.audio import OLDER_LISTENER_WPM, Voice

# A region that has its own espeak-ng voice; other regions fall back to LANGUAGE_VOICES.
REGIONAL_VOICES: dict[str, str] = {
    "en-gb": "en-gb",
    "en-us": "en-us",
    "en-jm": "en-029",     # espeak-ng's Caribbean English
    "es-419": "es-419",
    "es-mx": "es-419",
    "pt-br": "pt-br",
    "fr-be": "fr-be",
    "fr-ch": "fr-ch",
}

# The voice for a language when its region has none of its own (or no region is given).
LANGUAGE_VOICES: dict[str, str] = {
    "en": "en-gb",
    "es": "es",
    "pl": "pl",
    "ja": "ja",            # espeak-ng reads kana; kanji come out as "Chinese letter"
    "ko": "ko",
    "pa": "pa",
    "hi": "hi",
    "ur": "ur",
    "bn": "bn",
    "gu": "gu",
    "ta": "ta",
    "cy": "cy",
    "ga": "ga",
    "gd": "gd",
    "fr": "fr-fr",
    "de": "de",
    "it": "it",
    "pt": "pt",
    "nl": "nl",
    "ro": "ro",
    "el": "el",
    "tr": "tr",
    "ru": "ru",
    "uk": "uk",
    "lt": "lt",
    "ar": "ar",
    "fa": "fa",
    "zh": "cmn",
    "vi": "vi",
}


class NoVoiceForLocale(LookupError):
    """No espeak-ng voice is known for a locale."""


def espeak_voice(locale: str) -> str:
    """espeak-ng voice name for a BCP-47 locale: en-GB -> en-gb, es-ES -> es, pa-IN -> pa."""
    tag = locale.strip().lower().replace("_", "-")
    language, _, rest = tag.partition("-")
    region = rest.split("-")[-1] if rest else ""
    voice = REGIONAL_VOICES.get(f"{language}-{region}") or LANGUAGE_VOICES.get(language)
    if voice is None:
        raise NoVoiceForLocale(f"no espeak-ng voice for locale {locale!r}; languages with a voice: "
                               f"{', '.join(sorted(LANGUAGE_VOICES))}")
    return voice


def robot_voice(locale: str, rate_wpm: float = 0.0, volume: float = 0.0) -> Voice:
    """The voice for a Say goal: 0 rate means OLDER_LISTENER_WPM, 0 volume means full (1.0)."""
    if rate_wpm < 0 or volume < 0:
        raise ValueError(f"rate_wpm and volume must not be negative; got rate_wpm={rate_wpm}, volume={volume}")
    return Voice(language=espeak_voice(locale), rate_wpm=rate_wpm or OLDER_LISTENER_WPM, volume=volume or 1.0)

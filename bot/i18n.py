"""Locale resolution, language detection, catalogs and language names.

This module is the one place that decides which language a conversation is
in (see `resolve_locale`); nothing else reads language fields directly.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo

from bot.scripts import script_of

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "uk", "ar", "km")
LATIN_LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
CATALOG_DOMAIN = "messages"

# Below this probability a Latin-script guess ("ok", "hi") decides nothing.
LATIN_CONFIDENCE = 0.8
# A message needs this many letters before a Latin-script guess is trusted.
LATIN_MIN_LETTERS = 6


def normalise_language(code: Optional[str]) -> Optional[str]:
    """Map a hint such as "fr-CA", "uk_UA" or "RU" to a supported language, or None."""
    if not code or not isinstance(code, str):
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    if base == "ru":
        # Russian speakers in Ukraine: the Ukrainian profile is the closest we have.
        return "uk"
    return base if base in SUPPORTED_LANGUAGES else None


@functools.cache
def language_name(code: str) -> str:
    """The language's name in that language, from CLDR (e.g. "ខ្មែរ", "Українська")."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


@functools.cache
def territory_name(iso2: str, language: str) -> str:
    """A country's name in `language`, from CLDR."""
    return str(Locale.parse(language).territories.get(iso2.upper(), iso2))


def text_direction(language: str) -> str:
    """ "rtl" for right-to-left languages such as Arabic, else "ltr"."""
    return "rtl" if Locale.parse(language).character_order == "right-to-left" else "ltr"


# ------------------------------------------------------------------ detection


SCRIPT_LANGUAGE = {"khmer": "km", "arabic": "ar", "cyrillic": "uk"}


class LatinClassifier(Protocol):
    """Anything that ranks en/fr/es for a text (py3langid in production)."""

    def classify(self, text: str) -> tuple[str, float]:
        """Return the most likely language and its probability."""
        ...


@dataclass
class Detection:
    """A detected language and how sure the detector is."""

    language: str
    confidence: float


class LanguageDetector:
    """Script detection first, then an offline classifier for Latin-script text."""

    def __init__(self, latin: Optional[LatinClassifier] = None) -> None:
        self._latin = latin

    @classmethod
    def offline(cls) -> LanguageDetector:
        """The detector with py3langid's bundled model (nothing downloaded, loaded once)."""
        return cls(_Py3LangId(_latin_identifier()))

    def detect(self, text: str) -> Optional[Detection]:
        """Detect the language of `text`, or None when there is nothing to go on."""
        scripts = Counter(s for s in map(script_of, text) if s and s != "other")
        if not scripts:
            return None
        script, count = scripts.most_common(1)[0]
        if script in SCRIPT_LANGUAGE:
            return Detection(SCRIPT_LANGUAGE[script], 1.0)
        if self._latin is None:
            return Detection(SOURCE_LANGUAGE, 0.0)
        language, probability = self._latin.classify(text)
        if count < LATIN_MIN_LETTERS:
            probability = min(probability, LATIN_CONFIDENCE - 0.01)
        return Detection(language, probability)


@functools.lru_cache(maxsize=1)
def _latin_identifier() -> Any:
    """py3langid's model, restricted to en/fr/es; shared by the NLG and the tokenizer."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LATIN_LANGUAGES))
    return identifier


class _Py3LangId:
    """Adapter from py3langid's identifier to `LatinClassifier`."""

    def __init__(self, identifier: Any) -> None:
        self._identifier = identifier

    def classify(self, text: str) -> tuple[str, float]:
        language, probability = self._identifier.classify(text)
        return str(language), float(probability)


# ------------------------------------------------------------------ decision


@dataclass
class LocaleInputs:
    """Everything the locale decision may use, gathered by the caller."""

    chosen: Optional[str] = None
    user_texts: Sequence[str] = field(default_factory=tuple)
    channel_hint: Optional[str] = None
    country_default: Optional[str] = None


# Keys a channel may put in message metadata to hint at the language.
LANGUAGE_HINT_KEYS = ("language", "language_code")


def locale_inputs(
    messages: Iterable[tuple[Optional[str], Any]], chosen: Optional[str], country_default: Optional[str]
) -> LocaleInputs:
    """Inputs from what the person sent, oldest first, as (text, metadata) pairs.

    Button payloads ("/intent") are not typed text; the first hint a channel put
    in the metadata counts.
    """
    texts: list[str] = []
    hint: Optional[str] = None
    for text, metadata in messages:
        if text and not text.startswith("/"):
            texts.append(text)
        if hint is None and isinstance(metadata, Mapping):
            hint = next((v for k in LANGUAGE_HINT_KEYS if isinstance(v := metadata.get(k), str) and v), None)
    return LocaleInputs(chosen=chosen, user_texts=texts, channel_hint=hint, country_default=country_default)


def resolve_locale(inputs: LocaleInputs, detector: LanguageDetector) -> str:
    """Decide the conversation's language.

    Order: the language the person chose, then the first message whose
    language can be told with confidence, then the channel's hint (e.g.
    Telegram's language_code), then the country's default, then English.
    """
    chosen = normalise_language(inputs.chosen)
    if chosen:
        return chosen
    for text in inputs.user_texts:
        detection = detector.detect(text)
        if detection and detection.confidence >= LATIN_CONFIDENCE:
            return detection.language
    return (
        normalise_language(inputs.channel_hint)
        or normalise_language(inputs.country_default)
        or SOURCE_LANGUAGE
    )


# ------------------------------------------------------------------ catalogs


class Catalogs:
    """Compiled gettext catalogs for every supported language."""

    def __init__(self, catalogs: Mapping[str, Catalog]) -> None:
        self._catalogs = dict(catalogs)
        self._missing_logged: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, locales_dir: Path, languages: Iterable[str] = SUPPORTED_LANGUAGES) -> Catalogs:
        """Read each language's messages.po as `bot.content.translations` allows serving it
        (translations, and previous translations of edited texts until reviewed); a
        messages.mo is read only where there is no .po."""
        from bot.content.translations import serving_catalog

        catalogs: dict[str, Catalog] = {}
        for language in languages:
            folder = locales_dir / language / "LC_MESSAGES"
            po, mo = folder / f"{CATALOG_DOMAIN}.po", folder / f"{CATALOG_DOMAIN}.mo"
            if po.exists():
                catalogs[language] = serving_catalog(po)
            elif mo.exists():
                with mo.open("rb") as handle:
                    catalogs[language] = read_mo(handle)
            elif language != SOURCE_LANGUAGE:
                logger.warning("No catalog for %s at %s", language, po)
        return cls(catalogs)

    def gettext(self, language: str, message: str) -> str:
        """Translate `message`; fall back to the English source and log that once."""
        if language == SOURCE_LANGUAGE or not message:
            return message
        catalog = self._catalogs.get(language)
        entry = catalog.get(message) if catalog is not None else None
        translated = entry.string if entry is not None else None
        if isinstance(translated, str) and translated:
            return translated
        if (language, message) not in self._missing_logged:
            self._missing_logged.add((language, message))
            logger.warning("Missing %s translation, using English: %r", language, message[:80])
        return message

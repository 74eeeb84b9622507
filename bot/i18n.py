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

from bot.language_evidence import ShortMessageEvidence
from bot.scripts import script_of

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "uk", "ar", "km")
LATIN_LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
CATALOG_DOMAIN = "messages"

# Below this probability a Latin-script guess ("ok", "hi") decides nothing.
LATIN_CONFIDENCE = 0.85
# How much a channel's hint (Telegram's language_code: the phone's language) weighs
# against what the person typed, as odds: short messages lean to it, clear ones win.
HINT_ODDS = 4.0
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
    # Every language's probability, when the detector knows them (the short-message evidence).
    posterior: Optional[Mapping[str, float]] = None


class LanguageDetector:
    """Script detection first, then an offline classifier for Latin-script text.

    `detect` (py3langid for en/fr/es) serves the tokenizer; the conversation's
    language is decided with `evidence`, which also knows Arabizi and Ukrainian
    and Khmer in Latin letters, learned from the project's examples.
    """

    def __init__(
        self, latin: Optional[LatinClassifier] = None, short: Optional[ShortMessageEvidence] = None
    ) -> None:
        self._latin = latin
        self.short = short

    @classmethod
    def offline(cls, root: Optional[Path] = None) -> LanguageDetector:
        """py3langid's bundled model; with `root`, the short-message evidence of that project too."""
        short = ShortMessageEvidence.load(root, SUPPORTED_LANGUAGES) if root is not None else None
        return cls(_Py3LangId(_latin_identifier()), short)

    def evidence(self, text: str) -> Optional[Detection]:
        """What one message says about its writer's language, for the conversation's decision.

        None when it carries none (numbers, a place name, "ok"). Without the
        short-message evidence this is `detect`.
        """
        if self.short is None:
            return self.detect(text)
        scripts = Counter(s for s in map(script_of, text) if s and s != "other")
        if not scripts:
            return None
        script = scripts.most_common(1)[0][0]
        if script in SCRIPT_LANGUAGE:
            return Detection(SCRIPT_LANGUAGE[script], 1.0)
        found = self.short.latin.evidence(text)
        if found is None:
            return None
        return Detection(*found.best(), posterior=dict(found.posterior))

    def declines_language(self, text: str, language: str) -> bool:
        """True for "no hablo inglés": `text`, in `language`, says the person does not speak a language."""
        return self.short is not None and self.short.statements.declines(text, language)

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
    # Imported on first use: the model loads only when a Latin-script text needs it.
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
    # The typed text of the person's latest message about language ("no hablo inglés",
    # "in French please"), when it came after their last press of a language button.
    latest_language_text: Optional[str] = None


# Keys a channel may put in message metadata to hint at the language.
LANGUAGE_HINT_KEYS = ("language", "language_code")
# The payload of the language menu's buttons ('/set_language{"language": "km"}').
LANGUAGE_CHOICE_PAYLOAD = "/set_language"


def locale_inputs(
    messages: Iterable[tuple[Optional[str], Any]],
    chosen: Optional[str],
    country_default: Optional[str],
    detector: Optional[LanguageDetector] = None,
) -> LocaleInputs:
    """Inputs from what the person sent, oldest first, as (text, metadata) pairs.

    Button payloads ("/intent") are not typed text; the first hint a channel put
    in the metadata counts. With a `detector`, the latest typed message that
    names a language is kept, unless a language button was pressed after it.
    """
    texts: list[str] = []
    hint: Optional[str] = None
    about_language: Optional[str] = None
    names = detector.short.statements.names if detector is not None and detector.short is not None else ()
    for text, metadata in messages:
        if text and text.startswith(LANGUAGE_CHOICE_PAYLOAD):
            about_language = None
        elif text and not text.startswith("/"):
            texts.append(text)
            if names and any(name in text.lower() for name in names):
                about_language = text
        if hint is None and isinstance(metadata, Mapping):
            hint = next((v for k in LANGUAGE_HINT_KEYS if isinstance(v := metadata.get(k), str) and v), None)
    return LocaleInputs(
        chosen=chosen,
        user_texts=texts,
        channel_hint=hint,
        country_default=country_default,
        latest_language_text=about_language,
    )


def resolve_locale(inputs: LocaleInputs, detector: LanguageDetector) -> str:
    """Decide the conversation's language.

    Once the person has chosen a language, or written a message whose language
    is known with confidence, that is the conversation's language until they
    choose another: a later confident message in another language does not
    switch it. Before that, short messages are weighed together with the
    channel's hint (e.g. Telegram's language_code); then the country's
    default; then English.

    One exception, on purpose: "no hablo inglés" is a Spanish message *about*
    English. The NLU reads a language choice in it (set_language, English),
    but the person is telling us they need Spanish, so a message that names a
    language with a negation chooses the language it is written in, whether the
    conversation started in English or not. A later language button wins again.
    """
    statement = inputs.latest_language_text
    if statement is not None:
        said = detector.evidence(statement)
        confident = said is not None and said.confidence >= LATIN_CONFIDENCE
        if said is not None and confident and detector.declines_language(statement, said.language):
            return said.language
    chosen = normalise_language(inputs.chosen)
    if chosen:
        return chosen
    hint = normalise_language(inputs.channel_hint)
    written = established_language(inputs.user_texts, hint, detector)
    return written or hint or normalise_language(inputs.country_default) or SOURCE_LANGUAGE


def established_language(
    texts: Sequence[str], hint: Optional[str], detector: LanguageDetector
) -> Optional[str]:
    """The language the person's messages establish, oldest first, or None while unsure.

    The first message that is confident on its own settles it. Short messages
    that are not add up, with the channel's hint as a prior, so one
    low-confidence guess never decides and a hint is not overturned by "ok".
    """
    odds: dict[str, float] = {lang: (HINT_ODDS if lang == hint else 1.0) for lang in SUPPORTED_LANGUAGES}
    for text in texts:
        found = detector.evidence(text)
        if found is None:
            continue
        if found.confidence >= LATIN_CONFIDENCE:
            return found.language
        rest = (1.0 - found.confidence) / (len(SUPPORTED_LANGUAGES) - 1)
        posterior = found.posterior or {lang: rest for lang in SUPPORTED_LANGUAGES} | {
            found.language: found.confidence
        }
        for lang in odds:
            odds[lang] *= max(posterior.get(lang, 0.0), 1e-6)
        total = sum(odds.values())
        odds = {lang: value / total for lang, value in odds.items()}
        best = max(odds, key=lambda k: odds[k])
        if odds[best] >= LATIN_CONFIDENCE:
            return best
    return None


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
        # Imported here: Babel's PO parser is needed only when catalogs load (not by `import bot.i18n`).
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

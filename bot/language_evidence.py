"""What a short Latin-script message says about its writer's language, learned from the project's data.

py3langid knows English, French and Spanish from long texts; it calls "yes,
delete it" Spanish and Arabizi ("ana la2et 2onbole") Spanish too, and it has
never seen Ukrainian or Khmer written in Latin letters. The training files
data/nlu/<lang>.yml are labelled by language and hold what people here type,
transliterations and Arabizi included, so one character n-gram model per
language is learned from their Latin-script examples when the assistant starts
(nothing is downloaded). NGO staff who add examples there improve it too.

Numbers and place names carry no language: a message that is only digits, or
only the name of a region or district from content/regions/, or only words
several of our languages share (content/language_evidence.yml), is no evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

import yaml

from bot.nlu.lookups import annotated_names
from bot.nlu.normalise import normalise
from bot.paths import ProjectPaths
from bot.scripts import script_of
from bot.services.regions import load_regions

# Longest history the character model conditions on (4-grams).
ORDER = 4
# Letters and digits make words: Arabizi writes sounds with digits ("la2et", "3am").
_WORD = re.compile(r"[^\W_]+")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")
_SEPARATORS = re.compile(r"[\s,.;:!?()\"'/\-،؟]+")
_KHMER = re.compile(r"[\u1780-\u17ff]")
BOUNDARY = " "


@dataclass(frozen=True)
class Evidence:
    """Each language's posterior probability for one message (they sum to 1)."""

    posterior: Mapping[str, float]

    def best(self) -> tuple[str, float]:
        """The most likely language and its probability."""
        language = max(self.posterior, key=lambda k: self.posterior[k])
        return language, self.posterior[language]


class CharModel:
    """An interpolated (Witten-Bell) character n-gram model of one language's words."""

    def __init__(self, texts: Iterable[str], alphabet: int) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.texts = 0
        for text in texts:
            self.texts += 1
            padded = BOUNDARY * (ORDER - 1) + text + BOUNDARY
            for i in range(ORDER - 1, len(padded)):
                for n in range(ORDER):
                    self.counts[padded[i - n : i]][padded[i]] += 1
        # One alphabet size for every language: a small model must not win short words by a smaller base.
        self.alphabet = alphabet
        self._totals = {h: sum(c.values()) for h, c in self.counts.items()}

    def prob(self, history: str, char: str) -> float:
        """P(char | history), backing off to shorter histories."""
        lower = 1.0 / self.alphabet if not history else self.prob(history[1:], char)
        seen = self.counts.get(history)
        if not seen:
            return lower
        total, types = self._totals[history], len(seen)
        return (seen[char] + types * lower) / (total + types)

    def log_prob(self, text: str) -> float:
        """The log probability of `text` (words separated by single spaces)."""
        padded = BOUNDARY * (ORDER - 1) + text + BOUNDARY
        return sum(
            math.log(self.prob(padded[i - ORDER + 1 : i], padded[i])) for i in range(ORDER - 1, len(padded))
        )


def words(text: str) -> str:
    """Lower-cased words separated by single spaces; standalone numbers dropped (no language)."""
    return " ".join(w for w in _WORD.findall(text.lower()) if not w.isdigit())


def is_latin(text: str) -> bool:
    """True when every letter of `text` is Latin (mixed lines such as "thanks a lot, дякую" are not)."""
    scripts = {s for s in map(script_of, text) if s and s != "other"}
    return scripts == {"latin"}


def training_examples(path: Path) -> list[str]:
    """The example texts of one data/nlu/<lang>.yml, annotations reduced to their text."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: list[str] = []
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(_ANNOTATION.sub(r"\1", line[2:]))
    return texts


class LatinEvidence:
    """Posterior over the supported languages for Latin-script text, from the project's examples."""

    def __init__(
        self, models: Mapping[str, CharModel], places: Iterable[str] = (), shared: Iterable[str] = ()
    ) -> None:
        self.models = dict(models)
        # How often each language is written in Latin letters here: Arabizi and transliterated
        # Ukrainian or Khmer are rarer than English, French and Spanish, as in the examples.
        total = sum(m.texts for m in self.models.values()) or 1
        self.log_prior = {
            lang: math.log((m.texts + 1) / (total + len(self.models))) for lang, m in self.models.items()
        }
        self.places = {p for p in (_place_form(x) for x in places) if p}
        self.shared = {w for w in (words(x) for x in shared) if w}

    @classmethod
    def from_texts(
        cls, texts: Mapping[str, Iterable[str]], places: Iterable[str] = (), shared: Iterable[str] = ()
    ) -> LatinEvidence:
        """Learn one model per language from its Latin-script texts."""
        latin = {lang: [words(t) for t in ts if is_latin(t) and words(t)] for lang, ts in texts.items()}
        alphabet = len({c for ts in latin.values() for t in ts for c in t}) + 1
        return cls({lang: CharModel(ts, alphabet) for lang, ts in latin.items()}, places, shared)

    def evidence(self, text: str) -> Optional[Evidence]:
        """The posterior for `text`, or None when it carries no language (numbers, a place name)."""
        said = words(text)
        if not said or _place_form(text) in self.places or set(said.split()) <= self.shared:
            return None
        scores = {lang: self.log_prior[lang] + model.log_prob(said) for lang, model in self.models.items()}
        top = max(scores.values())
        weights = {lang: math.exp(s - top) for lang, s in scores.items()}
        total = sum(weights.values())
        return Evidence({lang: w / total for lang, w in weights.items()})


def _place_form(text: str) -> str:
    return _SEPARATORS.sub(" ", normalise(text)).strip()


def place_names(regions_dir: Path) -> set[str]:
    """Every name and alias of every region and district NGO staff listed."""
    names: set[str] = set()
    for regions in load_regions(regions_dir).values():
        for region in regions.values():
            for area in (region, *region.districts.values()):
                names |= {area.id.replace("_", " "), *area.names.values(), *area.aliases}
    return names


def _mentions(text: str, term: str) -> bool:
    """`term` in `text` as a whole word (anywhere, for Khmer, written without spaces)."""
    if _KHMER.search(term):
        return term in text
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


@dataclass(frozen=True)
class LanguageStatements:
    """Tells "I don't speak English" (a statement about a language) from "English please" (a choice)."""

    names: frozenset[str]
    negations: Mapping[str, tuple[str, ...]]

    def declines(self, text: str, language: str) -> bool:
        """True when `text`, written in `language`, names a language with one of its negations."""
        typed = same_length_lower(text)
        negations = self.negations.get(language, ())
        return any(_mentions(typed, n) for n in negations) and any(_mentions(typed, n) for n in self.names)


def same_length_lower(text: str) -> str:
    """Lower-cased, apostrophe look-alikes as "'", accents kept."""
    return normalise_apostrophes(text).lower()


def normalise_apostrophes(text: str) -> str:
    """ "don’t" -> "don't"."""
    return re.sub("[\u2019\u2018\u02bc\u0060\u00b4]", "'", text)


@dataclass(frozen=True)
class ShortMessageEvidence:
    """Everything the conversation's language decision knows beyond the script of a message."""

    latin: LatinEvidence
    statements: LanguageStatements

    @classmethod
    def load(cls, root: Path, languages: Iterable[str]) -> ShortMessageEvidence:
        """From the project at `root`: data/nlu/, content/regions/, content/language_evidence.yml."""
        paths = ProjectPaths(root)
        nlu_dir = paths.data / "nlu"
        settings_path = paths.language_evidence
        settings = yaml.safe_load(settings_path.read_text(encoding="utf-8")) if settings_path.exists() else {}
        settings = settings or {}
        texts = {lang: training_examples(nlu_dir / f"{lang}.yml") for lang in languages}
        regions = paths.regions
        latin = LatinEvidence.from_texts(
            texts,
            place_names(regions) if regions.is_dir() else (),
            map(str, settings.get("shared_words") or ()),
        )
        negations = {
            str(lang): tuple(same_length_lower(str(w)) for w in terms or ())
            for lang, terms in (settings.get("negations") or {}).items()
        }
        names = frozenset(annotated_names(nlu_dir).get("language", set()))
        return cls(latin, LanguageStatements(names, negations))

"""Urgent terms and the rule that lets them override NLU: pure, no Rasa imports."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Pattern, Sequence

import yaml

from bot.nlu.normalise import normalise
from bot.scripts import script_of

logger = logging.getLogger(__name__)

# Most urgent first: a message matching several gets the most urgent answer.
SAFETY_INTENTS: tuple[str, ...] = ("someone_injured", "in_hazard_area", "found_object")
SAFETY_NET_KEY = "safety_net"
# Bare words for dangerous objects ("mine", "لغم", "មីន"): people also use them
# harmlessly, so they only count alone ("mine!!") or when NLU is unsure.
DANGER_WORDS = "danger_words"
DANGER_WORD_INTENT = "found_object"
# Words that negate what follows ("nobody is hurt", "personne n'est blessé"): a term right
# after one does not count.
NEGATION_CUES = "negation_cues"
# Words that make an answer that opens with one a no ("no, ...", "ទេ ..."). Apart from the
# cues because some only say no at the start (Khmer "ទេ" also ends a sentence, right
# before the next one: it must not negate the term that follows).
NO_WORDS = "no_words"
# Words of a crisis that is not about explosives ("beats me", "rape", "kill myself"):
# with no mine term at all in the message, they keep a mine answer away from it.
PROTECTION_TERMS = "protection_terms"
TERM_KEYS: tuple[str, ...] = (*SAFETY_INTENTS, DANGER_WORDS, NEGATION_CUES, NO_WORDS, PROTECTION_TERMS)
# Self-harm, violence, sexual violence, armed attack: a crisis answer of its own
# (calm words and the emergency number). Mine advice there is a false safety
# answer, so without a mine term the ranking never moves it to a safety answer.
PROTECTION_INTENT = "protection_concern"
# Fear, shock or silence after an explosion: answered with psychological first aid, unless
# the message has a protection term (self-harm, violence), which makes it a crisis.
DISTRESS_INTENTS = frozenset({"ask_psychological_first_aid"})
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Match:
    """Which safety intent a message matched, on which term, and how strongly."""

    intent: str
    term: str
    urgent: bool = True
    alone: bool = False


def _term_pattern(term: str) -> str:
    """Spaced scripts must match at a word start ("mine" in "mines", not in "examine");
    Khmer and Arabic match anywhere (no spaces; Arabic prefixes attach to words)."""
    escaped = re.escape(term)
    first = next((script_of(c) for c in term if script_of(c)), None)
    if first in ("khmer", "arabic"):
        return escaped
    return rf"(?<![^\W_]){escaped}"


def _alternatives(words: Iterable[Any]) -> str:
    """A regex alternation of the normalised `words`, longest first, each at a word start
    except in Khmer (written without spaces); "" for none."""
    cleaned = sorted({normalise(str(w)) for w in words if normalise(str(w))}, key=len, reverse=True)
    return "|".join(
        re.escape(w) if script_of(w[0]) == "khmer" else rf"(?<![^\W_]){re.escape(w)}" for w in cleaned
    )


class SafetyTerms:
    """Compiled urgent terms per safety intent."""

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        self._patterns: Dict[str, Pattern[str]] = {}
        for intent in TERM_KEYS:
            cleaned = sorted(
                {normalise(t) for t in terms.get(intent, ()) if normalise(str(t))}, key=len, reverse=True
            )
            if cleaned:
                self._patterns[intent] = re.compile("|".join(_term_pattern(t) for t in cleaned))
        # A cue only negates a term it comes just before (whitespace at most between them):
        # "no, he is bleeding" and "no he stepped on a mine" are not negations of the term.
        cues = _alternatives(terms.get(NEGATION_CUES, ()))
        self._negates = re.compile(rf"(?:{cues})\s*$") if cues else None
        no_words = _alternatives(terms.get(NO_WORDS, ()))
        self._opens = re.compile(rf"^\W*(?:{no_words})(?![^\W_])") if no_words else None

    @classmethod
    def load(cls, path: Path) -> SafetyTerms:
        """Read every content/safety_net/*.yml and merge the terms."""
        merged: Dict[str, List[str]] = {key: [] for key in TERM_KEYS}
        for file in sorted(path.glob("*.yml")):
            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
                for key in TERM_KEYS:
                    merged[key] += [str(t) for t in data.get(key) or [] if t is not None]
            except (yaml.YAMLError, AttributeError, TypeError, UnicodeDecodeError) as error:
                # A broken file must not take the safety answers down with it:
                # skip it loudly (`bot content check` reports it with its line).
                logger.error("Skipping unreadable safety-net file %s: %s", file, error)
        if not any(merged.values()):
            logger.warning("No safety-net terms found in %s", path)
        return cls(merged)

    def match(self, text: str) -> Optional[Match]:
        """The most urgent safety intent whose terms occur in `text` not right after a negation
        cue, else a danger word, else None."""
        normalised = normalise(text)
        for intent in SAFETY_INTENTS:
            found = self._first_affirmed(intent, normalised)
            if found:
                return Match(intent, found.group(0), urgent=True)
        danger = self._patterns.get(DANGER_WORDS)
        # Bare danger words already count only alone or when NLU is unsure: no negation.
        found = danger.search(normalised) if danger else None
        if danger and found:
            rest = danger.sub("", normalised)
            alone = not any(c.isalnum() for c in rest)
            return Match(DANGER_WORD_INTENT, found.group(0), urgent=False, alone=alone)
        return None

    def protection(self, text: str) -> Optional[str]:
        """The first protection term (violence, self-harm, armed attack) in `text`, if any."""
        pattern = self._patterns.get(PROTECTION_TERMS)
        found = pattern.search(normalise(text)) if pattern else None
        return found.group(0) if found else None

    def negative(self, text: str) -> bool:
        """True when `text` opens with a negation ("no, ...") or negates a safety term
        ("nobody is hurt"): read as a no, unless `match` finds an urgent term too."""
        normalised = normalise(text)
        if self._opens is not None and self._opens.search(normalised):
            return True
        return any(
            self._negated(normalised, found.start())
            for key in SAFETY_INTENTS
            if (pattern := self._patterns.get(key)) is not None
            for found in pattern.finditer(normalised)
        )

    def _first_affirmed(self, key: str, normalised: str) -> Optional[re.Match[str]]:
        pattern = self._patterns.get(key)
        if pattern is None:
            return None
        return next(
            (f for f in pattern.finditer(normalised) if not self._negated(normalised, f.start())), None
        )

    def _negated(self, normalised: str, start: int) -> bool:
        return self._negates is not None and self._negates.search(normalised[:start]) is not None


def apply_safety_net(
    parsed_intent: Mapping[str, Any],
    match: Optional[Match],
    threshold: float,
    unsure_below: float = 0.6,
    ranking: Sequence[Mapping[str, Any]] = (),
    urgent_share: float = 0.8,
    protection_term: Optional[str] = None,
) -> Optional[Dict[str, Any]]:
    """The intent to use instead of NLU's, or None to keep NLU's.

    A message with a protection term and no mine term at all (urgent or danger
    word) never gets a mine answer: it is a protection concern ("my husband
    beats me at home" is not a found object, whatever NLU ranks first). Nor does
    distress (DISTRESS_INTENTS) with a protection term get first aid for the
    mind: "since the explosion I want to kill myself" is a crisis. Other
    questions keep their answer ("does the law protect me from violence?").
    """
    override = _mine_override(parsed_intent, match, threshold, unsure_below, ranking, urgent_share)
    chosen = (override or parsed_intent).get("name")
    if protection_term is not None and (
        (match is None and chosen in SAFETY_INTENTS) or chosen in DISTRESS_INTENTS
    ):
        return {"name": PROTECTION_INTENT, "confidence": 1.0}
    return override


def _mine_override(
    parsed_intent: Mapping[str, Any],
    match: Optional[Match],
    threshold: float,
    unsure_below: float,
    ranking: Sequence[Mapping[str, Any]],
    urgent_share: float,
) -> Optional[Dict[str, Any]]:
    """What the mine terms and the ranking decide (see apply_safety_net).

    With a term (overrides have confidence 1.0): a sure safety prediction of
    NLU is kept; an unsure one is confirmed by an urgent term, and moved to the
    term's intent when that is more urgent. Over any other intent, an urgent
    term always wins; a bare danger word only when it is the whole message
    ("mine!!") or when NLU is unsure (the fallback, or a confidence under
    `unsure_below`). With or without a term, a message whose safety intents
    together reach `urgent_share` of the top intent's confidence gets the
    likeliest safety answer, with their total as confidence: missing an urgent
    message costs a limb, a safety answer to a question costs a second message.
    A protection concern (PROTECTION_INTENT) is a crisis answer too: without
    any term the ranking never turns it into mine advice; an urgent term does
    unless NLU is sure, and a danger word lets the ranking decide again.
    """
    name = parsed_intent.get("name")
    confidence = float(parsed_intent.get("confidence") or 0.0)
    if match is not None:
        override = _term_override(name, confidence, match, threshold, unsure_below)
        if override is not None or name in SAFETY_INTENTS:
            return override
    if name in SAFETY_INTENTS or (name == PROTECTION_INTENT and match is None):
        return None
    likely = likely_urgent(ranking, urgent_share)
    if likely is None:
        return None
    # The confidence is the safety intents' total: no term vouches for more.
    return {"name": likely[0], "confidence": likely[1]}


def _term_override(
    name: Any, confidence: float, match: Match, threshold: float, unsure_below: float
) -> Optional[Dict[str, Any]]:
    """What a matched term alone decides (see apply_safety_net)."""
    if name in SAFETY_INTENTS:
        # NLU already chose a safety answer: a sure one stands; an unsure one is confirmed
        # by an urgent term (forms then treat it as an interruption, not as an answer),
        # and moved to the term's intent only if that is more urgent ("accident mine"
        # stays an injury).
        if confidence >= threshold or not match.urgent:
            return None
        more_urgent = SAFETY_INTENTS.index(match.intent) < SAFETY_INTENTS.index(str(name))
        return {"name": match.intent if more_urgent else str(name), "confidence": 1.0}
    if name == PROTECTION_INTENT and confidence >= threshold:
        return None
    unsure = name in (None, FALLBACK_INTENT) or confidence < unsure_below
    if match.urgent or match.alone or unsure:
        return {"name": match.intent, "confidence": 1.0}
    return None


def likely_urgent(ranking: Sequence[Mapping[str, Any]], share: float) -> Optional[tuple[str, float]]:
    """The best-ranked safety intent and the safety intents' total confidence, if that total
    reaches `share` of the top intent's confidence."""
    ranked = [entry for entry in ranking if entry.get("name") != FALLBACK_INTENT]
    if not ranked:
        return None
    top = float(ranked[0].get("confidence") or 0.0)
    safety = [entry for entry in ranked if entry.get("name") in SAFETY_INTENTS]
    mass = sum(float(entry.get("confidence") or 0.0) for entry in safety)
    if not safety or top <= 0.0 or mass < share * top:
        return None
    return str(safety[0]["name"]), min(1.0, mass)

"""What a message asks for besides its intent (a graph component after the safety net).

Two things, each set as an entity that the dialogue rules read:
- a second need next to a safety intent ("my husband was injured by a mine and
  needs rehabilitation"): `offer_services` or `offer_report`, so the safety
  answer is given first and the other help is offered after it;
- the lesson a typed risky-activity question is about ("is it safe to go back
  home?"): `topic_home` or `topic_floods`, from words NGO staff list in
  content/lesson_topics.yml, as the lesson menu's buttons do.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Pattern, Sequence

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.content_component import ContentComponent
from bot.nlu.linear_classifier import PARTS_KEY
from bot.nlu.normalise import normalise
from bot.nlu.safety_terms import SAFETY_INTENTS, SAFETY_NET_KEY
from bot.scripts import script_of

logger = logging.getLogger(__name__)

# The help a second need is offered as (entity name), by the intent that carries it.
OFFERS: Dict[str, str] = {
    "find_services": "offer_services",
    "ask_survivor_rights": "offer_services",
    "report_hazard": "offer_report",
}
TOPIC_INTENT = "ask_safe_behaviour"
# Floods first: "after the flood, can we go back home?" is about the flood.
TOPICS: tuple[str, ...] = ("topic_floods", "topic_home")
# survivors: "what happens after I report?" is a report_hazard question about the next steps.
TOPICS_BY_INTENT: Dict[str, tuple[str, ...]] = {
    TOPIC_INTENT: TOPICS,
    "report_hazard": ("topic_after_report",),
}
ALL_TOPICS: tuple[str, ...] = tuple(t for topics in TOPICS_BY_INTENT.values() for t in topics)
EXTRACTOR = "NeedDetector"


def _pattern(term: str) -> str:
    """Spaced scripts match at a word start ("flood" in "flooded"); Khmer and Arabic anywhere."""
    first = next((script_of(c) for c in term if script_of(c)), None)
    escaped = re.escape(term)
    return escaped if first in ("khmer", "arabic") else rf"(?<![^\W_]){escaped}"


class TopicTerms:
    """Compiled words per lesson topic."""

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        self._patterns: Dict[str, Pattern[str]] = {}
        for topic in ALL_TOPICS:
            cleaned = sorted(
                {normalise(str(t)) for t in terms.get(topic) or ()} - {""}, key=len, reverse=True
            )
            if cleaned:
                self._patterns[topic] = re.compile("|".join(_pattern(t) for t in cleaned))

    @classmethod
    def load(cls, path: Path) -> TopicTerms:
        """Read content/lesson_topics.yml (no topics if it is missing or unreadable)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls({topic: [str(t) for t in data.get(topic) or []] for topic in ALL_TOPICS})
        except (OSError, yaml.YAMLError, AttributeError, TypeError) as error:
            # The general risky-activities lesson is still given: skip loudly.
            logger.error("Lesson topics not read from %s: %s", path, error)
            return cls({})

    def match(self, text: str, topics: Sequence[str] = TOPICS) -> Optional[str]:
        """The first topic (in `topics` order) whose word occurs in `text`."""
        normalised = normalise(text)
        return next((t for t in topics if t in self._patterns and self._patterns[t].search(normalised)), None)


def second_need(
    parts: Optional[Sequence[Mapping[str, Any]]], net: Mapping[str, Any], confidence: float
) -> Optional[tuple[str, float]]:
    """The offer (entity name) for a need beside the safety intent and how sure it is, or None.

    Either the safety net overrode a sure enough NLU prediction of an offerable
    intent, or one part of the message (cut in two) is sure enough to be an
    offerable intent while the other part is a safety intent.
    """
    overridden = (net.get("nlu_intent") or {}) if net.get("fired") else {}
    if overridden.get("name") in OFFERS and float(overridden.get("confidence") or 0.0) >= confidence:
        return OFFERS[str(overridden["name"])], float(overridden["confidence"])
    best: Optional[tuple[float, str]] = None
    for part in parts or ():
        for need, sure, other in (("head", "head_confidence", "tail"), ("tail", "tail_confidence", "head")):
            intent = part[need]
            if intent in OFFERS and part[other] in SAFETY_INTENTS and part[sure] >= confidence:
                if best is None or part[sure] > best[0]:
                    best = (float(part[sure]), OFFERS[intent])
    return (best[1], best[0]) if best else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NeedDetector(ContentComponent[TopicTerms]):
    """Sets offer_* entities on safety messages with a second need, topic_* on risky-activity questions."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """topics_file: the topic words; offer_confidence: how sure the other part must be."""
        return {"topics_file": "content/lesson_topics.yml", "offer_confidence": 0.5}

    CONTENT_KEY = "topics_file"
    read = staticmethod(TopicTerms.load)

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the second-need or topic entity the message's final intent calls for."""
        for message in messages:
            text = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            if not text or text.startswith("/"):
                continue
            if intent in SAFETY_INTENTS:
                offer = second_need(
                    message.get(PARTS_KEY),
                    message.get(SAFETY_NET_KEY) or {},
                    float(self._config["offer_confidence"]),
                )
                if offer is not None:
                    self._add(message, offer[0], offer[1])
            elif intent in TOPICS_BY_INTENT:
                topic = self.content.match(text, TOPICS_BY_INTENT[intent])
                if topic is not None:
                    self._add(message, topic, 1.0)
        return messages

    @staticmethod
    def _add(message: Message, entity: str, confidence: float) -> None:
        """Add `entity` (value "yes", as the buttons set it) unless the message has it already."""
        entities = list(message.get(ENTITIES) or [])
        if any(e.get("entity") == entity for e in entities):
            return
        text = message.get(TEXT)
        entities.append(
            {
                "entity": entity,
                "value": "yes",
                "start": 0,
                "end": len(text),
                "confidence_entity": confidence,
                "extractor": EXTRACTOR,
            }
        )
        message.set(ENTITIES, entities, add_to_output=True)

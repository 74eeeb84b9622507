"""What a message asks for besides its intent (a graph component after the safety net).

Three things, each set as an entity that the dialogue rules read:
- a second need next to a safety intent ("my husband was injured by a mine and
  needs rehabilitation"): `offer_services` or `offer_report`, so the safety
  answer is given first and the other help is offered after it;
- the lesson a typed risky-activity question is about ("after the flood, is
  the path safe?"): `topic_floods`, `topic_climate`..., from words NGO staff
  list in content/lesson_topics.yml, as the lesson menu's buttons do; a topic
  listed in `topic_intents` is looked for in messages of those intents
  instead ("what about mines in Ukraine?" understood as choosing the country
  gets `topic_country`; "what happens after I report?" `topic_after_report`);
- the audience track a typed message is about ("I am a farmer, what should I
  know?", "I collect scrap metal"): `track_<id>`, from the same file. Every
  `topic_*` and `track_*` key of the file is read; a message gets at most one:
  floods and season words first, then the other topics (file order), then the track whose
  word comes first in the message ("hunting in the forest" is about hunting).
  Topics are looked for only in risky-activity questions; tracks also in
  questions about children (only the children's and parents' tracks, which
  the rules give for that intent too: "my son collects scrap" stays the
  children lesson) and in messages too unsure to classify, which become
  risky-activity questions. A safety intent, a form answer, a greeting or an
  out-of-scope message is never changed ("best time to harvest potatoes" is
  not a farming-safety question).
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
# Looked for first, then the other topics in the file's order: "after the flood, can we go
# back home?" is about the flood, "after the fire..." about the season.
FIRST: tuple[str, ...] = ("topic_floods", "topic_climate")
TOPIC_PREFIX = "topic_"
TRACK_PREFIX = "track_"
# Other intents whose messages are looked at for a track, and the tracks they may get (None: any).
# Never a safety intent, a form answer, a service or another lesson (warning signs, objects: their
# track-like words are places, "how do I know a field is mined?").
TRACK_INTENTS: Mapping[str, Optional[tuple[str, ...]]] = {
    "ask_children_safety": ("track_children", "track_parents"),
    "nlu_fallback": None,
}
# Of those, the intents that become TOPIC_INTENT when a track is found (the others keep their
# intent, for analytics; rules answer them with the track).
RELABELLED = frozenset({"nlu_fallback"})
# The intent the NLU gave a message whose track word made it a risky-activity question.
RELABELLED_KEY = "track_relabelled_from"
EXTRACTOR = "NeedDetector"


def ordered_keys(keys: Iterable[str]) -> list[str]:
    """The topic and track keys of the file in matching order (FIRST, topics, then tracks)."""
    wanted = [k for k in keys if k.startswith((TOPIC_PREFIX, TRACK_PREFIX))]
    first = [k for k in FIRST if k in wanted]
    topics = [k for k in wanted if k.startswith(TOPIC_PREFIX) and k not in first]
    tracks = [k for k in wanted if k.startswith(TRACK_PREFIX)]
    return first + topics + tracks


def _pattern(term: str) -> str:
    """Spaced scripts match at a word start ("flood" in "flooded"); Khmer and Arabic anywhere."""
    first = next((script_of(c) for c in term if script_of(c)), None)
    escaped = re.escape(term)
    return escaped if first in ("khmer", "arabic") else rf"(?<![^\W_]){escaped}"


class TopicTerms:
    """Compiled words per lesson topic and audience track, in matching order."""

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        self._patterns: Dict[str, Pattern[str]] = {}
        for key in ordered_keys(terms):
            cleaned = sorted({normalise(str(t)) for t in terms.get(key) or ()} - {""}, key=len, reverse=True)
            if cleaned:
                self._patterns[key] = re.compile("|".join(_pattern(t) for t in cleaned))

    @classmethod
    def load(cls, path: Path) -> TopicTerms:
        """Read content/lesson_topics.yml (no topics if it is missing or unreadable)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls({str(key): [str(t) for t in words or []] for key, words in data.items()})
        except (OSError, yaml.YAMLError, AttributeError, TypeError) as error:
            # The general risky-activities lesson is still given: skip loudly.
            logger.error("Lesson topics not read from %s: %s", path, error)
            return cls({})

    @property
    def keys(self) -> list[str]:
        """The topic and track keys that have words, in matching order."""
        return list(self._patterns)

    def match(self, text: str, only: Optional[Iterable[str]] = None) -> Optional[str]:
        """The first topic (in order) whose word is in `text`, else the track whose word comes
        first in it; only keys in `only` when given."""
        normalised = normalise(text)
        allowed = set(self._patterns) if only is None else set(only) & set(self._patterns)
        tracks: list[tuple[int, int, str]] = []
        for rank, (key, pattern) in enumerate(self._patterns.items()):
            found = pattern.search(normalised) if key in allowed else None
            if found is None:
                continue
            if key.startswith(TOPIC_PREFIX):
                return key
            tracks.append((found.start(), rank, key))
        return min(tracks)[2] if tracks else None

    def tracks(self) -> list[str]:
        """The track keys that have words."""
        return [k for k in self._patterns if k.startswith(TRACK_PREFIX)]


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
            offered = intent in OFFERS and part[other] in SAFETY_INTENTS and part[sure] >= confidence
            if offered and (best is None or part[sure] > best[0]):
                best = (float(part[sure]), OFFERS[intent])
    return (best[1], best[0]) if best else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NeedDetector(ContentComponent[TopicTerms]):
    """Sets offer_* entities on safety messages with a second need, topic_* on risky-activity
    questions, track_* on messages about one audience (making them risky-activity questions)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """topics_file: the topic words; offer_confidence: how sure the other part must be;
        topic_intents: topics looked for in messages of other intents than the risky activities."""
        return {"topics_file": "content/lesson_topics.yml", "offer_confidence": 0.5, "topic_intents": {}}

    CONTENT_KEY = "topics_file"
    read = staticmethod(TopicTerms.load)

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the second-need, topic or track entity the message's final intent calls for."""
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
                continue
            topic = self.content.match(text, self._keys_for(intent)) if intent else None
            if topic is not None:
                self._add(message, topic, 1.0)
            elif intent in TRACK_INTENTS:
                track = self.content.match(text, TRACK_INTENTS[str(intent)] or self.content.tracks())
                if track is not None:
                    if intent in RELABELLED:
                        self._relabel(message, str(intent))
                    self._add(message, track, 1.0)
        return messages

    def _keys_for(self, intent: str) -> List[str]:
        """The topics and tracks looked for in a message of `intent`: a key listed in
        `topic_intents` only in messages of those intents ("mines in my country" understood as
        choosing the country), every other key only in risky-activity questions."""
        special: Mapping[str, Sequence[str]] = self._config["topic_intents"] or {}
        return [
            key
            for key in self.content.keys
            if (intent in special[key] if key in special else intent == TOPIC_INTENT)
        ]

    @staticmethod
    def _relabel(message: Message, intent: str) -> None:
        """Make the message a risky-activity question (its track's rules read that intent)."""
        confidence = float((message.get(INTENT) or {}).get("confidence") or 0.0)
        message.set(INTENT, {"name": TOPIC_INTENT, "confidence": confidence}, add_to_output=True)
        message.set(RELABELLED_KEY, intent, add_to_output=True)

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

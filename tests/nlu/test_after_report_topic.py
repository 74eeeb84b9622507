"""A report question about what comes next ("what happens after I report?", "how can I ask for
the area to be marked?") gets topic_after_report from content/lesson_topics.yml; a report does not."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.needs import NeedDetector, TopicTerms
from tests.factories import PROJECT_ROOT

TERMS = TopicTerms.load(PROJECT_ROOT / "content" / "lesson_topics.yml")
AFTER = ("topic_after_report",)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("What happens after I report?", "topic_after_report"),
        ("How can I ask for the area to be marked?", "topic_after_report"),
        ("Que se passe-t-il après le signalement ?", "topic_after_report"),
        ("Comment faire baliser la zone ?", "topic_after_report"),
        ("¿Qué pasa después de reportar?", "topic_after_report"),
        ("¿Cómo pido que señalicen la zona?", "topic_after_report"),
        ("Що відбувається після повідомлення?", "topic_after_report"),
        ("Як попросити позначити ділянку?", "topic_after_report"),
        ("ماذا يحدث بعد الإبلاغ؟", "topic_after_report"),
        ("كيف أطلب وضع علامات على المنطقة؟", "topic_after_report"),
        ("បន្ទាប់ពីរាយការណ៍ តើមានអ្វីកើតឡើង?", "topic_after_report"),
        ("ធ្វើម៉េចសុំដាក់សញ្ញានៅតំបន់នោះ?", "topic_after_report"),
        # Reports themselves: the form, not the after-report answer.
        ("I want to report a mine near the school, the area is not marked", None),
        ("je veux signaler un obus, il n'y a pas de balisage", None),
        ("quiero reportar una mina, no hay señales", None),
        ("хочу повідомити про міну біля школи", None),
        ("أريد الإبلاغ عن لغم قرب المدرسة", None),
        ("ខ្ញុំចង់រាយការណ៍ពីមីននៅជិតសាលា", None),
    ],
)
def test_report_questions_about_what_comes_next_get_the_topic(text: str, topic: str | None) -> None:
    assert TERMS.match(text, AFTER) == topic


def detector_config() -> dict[str, Any]:
    """The need detector's configuration as config.yml gives it (topic_intents included)."""
    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    given = next(c for c in pipeline if c["name"] == "bot.nlu.needs.NeedDetector")
    return {**NeedDetector.get_default_config(), **{k: v for k, v in given.items() if k != "name"}}


def message(text: str, intent: str) -> Message:
    data: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 0.9}}
    return Message(data)


def test_only_report_questions_get_it_and_risky_activity_topics_stay_theirs() -> None:
    report = message("what happens after I report a shell?", "report_hazard")
    lesson = message("what happens after I report a shell?", "ask_safe_behaviour")
    home = message("is it safe to go back home", "ask_safe_behaviour")
    home_report = message("I want to report a mine, we are going back home", "report_hazard")
    NeedDetector(detector_config(), TERMS).process([report, lesson, home, home_report])
    found = [
        [(e["entity"], e["value"]) for e in m.get("entities") or []]
        for m in (report, lesson, home, home_report)
    ]
    assert found == [[("topic_after_report", "yes")], [], [("track_returnees", "yes")], []]

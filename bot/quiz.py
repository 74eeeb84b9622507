"""The quiz's score, counted from the conversation's events when the score is said.

Why counted here, by the in-process NLG, and not by an action or a slot: the
quiz is plain responses chosen by rules and by the yes/no policy, so it runs
with the action server down (as the safety answers do); an action would need a
fallback end message and a slot incremented by rules cannot add. The feedback
responses already say which answers were right, in the tracker: the score is
the number of `utter_quiz_q<n>_right` since the latest `utter_quiz_intro`, the
total the number of feedback responses (right or wrong) since then.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from bot.features import Feature

QUIZ_PREFIX = "utter_quiz_"
QUIZ_START = "utter_quiz_intro"
# Rasa's ActionExecuted.type_name (read, not imported: `bot content check` loads no Rasa).
_ACTION_EXECUTED = "action"
# The placeholders the score response uses (the quiz feature registers them, below).
QUIZ_PLACEHOLDERS = ("score", "total")
_FEEDBACK = re.compile(r"^utter_quiz_q\d+_(right|wrong)$")


def quiz_score(events: Iterable[Any]) -> dict[str, int]:
    """{"score": right answers, "total": answers} of the latest quiz; {} before any quiz."""
    started = False
    right = answered = 0
    for event in events:
        name = getattr(event, "action_name", None)
        if getattr(event, "type_name", None) != _ACTION_EXECUTED or not name:
            continue
        if name == QUIZ_START:
            started, right, answered = True, 0, 0
            continue
        found = _FEEDBACK.match(name)
        if found:
            answered += 1
            right += found.group(1) == "right"
    return {"score": right, "total": answered} if started else {}


# The quiz slice is this one module: it registers itself (bot/features.py) with no feature.py.
FEATURE = Feature(name="quiz", placeholders=frozenset(QUIZ_PLACEHOLDERS))

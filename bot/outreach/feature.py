"""What the outreach slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features import Feature
from bot.outreach.surveys import check_surveys
from bot.privacy import SURVEYS

if TYPE_CHECKING:
    from bot.privacy import AppData

# The values actions/surveys.py passes to the survey responses.
SURVEY_PLACEHOLDERS = frozenset(
    {
        "survey_title",
        "survey_intro",
        "survey_number",
        "survey_total",
        "survey_question",
        "survey_score",
        "survey_knowledge",
        "survey_closing",
    }
)


def erase_surveys(data: AppData, conversation: str) -> None:
    """ "Delete my data": the person's survey responses and answers (raises when it cannot)."""
    from bot.outreach.survey_answers import erase_responses

    with data.database.sessions.begin() as session:
        erase_responses(session, conversation)


FEATURE = Feature(
    name="outreach",
    # Surveys: each content/surveys/<name>.yml and its translations.
    checks=(check_surveys,),
    placeholders=SURVEY_PLACEHOLDERS,
    erase={SURVEYS: erase_surveys},
)

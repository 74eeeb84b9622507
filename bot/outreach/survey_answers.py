"""Storing survey answers anonymously (pseudonym, option ids, knowledge score) and erasing them.

A response and its answers are written in one transaction when the last question is answered;
writing the same response id again changes nothing (a retried action never stores twice).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.outreach.store import survey_answers, survey_responses
from bot.store.db import count_where


@dataclass(frozen=True)
class SurveyResponse:
    """One person's completed survey: option ids only, no text."""

    id: str
    survey: str
    pseudonym: str
    language: str
    country: Optional[str]
    run_id: Optional[str]
    started_at: dt.datetime
    completed_at: dt.datetime
    score: Optional[int]
    # question id -> option id
    answers: Mapping[str, str]


def save_response(session: Session, response: SurveyResponse) -> bool:
    """Insert the response and its answers; False (nothing written) when its id is stored already."""
    known = session.execute(
        sa.select(survey_responses.c.id).where(survey_responses.c.id == response.id)
    ).first()
    if known is not None:
        return False
    session.execute(
        sa.insert(survey_responses).values(
            id=response.id,
            survey=response.survey,
            pseudonym=response.pseudonym,
            run_id=response.run_id,
            language=response.language,
            country=response.country,
            started_at=response.started_at,
            completed_at=response.completed_at,
            score=response.score,
        )
    )
    if response.answers:
        session.execute(
            sa.insert(survey_answers),
            [
                {"response_id": response.id, "question": q, "answer": a, "answered_at": response.completed_at}
                for q, a in response.answers.items()
            ],
        )
    return True


def erase_responses(session: Session, pseudonym: str) -> int:
    """Delete every survey response of the person, with its answers; returns how many."""
    return _delete_responses(session, survey_responses.c.pseudonym == pseudonym)


def expire_responses(session: Session, before: dt.datetime, dry_run: bool = False) -> int:
    """Retention: delete the responses (with their answers) started before `before`; how many."""
    return _delete_responses(session, survey_responses.c.started_at < before, dry_run)


def _delete_responses(session: Session, where: sa.sql.ColumnElement, dry_run: bool = False) -> int:
    if dry_run:
        return count_where(session, survey_responses, where)
    ids = sa.select(survey_responses.c.id).where(where)
    session.execute(sa.delete(survey_answers).where(survey_answers.c.response_id.in_(ids)))
    return int(session.execute(sa.delete(survey_responses).where(where)).rowcount or 0)


@dataclass(frozen=True)
class BeforeAfter:
    """A person's first and latest completed response to one survey (for before/after reports)."""

    pseudonym: str
    first_score: Optional[int]
    latest_score: Optional[int]
    first_at: dt.datetime
    latest_at: dt.datetime
    responses: int


def before_after(session: Session, survey: str) -> list[BeforeAfter]:
    """Per person who completed `survey`: the first and the latest score, by started_at."""
    rows = session.execute(
        sa.select(survey_responses.c.pseudonym, survey_responses.c.score, survey_responses.c.started_at)
        .where(survey_responses.c.survey == survey, survey_responses.c.completed_at.is_not(None))
        .order_by(survey_responses.c.pseudonym, survey_responses.c.started_at, survey_responses.c.id)
    ).all()
    grouped: dict[str, list[tuple[Optional[int], dt.datetime]]] = {}
    for pseudonym, score, started_at in rows:
        grouped.setdefault(pseudonym, []).append((score, started_at))
    return [
        BeforeAfter(p, found[0][0], found[-1][0], found[0][1], found[-1][1], len(found))
        for p, found in grouped.items()
    ]

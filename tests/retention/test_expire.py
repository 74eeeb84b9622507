"""Retention on SQLite and PostgreSQL: each kind expires exactly what is older than its period."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import Engine

from bot.inbox.store import DONE, RECEIVED, Sealer, inbox
from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.store import CAMPAIGN, outreach_messages, survey_answers, survey_responses
from bot.outreach.survey_answers import SurveyResponse, save_response
from bot.reports import store as reports_store
from bot.retention.conversations import Expired, expire_conversations
from bot.retention.expire import expire_all
from bot.retention.policy import Retention
from bot.services.referrals import (
    CANCELLED,
    CLOSED,
    OPEN,
    ReferralRequest,
    cancel_referrals,
    close_referral,
    create_referral,
)
from bot.services.store import referrals
from bot.sms.store import sms_numbers
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import hazard_report

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
SECOND = dt.timedelta(seconds=1)
# Short periods, so the boundaries are easy to see: each kind at its own.
RETENTION = Retention(
    conversations_days=10,
    sms_state_days=3,
    report_contacts_days=5,
    closed_referrals_days=7,
    outreach_messages_days=4,
    survey_answers_days=6,
)
NEVER = Retention(None, None, None, None, None, None)
PSEUDONYMS = Pseudonymizer(b"k" * 32)
PSEUDONYM_KEY = Fernet.generate_key()
REQUEST = ReferralRequest("call me on +380 50 765 43 21", "rehabilitation", "ukraine", "kharkiv", None, "uk")


def cutoff(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def tracker_engine(database: Database) -> Engine:
    """Rasa's own events table (SQLTrackerStore's), here in the app database's server."""
    SQLTrackerStore.SQLEvent.__table__.create(database.engine, checkfirst=True)
    return database.engine


def add_events(engine: Engine, sender: str, *times: dt.datetime) -> None:
    rows = [
        {"sender_id": sender, "type_name": "user", "timestamp": t.timestamp(), "data": "{}"} for t in times
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(SQLTrackerStore.SQLEvent.__table__), rows)


def events_by_sender(engine: Engine) -> dict[str, int]:
    table = SQLTrackerStore.SQLEvent.__table__
    query = sa.select(table.c.sender_id, sa.func.count()).group_by(table.c.sender_id)
    with engine.connect() as connection:
        return {str(sender): int(count) for sender, count in connection.execute(query).all()}


def add_number(database: Database, key: str, opted_out: bool, menu_at: dt.datetime | None) -> None:
    menu = json.dumps({"payloads": ["/help"], "pages": []}) if menu_at else None
    with database.sessions.begin() as session:
        session.execute(
            sa.insert(sms_numbers).values(
                number_key=key,
                opted_out=opted_out,
                opted_out_at=menu_at if opted_out else None,
                menu=menu,
                menu_at=menu_at,
            )
        )


def add_inbox_row(database: Database, message_id: str, status: str, received_at: dt.datetime) -> None:
    with database.sessions.begin() as session:
        session.execute(
            sa.insert(inbox).values(
                channel="twilio",
                message_id=message_id,
                conversation="sms-abc",
                status=status,
                received_at=received_at,
                updated_at=received_at,
            )
        )


def add_report(database: Database, created_at: dt.datetime, contact: str | None) -> str:
    report = hazard_report(contact_consent=contact is not None, contact=contact, created_at=created_at)
    with database.sessions.begin() as session:
        reports_store.insert_report(session, report, created_at)
    return str(report.id)


def add_referral(database: Database, sender: str, status: str, closed_at: dt.datetime) -> str:
    referral = create_referral(database, PSEUDONYMS, sender, REQUEST, now=closed_at - dt.timedelta(days=30))
    if status == CLOSED:
        assert close_referral(database, referral.reference, now=closed_at)
    elif status == CANCELLED:
        assert cancel_referrals(database, PSEUDONYMS, sender, now=closed_at) == [referral.reference]
    return referral.reference


def add_outreach(database: Database, recipient: str, created_at: dt.datetime, final: bool) -> None:
    """A message queued at `created_at`, then sent (final) or still waiting."""
    box = Outbox(database, Sealer(PSEUDONYM_KEY), clock=lambda: created_at)
    message = Outgoing(recipient, "sms", "+255100", "en", "body")
    (key,) = box.open_run(f"campaign:c:{recipient}", CAMPAIGN, "c", [message])
    if final:
        box.claim(key, "w", 60.0)
        box.sent(key, "w")


def add_survey_response(database: Database, pseudonym: str, started_at: dt.datetime) -> None:
    """A completed survey response with one answer."""
    response = SurveyResponse(
        id=f"r-{pseudonym}", survey="kap-basic", pseudonym=pseudonym, run_id=None, language="uk",
        country="ukraine", started_at=started_at, completed_at=started_at + dt.timedelta(minutes=3),
        score=1, answers={"q1": "b"},
    )  # fmt: skip
    with database.sessions.begin() as session:
        save_response(session, response)


def contents(database: Database) -> dict[str, Any]:
    """Every row of the tables retention touches, to compare before and after."""
    tables = (
        *(SQLTrackerStore.SQLEvent.__table__, sms_numbers, inbox, reports_store.hazard_reports, referrals),
        *(outreach_messages, survey_responses, survey_answers),
    )
    with database.engine.connect() as connection:
        return {t.name: sorted(map(repr, connection.execute(sa.select(t)).all())) for t in tables}


def fill(database: Database) -> Engine:
    """One row just older than its period and one just younger, per kind (and the cases that stay)."""
    engine = tracker_engine(database)
    add_events(engine, "old", cutoff(40), cutoff(10) - SECOND)
    add_events(engine, "started-long-ago", cutoff(400), cutoff(10) + SECOND)
    add_events(engine, "at-the-boundary", cutoff(10))
    add_number(database, "menu-old", False, cutoff(3) - SECOND)
    add_number(database, "menu-new", False, cutoff(3) + SECOND)
    add_number(database, "stopped-long-ago", True, cutoff(300))
    add_inbox_row(database, "SM-old", DONE, cutoff(3) - SECOND)
    add_inbox_row(database, "SM-new", DONE, cutoff(3) + SECOND)
    add_inbox_row(database, "SM-unanswered", RECEIVED, cutoff(300))
    add_report(database, cutoff(5) - SECOND, "+380 50 111 22 33")
    add_report(database, cutoff(5) + SECOND, "+380 50 444 55 66")
    add_report(database, cutoff(300), None)
    add_referral(database, "closed-old", CLOSED, cutoff(7) - SECOND)
    add_referral(database, "cancelled-old", CANCELLED, cutoff(7) - SECOND)
    add_referral(database, "closed-new", CLOSED, cutoff(7) + SECOND)
    add_referral(database, "open-old", OPEN, cutoff(300))
    add_outreach(database, "sent-old", cutoff(4) - SECOND, final=True)
    add_outreach(database, "sent-new", cutoff(4) + SECOND, final=True)
    add_outreach(database, "waiting-old", cutoff(300), final=False)  # not sent yet: never expires
    add_survey_response(database, "answered-old", cutoff(6) - SECOND)
    add_survey_response(database, "answered-new", cutoff(6) + SECOND)
    return engine


EXPIRED_LINES = [
    "conversations: 1 conversations, 2 events deleted",
    "sms state: 1 numbers, 1 answered inbox messages deleted",
    "report contacts: 1 reports' contacts blanked",
    "closed referrals: 2 referrals deleted",
    "outreach messages: 1 messages deleted",
    "survey answers: 1 responses deleted",
]


def test_each_kind_expires_what_is_older_than_its_period_and_keeps_the_rest(app_database: Database):
    engine = fill(app_database)
    report = expire_all(app_database, engine, RETENTION, now=NOW)
    assert report.lines() == EXPIRED_LINES
    assert report.failed == []
    # The conversation that began long ago but spoke a second inside the period stays whole.
    assert events_by_sender(engine) == {"started-long-ago": 2, "at-the-boundary": 1}
    with app_database.engine.connect() as connection:
        numbers = connection.execute(sa.select(sms_numbers.c.number_key)).scalars().all()
        inbox_ids = connection.execute(sa.select(inbox.c.message_id)).scalars().all()
        reports = connection.execute(
            sa.select(
                reports_store.hazard_reports.c.contact,
                reports_store.hazard_reports.c.contact_consent,
                reports_store.hazard_reports.c.description,
                reports_store.hazard_reports.c.place,
            ).order_by(reports_store.hazard_reports.c.created_at)
        ).all()
        left = connection.execute(sa.select(referrals.c.conversation, referrals.c.status)).all()
        messages = connection.execute(sa.select(outreach_messages.c.recipient)).scalars().all()
        surveyed = connection.execute(sa.select(survey_responses.c.pseudonym)).scalars().all()
        answers = connection.execute(sa.select(survey_answers.c.response_id)).scalars().all()
    assert sorted(numbers) == ["menu-new", "stopped-long-ago"]
    assert sorted(inbox_ids) == ["SM-new", "SM-unanswered"]
    place, description = "near the bridge at Kozacha", "a rusty shell by the road"
    assert [tuple(r) for r in reports] == [
        (None, False, description, place),
        (None, False, description, place),  # the contact went; the hazard and its place stay
        ("+380 50 444 55 66", True, description, place),
    ]
    assert sorted((str(c), str(s)) for c, s in left) == sorted(
        [(PSEUDONYMS.of("closed-new"), CLOSED), (PSEUDONYMS.of("open-old"), OPEN)]
    )
    assert sorted(messages) == ["sent-new", "waiting-old"]
    assert (surveyed, answers) == (["answered-new"], ["r-answered-new"])
    # A second run finds nothing more.
    assert expire_all(app_database, engine, RETENTION, now=NOW).lines() == [
        "conversations: 0 conversations, 0 events deleted",
        "sms state: 0 numbers, 0 answered inbox messages deleted",
        "report contacts: 0 reports' contacts blanked",
        "closed referrals: 0 referrals deleted",
        "outreach messages: 0 messages deleted",
        "survey answers: 0 responses deleted",
    ]


def test_a_dry_run_counts_the_same_and_deletes_nothing(app_database: Database):
    engine = fill(app_database)
    before = contents(app_database)
    report = expire_all(app_database, engine, RETENTION, now=NOW, dry_run=True)
    assert report.lines() == [line.replace(" deleted", " would be deleted") for line in EXPIRED_LINES[:2]] + [
        "report contacts: 1 reports' contacts would be blanked",
        "closed referrals: 2 referrals would be deleted",
        "outreach messages: 1 messages would be deleted",
        "survey answers: 1 responses would be deleted",
    ]
    assert contents(app_database) == before
    assert expire_all(app_database, engine, RETENTION, now=NOW).lines() == EXPIRED_LINES


def test_never_keeps_everything(app_database: Database):
    engine = fill(app_database)
    before = contents(app_database)
    report = expire_all(app_database, engine, NEVER, now=NOW + dt.timedelta(days=36500))
    assert report.lines() == [
        "conversations: kept (never expires)",
        "sms state: kept (never expires)",
        "report contacts: kept (never expires)",
        "closed referrals: kept (never expires)",
        "outreach messages: kept (never expires)",
        "survey answers: kept (never expires)",
    ]
    assert contents(app_database) == before


def test_one_period_never_and_the_others_expire(app_database: Database):
    engine = fill(app_database)
    only_contacts_kept = Retention(10, 3, None, 7, 4, 6)
    assert expire_all(app_database, engine, only_contacts_kept, now=NOW).lines() == [
        EXPIRED_LINES[0],
        EXPIRED_LINES[1],
        "report contacts: kept (never expires)",
        *EXPIRED_LINES[3:],
    ]


def test_conversations_go_in_batches_each_its_own_statement(app_database: Database):
    engine = tracker_engine(app_database)
    # Expired and kept conversations interleaved in sender order, so pages skip the kept ones.
    for n in range(7):
        add_events(engine, f"c{n}", cutoff(50), cutoff(10) - SECOND if n % 3 else cutoff(1))
    deletes: list[str] = []

    def count_deletes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count_deletes)
    try:
        dry = expire_conversations(engine, cutoff(10), dry_run=True, batch=2)
        assert deletes == []
        done = expire_conversations(engine, cutoff(10), batch=2)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_deletes)
    assert (dry.conversations, dry.events) == (done.conversations, done.events) == (4, 8)
    assert len(deletes) == 2  # 4 conversations, 2 per transaction
    assert events_by_sender(engine) == {"c0": 2, "c3": 2, "c6": 2}


def test_without_the_events_table_nothing_is_expired(app_database: Database):
    assert expire_conversations(app_database.engine, NOW) == Expired(conversations=0, events=0)
    assert not sa.inspect(app_database.engine).has_table("events")  # and it is not created


def test_a_failing_kind_is_reported_and_the_others_are_done(app_database: Database, tmp_path):
    fill(app_database)
    unreachable = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'folder' / 'tracker.db'}", future=True)
    report = expire_all(app_database, unreachable, RETENTION, now=NOW)
    assert report.lines() == ["conversations: failed (see the log)", *EXPIRED_LINES[1:]]
    assert report.failed == ["conversations"]


def test_a_tracker_store_that_is_not_sql_is_skipped(app_database: Database):
    fill(app_database)
    report = expire_all(app_database, None, RETENTION, now=NOW)
    assert report.lines() == [
        "conversations: skipped, the tracker store is not an SQL database",
        *EXPIRED_LINES[1:],
    ]
    assert report.failed == []


@pytest.mark.parametrize("days", [1, 365])
def test_the_boundary_is_exactly_the_period(app_database: Database, days: int):
    engine = tracker_engine(app_database)
    add_events(engine, "just-over", NOW - dt.timedelta(days=days) - dt.timedelta(microseconds=1000))
    add_events(engine, "just-under", NOW - dt.timedelta(days=days) + dt.timedelta(microseconds=1000))
    before = Retention(conversations_days=days).cutoff("conversations", NOW)
    assert before == NOW - dt.timedelta(days=days)
    expired = expire_conversations(engine, before)
    assert (expired.conversations, expired.events) == (1, 1)
    assert events_by_sender(engine) == {"just-under": 1}

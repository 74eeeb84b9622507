"""Reports in the app database, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.reports import store
from bot.store.db import Database, downgrade
from tests.factories import hazard_report

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


def test_migration_creates_the_table_and_downgrade_removes_it(app_database: Database):
    assert "hazard_reports" in sa.inspect(app_database.engine).get_table_names()
    downgrade(app_database.engine, "0003_reports-1")
    assert "hazard_reports" not in sa.inspect(app_database.engine).get_table_names()


def test_insert_is_keyed_on_the_report_id(app_database: Database):
    report = hazard_report(latitude=49.98, longitude=36.25, contact_consent=True, contact="+380501234567")
    with app_database.sessions.begin() as session:
        assert store.insert_report(session, report, NOW) is True
    with app_database.sessions.begin() as session:
        assert store.insert_report(session, report, NOW) is False
    with app_database.sessions.begin() as session:
        assert store.count_reports(session) == 1
        assert store.get_report(session, report.id) == report
        assert store.reference_taken(session, report.reference)


def test_list_filters_by_date_and_country(app_database: Database):
    old = hazard_report(created_at=NOW - timedelta(days=10))
    new_ua = hazard_report(created_at=NOW)
    new_kh = hazard_report(created_at=NOW + timedelta(hours=1), country="KH", language="km")
    with app_database.sessions.begin() as session:
        for report in (new_kh, old, new_ua):
            store.insert_report(session, report, NOW)
    with app_database.sessions.begin() as session:
        assert store.list_reports(session) == [old, new_ua, new_kh]
        assert store.list_reports(session, since=NOW - timedelta(days=1)) == [new_ua, new_kh]
        assert store.list_reports(session, country="kh") == [new_kh]
        assert store.list_reports(session, since=NOW, country="UA") == [new_ua]


def test_erasing_contacts_keeps_the_hazard(app_database: Database):
    mine = hazard_report(conversation="a" * 64, contact_consent=True, contact="+380501234567")
    other = hazard_report(conversation="b" * 64, contact_consent=True, contact="+380509999999")
    with app_database.sessions.begin() as session:
        store.insert_report(session, mine, NOW)
        store.insert_report(session, other, NOW)
    with app_database.sessions.begin() as session:
        assert store.erase_contacts(session, "a" * 64) == 1
    with app_database.sessions.begin() as session:
        erased = store.get_report(session, mine.id)
        assert erased is not None
        assert erased.contact is None and erased.contact_consent is False
        assert erased.description == mine.description and erased.place == mine.place
        assert store.get_report(session, other.id) == other


def test_outbox_state_pending_then_failed_then_delivered(app_database: Database):
    report = hazard_report()
    with app_database.sessions.begin() as session:
        store.insert_report(session, report, NOW)
        assert [r.id for r, _ in store.due_forwards(session, NOW)] == [report.id]
        assert store.claim_forward(session, report.id, "pass-1", NOW, NOW + timedelta(minutes=5)) == 0
        store.mark_forward_failed(session, report.id, "pass-1", 3, NOW + timedelta(minutes=1), "HTTP 500")
    with app_database.sessions.begin() as session:
        assert store.due_forwards(session, NOW) == []
        assert store.due_forwards(session, NOW + timedelta(minutes=2))[0][1] == 3
        state = store.forward_state(session, report.id)
        assert state is not None and (state.status, state.error) == ("pending", "HTTP 500")
        later = NOW + timedelta(minutes=2)
        assert store.claim_forward(session, report.id, "pass-2", later, later + timedelta(minutes=5)) == 3
        store.mark_forwarded(session, report.id, "pass-2", 4, later)
    with app_database.sessions.begin() as session:
        state = store.forward_state(session, report.id)
        assert state is not None and (state.status, state.attempts) == ("delivered", 4)
        assert state.forwarded_at == NOW + timedelta(minutes=2)
        assert store.due_forwards(session, NOW + timedelta(days=1)) == []

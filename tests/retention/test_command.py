"""`bot data expire`: the tracker store found from endpoints.yml, the periods from RETAIN_*_DAYS,
and exactly what it prints."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import UserUttered

from bot.cli import main
from bot.clock import utc_now
from bot.retention.conversations import Expired, expire_conversations, tracker_database_url
from bot.store.db import Database
from tests.retention.test_expire import add_events, add_report, events_by_sender, tracker_engine
from tests.store.test_tracker_store import store_in

ERASABLE = "bot.store.tracker_store.ErasableSQLTrackerStore"
DAY = dt.timedelta(days=1)


@pytest.fixture()
def periods(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TRACKER_URL", "ACTION_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETAIN_CONVERSATIONS_DAYS", "10")
    monkeypatch.setenv("RETAIN_SMS_STATE_DAYS", "never")
    monkeypatch.setenv("RETAIN_REPORT_CONTACTS_DAYS", "5")
    monkeypatch.setenv("RETAIN_CLOSED_REFERRALS_DAYS", "7")
    monkeypatch.setenv("RETAIN_OUTREACH_MESSAGES_DAYS", "never")
    monkeypatch.setenv("RETAIN_SURVEY_ANSWERS_DAYS", "never")


def write_endpoints(root: Path, tracker_store: str) -> None:
    # The action server's ${VAR} is unset: only the tracker store's part must be expandable.
    (root / "endpoints.yml").write_text(
        "action_endpoint:\n  url: ${ACTION_SERVER_URL}\n\ntracker_store:\n" + tracker_store,
        encoding="utf-8",
    )


def fill(database: Database) -> sa.engine.Engine:
    """Two conversations and two reports with contacts: one of each past its period, relative to now."""
    now = utc_now()
    engine = tracker_engine(database)
    add_events(engine, "old", now - 40 * DAY, now - 11 * DAY)
    add_events(engine, "recent", now - 40 * DAY, now - 9 * DAY)
    add_report(database, now - 6 * DAY, "+380 50 111 22 33")
    add_report(database, now - 4 * DAY, "+380 50 444 55 66")
    return engine


def expire(root: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["--root", str(root), "data", "expire", *options])
    return code, capsys.readouterr().out.splitlines()


def test_the_project_endpoints_sqlite_tracker_and_app_database(tmp_path: Path, capsys, periods):
    write_endpoints(tmp_path, f'  type: {ERASABLE}\n  dialect: "sqlite"\n  db: "var/tracker.db"\n')
    tracker = tracker_engine(Database.from_url(f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"))
    now = utc_now()
    add_events(tracker, "old", now - 40 * DAY, now - 11 * DAY)
    add_events(tracker, "recent", now - 40 * DAY, now - 9 * DAY)
    app = Database.from_url(f"sqlite:///{tmp_path / 'var' / 'app.db'}").migrate()
    add_report(app, now - 6 * DAY, "+380 50 111 22 33")

    assert expire(tmp_path, capsys, "--dry-run") == (
        0,
        [
            "conversations: 1 conversations, 2 events would be deleted",
            "sms state: kept (never expires)",
            "report contacts: 1 reports' contacts would be blanked",
            "closed referrals: 0 referrals would be deleted",
            "outreach messages: kept (never expires)",
            "survey answers: kept (never expires)",
        ],
    )
    assert events_by_sender(tracker) == {"old": 2, "recent": 2}
    assert expire(tmp_path, capsys) == (
        0,
        [
            "conversations: 1 conversations, 2 events deleted",
            "sms state: kept (never expires)",
            "report contacts: 1 reports' contacts blanked",
            "closed referrals: 0 referrals deleted",
            "outreach messages: kept (never expires)",
            "survey answers: kept (never expires)",
        ],
    )
    assert events_by_sender(tracker) == {"recent": 2}


def test_a_postgresql_tracker_store_by_url_from_the_environment(
    tmp_path: Path, capsys, periods, postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TRACKER_URL", postgres_url)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    write_endpoints(tmp_path, f"  type: {ERASABLE}\n  url: ${{TRACKER_URL}}\n")
    database = Database.from_url(postgres_url).migrate()
    engine = fill(database)
    try:
        assert expire(tmp_path, capsys, "--endpoints", "endpoints.yml") == (
            0,
            [
                "conversations: 1 conversations, 2 events deleted",
                "sms state: kept (never expires)",
                "report contacts: 1 reports' contacts blanked",
                "closed referrals: 0 referrals deleted",
                "outreach messages: kept (never expires)",
                "survey answers: kept (never expires)",
            ],
        )
        assert events_by_sender(engine) == {"recent": 2}
    finally:
        database.dispose()


def test_a_tracker_store_that_is_not_sql_is_named_and_skipped(tmp_path: Path, capsys, periods):
    write_endpoints(tmp_path, "  type: redis\n  url: localhost\n  port: 6379\n")
    code, out = expire(tmp_path, capsys)
    assert (code, out[0]) == (0, "conversations: skipped, the tracker store is not an SQL database")


def test_a_missing_endpoints_file_stops_with_its_name(tmp_path: Path, periods):
    with pytest.raises(SystemExit) as stopped:
        main(["--root", str(tmp_path), "data", "expire", "--endpoints", "nowhere.yml"])
    assert stopped.value.code == f"{tmp_path.resolve() / 'nowhere.yml'}: no such endpoints file"


def test_an_unset_variable_of_the_tracker_store_stops_with_the_file_and_its_name(tmp_path: Path, periods):
    write_endpoints(tmp_path, f"  type: {ERASABLE}\n  url: ${{TRACKER_URL}}\n")
    with pytest.raises(SystemExit) as stopped:
        main(["--root", str(tmp_path), "data", "expire"])
    message = str(stopped.value.code)
    assert message.startswith(f"{tmp_path.resolve() / 'endpoints.yml'}: ")
    assert "${TRACKER_URL}" in message


def test_a_bad_period_stops_before_anything_is_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RETAIN_CONVERSATIONS_DAYS", "a year")
    with pytest.raises(SystemExit) as stopped:
        main(["--root", str(tmp_path), "data", "expire"])
    assert stopped.value.code == (
        "RETAIN_CONVERSATIONS_DAYS must be a whole number of days from 1 to 36500, or 'never', "
        "not 'a year' (see .env.example)"
    )


def test_tracker_database_urls_as_rasa_reads_them(tmp_path: Path):
    assert tracker_database_url({"type": ERASABLE, "dialect": "sqlite", "db": "var/t.db"}, tmp_path) == (
        f"sqlite:///{tmp_path / 'var' / 't.db'}"
    )
    assert tracker_database_url({"type": "sql", "db": "/srv/t.db"}, tmp_path) == "sqlite:////srv/t.db"
    assert tracker_database_url({"type": ERASABLE, "url": "postgresql://u:p@db:5433/rasa"}, tmp_path) == (
        "postgresql://u:p@db:5433/rasa"
    )
    by_parts = {
        "type": "sql",
        "dialect": "postgresql",
        "url": "db.example.org:6432",
        "db": "tracker",
        "username": "rasa",
        "password": "s3cret",
    }
    assert tracker_database_url(by_parts, tmp_path) == "postgresql://rasa:s3cret@db.example.org:6432/tracker"
    assert tracker_database_url({"type": "redis", "url": "localhost"}, tmp_path) is None
    assert tracker_database_url({"type": "rasa.core.tracker_store.MongoTrackerStore"}, tmp_path) is None
    assert tracker_database_url({"type": "no.such.Store"}, tmp_path) is None
    assert tracker_database_url(None, tmp_path) is None


def test_what_the_erasable_tracker_store_wrote_expires_whole(tmp_path: Path):
    store = store_in(tmp_path)
    for sender in ("alice", "bob"):
        tracker = asyncio.run(store.get_or_create_tracker(sender))
        tracker.update(UserUttered("hello"))
        asyncio.run(store.save(tracker))
    stored = events_by_sender(store.engine)
    # Rasa's own timestamps: nothing is older than yesterday; everything is older than tomorrow.
    assert expire_conversations(store.engine, utc_now() - DAY) == Expired(0, 0)
    expired = expire_conversations(store.engine, utc_now() + DAY)
    assert (expired.conversations, expired.events) == (2, stored["alice"] + stored["bob"])
    assert asyncio.run(store.retrieve("alice")) is None
    assert asyncio.run(store.retrieve("bob")) is None

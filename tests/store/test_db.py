"""The app database: URL choice, migrations (once, under a lock) and timeouts on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

from bot.paths import ProjectPaths
from bot.settings import Settings
from bot.store.db import Database, database_url, downgrade
from tests.databases import sqlite_url
from tests.factories import PROJECT_ROOT

TABLES = {
    "alembic_version",
    "sms_numbers",
    "services",
    "referrals",
    "hazard_reports",
    "inbox",
    "alert_subscriptions",
    "outreach_runs",
    "outreach_messages",
    "survey_responses",
    "survey_answers",
}
FIRST_USERS = 13
# How long a call may take before the test calls it hung (the timeouts under test are 2 s).
HANG_DEADLINE = 20.0


def test_default_url_is_sqlite_under_var(tmp_path: Path):
    assert database_url(ProjectPaths(tmp_path), Settings()) == f"sqlite:///{tmp_path / 'var' / 'app.db'}"


def test_database_url_from_environment_and_heroku_style(tmp_path: Path):
    paths = ProjectPaths(tmp_path)
    for given in ("postgresql://u@h/db", "postgres://u@h/db"):
        settings = Settings.from_environ({"DATABASE_URL": given})
        assert database_url(paths, settings) == "postgresql://u@h/db"


def test_migrations_create_tables_and_are_idempotent(app_database: Database):
    app_database.migrate()
    Database(app_database.engine).migrate()  # a second process finds nothing to do
    tables = set(sa.inspect(app_database.engine).get_table_names())
    assert tables == TABLES


def test_downgrade_to_base_removes_tables(app_database: Database):
    downgrade(app_database.engine, "base")
    assert set(sa.inspect(app_database.engine).get_table_names()) == {"alembic_version"}


@pytest.fixture(params=("sqlite", "postgresql"))
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database nothing has migrated yet."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_url"))


def _in_threads(count: int, work: Callable[[], str]) -> list[str]:
    """Run `work` in `count` threads released at once; each result or error's type name."""
    barrier = threading.Barrier(count)
    results: list[str] = [""] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as error:  # noqa: BLE001 (the test reports every failure's type)
            results[index] = type(error).__name__

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    end = time.monotonic() + 120
    for thread in threads:
        thread.join(timeout=max(0.0, end - time.monotonic()))
    return results


def test_concurrent_first_uses_of_a_fresh_database_all_succeed(fresh_url: str, tmp_path: Path):
    settings = Settings(database_url=fresh_url)

    def first_use() -> str:
        database = Database.for_project(ProjectPaths(tmp_path), settings).migrate()
        try:
            with database.sessions.begin() as session:
                session.execute(sa.text("SELECT count(*) FROM sms_numbers")).scalar_one()
        finally:
            database.dispose()
        return "ok"

    assert _in_threads(FIRST_USERS, first_use) == ["ok"] * FIRST_USERS


def test_concurrent_db_upgrade_commands_all_succeed(fresh_url: str, tmp_path: Path):
    env = {"DATABASE_URL": fresh_url, "RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot.cli", "--root", str(tmp_path), "db", "upgrade"]
    processes = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=120), p.stdout.read().decode() if p.stdout else "") for p in processes]
    assert outcomes == [(0, "The app database is up to date.\n")] * 3
    engine = sa.create_engine(fresh_url, future=True)
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    head = sorted(p.stem for p in (PROJECT_ROOT / "bot/store/migrations/versions").glob("0*.py"))[-1]
    assert versions == [head]


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; yields its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def _outcome_within(deadline: float, call: Callable[[], object]) -> BaseException | None:
    """Run `call` in a thread; the error it raised, None if it returned; fails if still running."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 (handed to the test)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=deadline)
    assert outcome, f"still waiting after {deadline:g} s: the call has no timeout"
    return outcome[0]


@pytest.mark.parametrize("call", ["ping", "migrate"])
def test_a_database_that_never_answers_fails_within_the_timeout(tmp_path: Path, call: str):
    with silent_server() as port:
        env = {"DATABASE_URL": f"postgresql://bot@127.0.0.1:{port}/app", "DATABASE_CONNECT_TIMEOUT": "2"}
        database = Database.for_project(ProjectPaths(tmp_path), Settings.from_environ(env))
        error = _outcome_within(HANG_DEADLINE, getattr(database, call))
    assert isinstance(error, sa.exc.OperationalError)
    assert str(error.orig).strip().endswith("timeout expired")


def test_a_statement_longer_than_the_timeout_is_cancelled(postgres_url: str, tmp_path: Path):
    env = {"DATABASE_URL": postgres_url, "DATABASE_STATEMENT_TIMEOUT": "1"}
    database = Database.for_project(ProjectPaths(tmp_path), Settings.from_environ(env))

    def slow() -> None:
        with database.engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_sleep(30)"))

    error = _outcome_within(HANG_DEADLINE, slow)
    database.dispose()
    assert isinstance(error, sa.exc.OperationalError)
    assert type(error.orig).__name__ == "QueryCanceled"


def test_a_locked_sqlite_database_fails_within_the_busy_timeout(tmp_path: Path):
    env = {"DATABASE_URL": sqlite_url(tmp_path), "DATABASE_STATEMENT_TIMEOUT": "1"}
    database = Database.for_project(ProjectPaths(tmp_path), Settings.from_environ(env)).migrate()
    holder = sqlite3.connect(tmp_path / "app.db")
    holder.execute("BEGIN EXCLUSIVE")
    try:

        def write() -> None:
            with database.sessions.begin() as session:
                session.execute(sa.text("DELETE FROM sms_numbers"))

        error = _outcome_within(HANG_DEADLINE / 2, write)
    finally:
        holder.rollback()
        holder.close()
        database.dispose()
    assert isinstance(error, sa.exc.OperationalError)
    assert str(error.orig) == "database is locked"


def test_sqlite_commits_go_to_a_write_ahead_log_that_survives_a_power_cut(tmp_path: Path):
    database = Database.from_url(sqlite_url(tmp_path))
    try:
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            # FULL: the inbox's "stored before acknowledged" holds through a power cut too.
            assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 2
    finally:
        database.dispose()


def test_a_sqlite_commit_survives_the_process_being_killed(tmp_path: Path):
    writer = (
        "import os, signal, sqlalchemy as sa\n"
        "from bot.store.db import make_engine\n"
        f"engine = make_engine({sqlite_url(tmp_path)!r})\n"
        "with engine.begin() as c:\n"
        "    c.execute(sa.text('CREATE TABLE kept (x INTEGER)'))\n"
        "    c.execute(sa.text('INSERT INTO kept VALUES (42)'))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", writer], cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == -9
    reader = sqlite3.connect(tmp_path / "app.db")
    try:
        assert reader.execute("SELECT x FROM kept").fetchall() == [(42,)]
    finally:
        reader.close()


def test_kept_sqlite_connections_follow_the_path_not_the_moved_file(tmp_path: Path):
    database = Database.from_url(sqlite_url(tmp_path))
    try:
        with database.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE kept (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO kept VALUES (1)"))
        (tmp_path / "app.db").rename(tmp_path / "app.db.away")
        (tmp_path / "app.db").mkdir()  # the database can no longer be opened
        with pytest.raises(sa.exc.OperationalError), database.engine.connect() as connection:
            connection.execute(sa.text("SELECT x FROM kept"))
        (tmp_path / "app.db").rmdir()
        (tmp_path / "app.db.away").rename(tmp_path / "app.db")
        with database.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT x FROM kept")).scalars().all() == [1]
    finally:
        database.dispose()

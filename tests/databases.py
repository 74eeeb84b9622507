"""Real app databases for tests: a fresh SQLite file, and a fresh PostgreSQL database.

PostgreSQL comes from TEST_POSTGRES_URL (default: the local server, trust auth).
Without a reachable server the PostgreSQL cases skip with the reason, unless
REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.store.db import Database

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def services_required() -> bool:
    """CI sets REQUIRE_SERVICES=1: a missing service is then a failure, not a skip."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


def _postgres_admin() -> sa.engine.Engine:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        if services_required():
            pytest.fail(f"PostgreSQL is required (REQUIRE_SERVICES=1) but unreachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}; set TEST_POSTGRES_URL")
    return engine


@contextmanager
def created_database(admin: sa.engine.Engine, prefix: str = "eore_test") -> Iterator[sa.engine.URL]:
    """A new, empty database on `admin`'s PostgreSQL server (parallel-safe name), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))  # name is ours, not input
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards; yields its URL."""
    admin = _postgres_admin()
    try:
        with created_database(admin) as url:
            yield url.render_as_string(hide_password=False)
    finally:
        admin.dispose()


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (parallel-safe name), dropped afterwards."""
    with new_postgres_database() as url:
        yield url


def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's own folder."""
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture(params=BACKENDS)
def app_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated app database, once on SQLite and once on PostgreSQL."""
    url = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database.from_url(url).migrate()
    try:
        yield database
    finally:
        database.dispose()

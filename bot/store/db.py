"""The app database (services, referrals, hazard reports, SMS state): engine, sessions, migrations.

SQLite under var/ by default; PostgreSQL (or any SQLAlchemy URL) through
DATABASE_URL. Written in SQLAlchemy 2.0 style on the 1.4 that Rasa pins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.paths import ProjectPaths

DATABASE_URL_ENV = "DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(paths: ProjectPaths, environ: Optional[Mapping[str, str]] = None) -> str:
    """DATABASE_URL, else SQLite at var/app.db."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    if url:
        # Heroku-style "postgres://" is not a SQLAlchemy dialect name.
        return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url
    return f"sqlite:///{paths.var / 'app.db'}"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder created and foreign keys enforced."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Several threads (the server's worker threads) may use the engine.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions for one unit of work each (`with factory.begin() as session:`)."""
    return sessionmaker(engine, future=True, expire_on_commit=False, class_=Session)


def alembic_config(engine: Engine) -> Config:
    """Alembic configured for our migrations and this engine (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision`."""
    command.downgrade(alembic_config(engine), revision)


class Database:
    """One app database: its engine and session factory, migrated on first use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self._migrated = False

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Build (no connection is made until first use)."""
        return cls(make_engine(url))

    @classmethod
    def for_project(cls, paths: ProjectPaths, environ: Optional[Mapping[str, str]] = None) -> Database:
        """The project's database: DATABASE_URL or var/app.db."""
        return cls.from_url(database_url(paths, environ))

    def migrate(self) -> Database:
        """Apply pending migrations once per process; returns self for chaining."""
        if not self._migrated:
            upgrade(self.engine)
            self._migrated = True
        return self

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

"""The app database (services, referrals, hazard reports, SMS state): engine, sessions, migrations.

SQLite under var/ by default; PostgreSQL (or any SQLAlchemy URL) through
DATABASE_URL (bot.settings). Written in SQLAlchemy 2.0 style on the 1.4 that Rasa pins.

Migrations run once at start (`bot db upgrade`, `bot serve`, the ops channel's
start listener), under a lock that several processes can share: a PostgreSQL
advisory lock, or a lock file beside the SQLite database. Every connection has
timeouts, so a database that accepts connections and never answers fails a
call within seconds instead of blocking it.
"""

from __future__ import annotations

import fcntl
import math
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.paths import ProjectPaths
from bot.settings import Settings, Timeouts, load_settings

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock key shared by every process that migrates the app database.
_ADVISORY_LOCK_KEY = 7_215_309_001
# libpq reads connect_timeout in whole seconds and treats anything under 2 as 2.
_LIBPQ_MIN_CONNECT_TIMEOUT = 2


class MigrationLockTimeout(sa.exc.SQLAlchemyError):
    """Another process held the migration lock for longer than the migration timeout."""


def _default_timeouts() -> Timeouts:
    """The environment's timeouts, for callers that pass none (entry points pass theirs)."""
    return load_settings().timeouts


def database_url(paths: ProjectPaths, settings: Optional[Settings] = None) -> str:
    """DATABASE_URL, else SQLite at var/app.db."""
    chosen = (settings or load_settings()).database_url
    return chosen or f"sqlite:///{paths.var / 'app.db'}"


def make_engine(url: str, timeouts: Optional[Timeouts] = None) -> Engine:
    """An engine for `url` with timeouts on every connection; SQLite files get their folder
    created and foreign keys enforced."""
    limits = timeouts or _default_timeouts()
    parsed = sa.engine.make_url(url)
    # A database error's text otherwise quotes the statement's parameters (a person's message,
    # a contact) into every log line and traceback that shows it.
    kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Several threads (the server's worker threads) may use the engine; `timeout`
        # is how long a statement waits for another connection's write lock.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": limits.statement}
        if database and database != ":memory:":
            # Connections kept, not opened and closed for every unit of work (SQLAlchemy
            # gives a SQLite file none): in WAL the last connection's close checkpoints and
            # removes the log, which cost an SMS turn 30 ms (bench/PROFILE.md).
            kwargs["poolclass"] = sa.pool.QueuePool
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_timeout"] = limits.connect
        kwargs["connect_args"] = _postgres_connect_args(parsed, limits)
    engine = sa.create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        if parsed.database and parsed.database != ":memory:":
            follow_the_file(engine, Path(parsed.database))
    return engine


def _file_identity(path: Path) -> Optional[tuple[int, int]]:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def follow_the_file(engine: Engine, path: Path) -> None:
    """Kept SQLite connections are dropped when `path` is no longer the file they opened.

    An open connection follows its file when it is moved or replaced (a restore from a
    backup, a file taken away): it would go on reading and writing the old one. Checked at
    every checkout (one stat); a connection to another file is replaced by a new one on
    `path`, which fails as opening it would.
    """

    def remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["file"] = _file_identity(path)

    def check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("file") != _file_identity(path):
            raise sa.exc.DisconnectionError("the SQLite file was moved or replaced")

    sa.event.listen(engine, "connect", remember)
    sa.event.listen(engine, "checkout", check)


def write_ahead_log(dbapi_connection: Any, durable: bool = True) -> None:
    """SQLite's write-ahead log on this connection; `durable`: every commit also survives a
    power cut (synchronous=FULL), else only the process being killed (synchronous=NORMAL).

    Why the log: in SQLite's default (rollback journal, FULL) every commit waits for several
    fsyncs, about 6 ms here, and a message makes four to six commits (tracker store, SMS
    inbox and state): most of an SMS turn's 100 ms one at a time (bench/PROFILE.md). In WAL
    readers never wait for the writer and a commit appends to the log: with FULL one fsync
    (about 2.5 ms), with NORMAL none (0.01 ms). The app database is durable, because its
    inbox says "stored" to a gateway before the gateway forgets the message; the tracker
    store is not, because a turn lost with the last commits is run again from the inbox.
    The journal mode is kept by the database file; `synchronous` is per connection.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")  # one of two constants
    finally:
        cursor.close()


def _postgres_connect_args(url: sa.engine.URL, limits: Timeouts) -> dict[str, Any]:
    """libpq's connect and statement timeouts, unless the URL sets its own."""
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg2":
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = max(_LIBPQ_MIN_CONNECT_TIMEOUT, math.ceil(limits.connect))
    if "options" not in url.query:
        args["options"] = f"-c statement_timeout={int(limits.statement * 1000)}"
    return args


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    write_ahead_log(dbapi_connection)


def count_where(session: Session, table: sa.Table, where: sa.sql.ColumnElement) -> int:
    """How many rows of `table` match `where`."""
    return int(session.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar_one())


def delete_where(
    session: Session, table: sa.Table, where: sa.sql.ColumnElement, dry_run: bool = False
) -> int:
    """Delete the rows of `table` that match `where`, or with `dry_run` only count them; how many."""
    if dry_run:
        return count_where(session, table, where)
    return int(session.execute(sa.delete(table).where(where)).rowcount or 0)


def update_where(
    session: Session,
    table: sa.Table,
    where: sa.sql.ColumnElement,
    values: dict[str, Any],
    dry_run: bool = False,
) -> int:
    """Set `values` on the rows of `table` that match `where`, or with `dry_run` only count them; how many."""
    if dry_run:
        return count_where(session, table, where)
    return int(session.execute(sa.update(table).where(where).values(**values)).rowcount or 0)


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions for one unit of work each (`with factory.begin() as session:`)."""
    return sessionmaker(engine, future=True, expire_on_commit=False, class_=Session)


def alembic_config(engine: Engine, connection: Optional[Connection] = None) -> Config:
    """Alembic configured for our migrations and this engine (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["connection"] = connection
    return config


# Databases (by URL) this process has brought to head: later calls skip Alembic entirely.
_at_head: set[str] = set()
_process_locks: dict[str, threading.Lock] = {}
_registry = threading.Lock()


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _process_lock(key: str) -> threading.Lock:
    with _registry:
        return _process_locks.setdefault(key, threading.Lock())


def upgrade(engine: Engine, revision: str = "head", timeouts: Optional[Timeouts] = None) -> None:
    """Bring the schema to `revision` (idempotent), holding the migration lock."""
    limits = timeouts or _default_timeouts()
    key = _key(engine)
    with _process_lock(key), _migration_connection(engine, limits) as connection:
        command.upgrade(alembic_config(engine, connection), revision)
    if revision == "head":
        _at_head.add(key)


def downgrade(engine: Engine, revision: str, timeouts: Optional[Timeouts] = None) -> None:
    """Take the schema back to `revision`, holding the migration lock."""
    limits = timeouts or _default_timeouts()
    key = _key(engine)
    _at_head.discard(key)
    with _process_lock(key), _migration_connection(engine, limits) as connection:
        command.downgrade(alembic_config(engine, connection), revision)


@contextmanager
def _migration_connection(engine: Engine, limits: Timeouts) -> Iterator[Connection]:
    """A connection holding the cross-process migration lock."""
    if engine.dialect.name == "postgresql":
        with _postgres_advisory_lock(engine, limits) as connection:
            yield connection
    elif engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine, limits), engine.connect() as connection:
            yield connection
    else:
        with engine.connect() as connection:
            yield connection


@contextmanager
def _postgres_advisory_lock(engine: Engine, limits: Timeouts) -> Iterator[Connection]:
    with engine.connect() as connection:
        # Waiting for another process's migration, and the DDL itself, may take longer
        # than an ordinary statement: the migration timeout bounds both.
        connection.execute(sa.text(f"SET statement_timeout = {int(limits.migration * 1000)}"))
        connection.execute(sa.select(sa.func.pg_advisory_lock(_ADVISORY_LOCK_KEY)))
        connection.commit()  # the lock and the setting belong to the session, not the transaction
        try:
            yield connection
        finally:
            try:
                connection.rollback()
                connection.execute(sa.select(sa.func.pg_advisory_unlock(_ADVISORY_LOCK_KEY)))
                connection.execute(sa.text("RESET statement_timeout"))
                connection.commit()
            except sa.exc.SQLAlchemyError:
                # Closing the session is what releases its lock for sure.
                connection.invalidate()


@contextmanager
def _sqlite_file_lock(engine: Engine, limits: Timeouts) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database: the process lock is enough
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    deadline = time.monotonic() + limits.migration
    with lock_path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as busy:
                if time.monotonic() >= deadline:
                    message = f"{lock_path} held for over {limits.migration:g} s"
                    raise MigrationLockTimeout(message) from busy
                time.sleep(0.05)  # flock has no timeout of its own
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Database:
    """One app database: its engine and session factory."""

    def __init__(self, engine: Engine, timeouts: Optional[Timeouts] = None) -> None:
        self.engine = engine
        self.timeouts = timeouts or _default_timeouts()
        self.sessions = session_factory(engine)

    @classmethod
    def from_url(cls, url: str, timeouts: Optional[Timeouts] = None) -> Database:
        """Build (no connection is made until first use)."""
        limits = timeouts or _default_timeouts()
        return cls(make_engine(url, limits), limits)

    @classmethod
    def for_project(cls, paths: ProjectPaths, settings: Optional[Settings] = None) -> Database:
        """The project's database: DATABASE_URL or var/app.db, with the settings' timeouts."""
        chosen = settings or load_settings()
        return cls.from_url(database_url(paths, chosen), chosen.timeouts)

    def migrate(self) -> Database:
        """Make sure the schema is at head; returns self for chaining.

        Free once this process has migrated the same database (the start-up
        migration did); otherwise runs Alembic under the migration lock, so
        concurrent first calls from threads or processes are safe.
        """
        key = _key(self.engine)
        if key in _at_head:
            return self
        with _process_lock(key):
            if key in _at_head:  # another thread migrated it while this one waited
                return self
            with _migration_connection(self.engine, self.timeouts) as connection:
                command.upgrade(alembic_config(self.engine, connection), "head")
            _at_head.add(key)
        return self

    def ping(self) -> None:
        """One round trip (raises when the database does not answer within its timeouts)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def migrate_project_database(paths: ProjectPaths, settings: Optional[Settings] = None) -> Optional[str]:
    """Bring the project's database to head; None when done, else what went wrong (one line)."""
    database = Database.for_project(paths, settings)
    try:
        database.migrate()
    except sa.exc.SQLAlchemyError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"The app database ({database.engine.url!r}) could not be migrated: {first_line}"
    finally:
        database.dispose()
    return None

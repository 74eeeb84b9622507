"""How long `bot data expire` takes on a large tracker store: a million events.

Usage: .venv/bin/python bench/retention.py [--events 1000000] [--per-conversation 50]
       [--batch 500] [--backend sqlite|postgresql|both] [--postgres postgresql://postgres@127.0.0.1/postgres]

Builds Rasa's `events` table (SQLTrackerStore's own) in a fresh SQLite file and
a fresh PostgreSQL database, with `--events` events in conversations of
`--per-conversation` each, every other conversation last active 400 days ago
(expired at the default 365) and the others yesterday; then times the dry run
and the expiry (bot.retention.conversations), and prints seconds and counts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402

from bot.clock import utc_now  # noqa: E402
from bot.retention.conversations import expire_conversations  # noqa: E402
from bot.retention.policy import CONVERSATIONS, Retention  # noqa: E402
from bot.settings import Timeouts  # noqa: E402
from bot.store.db import make_engine  # noqa: E402

# About the size of a stored user event's JSON.
DATA = "x" * 300
DAY = 86400.0


def fill(engine: sa.engine.Engine, events: int, per_conversation: int) -> None:
    """`events` events, generated in the database itself (one INSERT ... SELECT)."""
    SQLTrackerStore.SQLEvent.__table__.create(engine, checkfirst=True)
    now = utc_now().timestamp()
    old, recent = now - 400 * DAY, now - DAY
    conversation = f"(g / {per_conversation})"
    sender = (
        f"'conv-' || lpad({conversation}::text, 8, '0')"
        if engine.dialect.name == "postgresql"
        else f"printf('conv-%08d', {conversation})"
    )
    # Even conversations are old, odd ones recent; within one, events a second apart.
    stamp = f"CASE WHEN {conversation} % 2 = 0 THEN {old} ELSE {recent} END + (g % {per_conversation})"
    select = f"SELECT {sender}, 'user', {stamp}, '{DATA}' FROM "
    columns = "INSERT INTO events (sender_id, type_name, timestamp, data) "
    if engine.dialect.name == "postgresql":
        statement = columns + select + f"generate_series(0, {events - 1}) AS g"
    else:
        series = f"WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {events - 1}) "
        statement = columns + series + select + "s"
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            vacuum = sa.text("VACUUM ANALYZE events")  # fresh statistics, as a live table has
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(vacuum)


def measure(name: str, engine: sa.engine.Engine, args: argparse.Namespace) -> None:
    """Fill, then time the dry run and the expiry; print one line."""
    started = time.perf_counter()
    fill(engine, args.events, args.per_conversation)
    built = time.perf_counter() - started
    before = Retention().cutoff(CONVERSATIONS, utc_now())
    assert before is not None
    started = time.perf_counter()
    dry = expire_conversations(engine, before, dry_run=True, batch=args.batch)
    dry_seconds = time.perf_counter() - started
    started = time.perf_counter()
    done = expire_conversations(engine, before, batch=args.batch)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        left = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    print(
        f"{name}: {args.events} events in {args.events // args.per_conversation} conversations "
        f"(built in {built:.1f} s); dry run {dry_seconds:.2f} s ({dry.conversations} conversations, "
        f"{dry.events} events); expire {seconds:.2f} s ({done.conversations} conversations, "
        f"{done.events} events deleted, {args.batch} per transaction); {left} events left"
    )


def main() -> int:
    """Run the benchmark on the chosen backends."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-conversation", type=int, default=50)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    # Deletions are maintenance work: give a statement as long as a migration may take.
    limits = Timeouts(statement=600.0, migration=600.0)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'tracker.db'}", limits)
            measure("sqlite", engine, args)
            engine.dispose()
    if args.backend in ("postgresql", "both"):
        admin = sa.create_engine(args.postgres, future=True, isolation_level="AUTOCOMMIT")
        name = f"eore_bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False), limits)
            measure("postgresql", engine, args)
            engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

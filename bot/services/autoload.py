"""Load the shipped services directory at start: when the database has none, or the files changed."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from bot.paths import ProjectPaths
from bot.services.check import read_services
from bot.services.store import import_directory, services
from bot.settings import Settings
from bot.store.db import Database

logger = logging.getLogger(__name__)

FINGERPRINT_FILE = "services.fingerprint"


def directory_fingerprint(paths: ProjectPaths) -> str:
    """A hash of what an import reads: the CSV files, the region files and the country profiles."""
    digest = hashlib.sha256()
    files = (
        sorted(paths.services.glob("*.csv"))
        + sorted(paths.regions.glob("*.yml"))
        + sorted(paths.countries.glob("*.yml"))
    )
    for path in files:
        digest.update(str(path.relative_to(paths.root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stored_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(services)).scalar_one())


def sync_services_directory(
    paths: ProjectPaths, database: Optional[Database] = None, settings: Optional[Settings] = None
) -> Optional[str]:
    """Import content/services/*.csv when the database has no services or the files changed
    since the last import at start (fingerprint in var/); returns what was done, for the log."""
    folder = paths.services
    if not folder.is_dir() or not any(folder.glob("*.csv")):
        return None
    owned = database is None
    database = database or Database.for_project(paths, settings)
    try:
        database.migrate()
        marker: Path = paths.var / FINGERPRINT_FILE
        fingerprint = directory_fingerprint(paths)
        count = _stored_count(database)
        if count and marker.exists() and marker.read_text(encoding="utf-8").strip() == fingerprint:
            return None
        directory = read_services(paths)
        problems = [problem for f in directory for problem in f.problems]
        if problems:
            # `bot serve` refuses such content before this runs; never load half a directory.
            logger.error("services directory not imported: %d problem(s): %s", len(problems), problems[0])
            return None
        summary = import_directory(database, directory, complete=False)
        paths.var.mkdir(parents=True, exist_ok=True)
        marker.write_text(fingerprint + "\n", encoding="utf-8")
        why = "the database had none" if not count else "its files changed"
        done = (
            f"services directory imported from {folder.relative_to(paths.root)} ({why}): "
            f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.retired} retired"
        )
        logger.info("%s", done)
        return done
    finally:
        if owned:
            database.dispose()

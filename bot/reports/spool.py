"""Reports never lost: the database first, else an fsync'd spool file, replayed exactly once.

The spool is append-only JSON lines under var/reports/. Replay inserts each spooled
report keyed on its own id (a second insert of the same id does nothing), and only
then rewrites the spool without it, so a crash between the two steps can neither
duplicate nor drop a report. A line that cannot be read is moved to a quarantine
file, never deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utc_now
from bot.references import new_reference
from bot.reports import store
from bot.reports.model import HazardReport
from bot.store.db import Database

logger = logging.getLogger(__name__)

# A new reference is drawn when the stored ones already use it (best effort, database only).
REFERENCE_TRIES = 5
# The spool and its quarantine hold contact details: only the owner may read them.
SPOOL_MODE = 0o600


def _no_hook(report: HazardReport) -> None:
    """Default replay hook: nothing."""


def _fsync_directory(directory: Path) -> None:
    # A new or renamed file survives a power cut only once its directory entry is synced.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ReplayResult:
    """What one replay did."""

    inserted: int = 0
    already_stored: int = 0
    quarantined: int = 0
    remaining: int = 0


@dataclass(frozen=True)
class SaveOutcome:
    """Where a report went ("database" or "spool") and the report as stored."""

    where: str
    report: HazardReport


class Spool:
    """The append-only spool file, its quarantine, and a lock shared by every process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "spool.jsonl"
        self.quarantine_path = directory / "quarantine.jsonl"
        self._lock_path = directory / "spool.lock"

    @classmethod
    def for_var(cls, var: Path) -> Spool:
        """The project's spool: var/reports/."""
        return cls(var / "reports")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, report: HazardReport) -> None:
        """Append one report as a JSON line and fsync it before returning."""
        line = json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        with self._locked():
            _append_synced(self.path, line)

    def reports(self) -> list[HazardReport]:
        """The readable reports waiting in the spool."""
        found = []
        for line in self._lines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                found.append(HazardReport.from_json(json.loads(line)))
        return found

    def pending(self) -> int:
        """How many lines wait in the spool."""
        return len(self._lines())

    def _lines(self) -> list[bytes]:
        if not self.path.exists():
            return []
        return [line for line in self.path.read_bytes().split(b"\n") if line.strip()]

    def _rewrite(self, lines: list[bytes]) -> None:
        # Write-new-then-rename: a crash leaves either the old or the new spool, never half of one.
        # The new file is created 0600 like the appended one: the spool holds contact details,
        # and open()'s default mode (umask) would leave the renamed spool readable by others.
        temporary = self.path.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()  # a crashed rewrite's leftover, perhaps with another mode
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SPOOL_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"".join(line + b"\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        _fsync_directory(self.directory)

    def replay(
        self,
        database: Database,
        now: Optional[datetime] = None,
        after_insert: Callable[[HazardReport], None] = _no_hook,
    ) -> ReplayResult:
        """Move spooled reports into the database; stops (keeping the rest) if it fails again.

        `after_insert` runs between a report's commit and the spool's rewrite: the durability
        test kills the process there.
        """
        with self._locked():
            lines = self._lines()
            if not lines:
                return ReplayResult()
            try:
                database.migrate()
            except SQLAlchemyError as error:
                logger.warning("Database unavailable; %d report(s) stay spooled: %s", len(lines), error)
                return ReplayResult(remaining=len(lines))
            inserted = already = quarantined = 0
            remaining: list[bytes] = []
            for index, line in enumerate(lines):
                try:
                    report = HazardReport.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as error:
                    logger.error("Unreadable spooled report moved to %s: %s", self.quarantine_path, error)
                    _append_synced(self.quarantine_path, line + b"\n")
                    quarantined += 1
                    continue
                try:
                    with database.sessions.begin() as session:
                        stored = store.insert_report(session, report, now or utc_now())
                except SQLAlchemyError as error:
                    logger.warning(
                        "Database still unavailable; %d report(s) stay spooled: %s", len(lines) - index, error
                    )
                    remaining.extend(lines[index:])
                    break
                after_insert(report)
                if stored:
                    inserted += 1
                else:
                    already += 1
            self._rewrite(remaining)
            return ReplayResult(inserted, already, quarantined, len(remaining))

    def erase_contacts(self, conversation: str) -> int:
        """Remove contact details from a conversation's spooled reports; returns how many changed."""
        with self._locked():
            changed = 0
            lines = []
            for line in self._lines():
                try:
                    data = json.loads(line)
                except ValueError:
                    lines.append(line)
                    continue
                mine = isinstance(data, dict) and data.get("conversation") == conversation
                if mine and (data.get("contact") or data.get("follow_up_address")):
                    data.update(
                        contact=None, contact_consent=False, follow_up_channel=None, follow_up_address=None
                    )
                    line = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
                    changed += 1
                lines.append(line)
            if changed:
                self._rewrite(lines)
            return changed


def _append_synced(path: Path, line: bytes) -> None:
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, SPOOL_MODE)
    try:
        # A writer killed mid-line leaves no newline: start on a fresh line so only that one is bad.
        if not created and os.fstat(fd).st_size > 0:
            with open(path, "rb") as reader:
                reader.seek(-1, os.SEEK_END)
                if reader.read(1) != b"\n":
                    line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_directory(path.parent)


def save_report(
    report: HazardReport, database: Optional[Database], spool: Spool, now: Optional[datetime] = None
) -> SaveOutcome:
    """Commit `report` to the database, else append it to the spool; raises only if both fail."""
    moment = now or utc_now()
    if database is not None:
        try:
            database.migrate()
            with database.sessions.begin() as session:
                for _ in range(REFERENCE_TRIES):
                    if not store.reference_taken(session, report.reference):
                        break
                    report = dataclasses.replace(report, reference=new_reference())
                store.insert_report(session, report, moment)
            return SaveOutcome("database", report)
        except SQLAlchemyError as error:
            logger.error("Database unavailable, report %s goes to the spool: %s", report.id, error)
    spool.append(report)
    return SaveOutcome("spool", report)

"""A hazard report's lifecycle, set by staff: new -> verified / duplicate / not_found -> cleared.

- new: as the person made it;
- verified: a team went and found the item (an alert to the region may follow, staff confirming);
- duplicate: another report already names the same item;
- not_found: a team went and did not find it (a later visit may still find it: -> verified);
- cleared: the authority removed the item that was verified (never "the area is safe").

A change is a conditional UPDATE on the status it starts from, so two staff members changing
one report at once cannot both win; setting the status a report already has changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.references import clean_reference
from bot.reports.model import (
    STATUS_CLEARED,
    STATUS_DUPLICATE,
    STATUS_NEW,
    STATUS_NOT_FOUND,
    STATUS_VERIFIED,
    STATUSES,
    HazardReport,
)
from bot.reports.store import hazard_reports, report_from_row

NEW, VERIFIED, DUPLICATE, NOT_FOUND, CLEARED = (
    STATUS_NEW,
    STATUS_VERIFIED,
    STATUS_DUPLICATE,
    STATUS_NOT_FOUND,
    STATUS_CLEARED,
)
# Where each status may go next.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (VERIFIED, DUPLICATE, NOT_FOUND),
    VERIFIED: (CLEARED,),
    NOT_FOUND: (VERIFIED,),
    DUPLICATE: (),
    CLEARED: (),
}
MAX_NOTE = 1000


class LifecycleError(Exception):
    """A status change staff asked for that cannot be made (the message says why)."""


class UnknownReportError(LifecycleError):
    """No stored report has this reference."""


class IllegalTransitionError(LifecycleError):
    """The report's status cannot go to the one asked for."""


def allowed(current: str, new: str) -> bool:
    """True when a report in `current` may be set to `new`."""
    return new in TRANSITIONS.get(current, ())


def describe_next(current: str) -> str:
    """The statuses a report in `current` may go to, for an error message."""
    following = TRANSITIONS.get(current, ())
    return ", ".join(following) if following else "none (it is final)"


@dataclass(frozen=True)
class StatusChange:
    """What a status change did: the report as it is now, and the status it had before."""

    report: HazardReport
    previous: str
    changed: bool  # False when the report already had the status (nothing was written)


def find_report(session: Session, reference: str) -> HazardReport:
    """The report with this reference; raises UnknownReportError."""
    code = clean_reference(reference)
    rows = session.execute(
        sa.select(hazard_reports)
        .where(hazard_reports.c.reference == code)
        .order_by(hazard_reports.c.created_at)
    ).all()
    if not rows:
        raise UnknownReportError(f"no report {code}")
    if len(rows) > 1:  # references are drawn unique (best effort): never change the wrong one
        raise LifecycleError(f"{len(rows)} reports have the reference {code}: change them in the database")
    return report_from_row(rows[0])


def change_status(
    session: Session, reference: str, status: str, note: Optional[str], now: datetime
) -> StatusChange:
    """Set the status of the report `reference` (and the team's note); raises LifecycleError."""
    if status not in STATUSES:
        raise LifecycleError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    report = find_report(session, reference)
    if report.status == status:
        return StatusChange(report, report.status, changed=False)
    if not allowed(report.status, status):
        raise IllegalTransitionError(
            f"{report.reference} is {report.status}: it cannot become {status} "
            f"(from {report.status}: {describe_next(report.status)})"
        )
    c = hazard_reports.c
    values: dict[str, object] = {"status": status, "status_changed_at": now}
    if note is not None:
        values["status_note"] = note.strip()[:MAX_NOTE]
    result = session.execute(
        sa.update(hazard_reports).where(c.id == report.id, c.status == report.status).values(**values)
    )
    if result.rowcount != 1:
        raise LifecycleError(f"{report.reference} was changed by someone else meanwhile: try again")
    return StatusChange(find_report(session, reference), report.status, changed=True)

"""`bot services ...` and `bot referrals ...`: what NGO staff run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from bot.paths import ProjectPaths
from bot.references import clean_reference
from bot.services.check import read_services
from bot.services.referrals import (
    OPEN,
    close_referral,
    export_csv,
    get_referral,
    list_referrals,
    note_referral,
)
from bot.services.store import import_directory
from bot.settings import Settings, load_settings
from bot.store.db import Database

Dispatch = Callable[[Sequence[str]], None]


def import_services(
    paths: ProjectPaths,
    files: Sequence[str] = (),
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
) -> int:
    """Validate then load the directory in one transaction; exit code 1 on any problem."""
    out = out or sys.stdout
    chosen = [Path(f) for f in files] if files else None
    if chosen is None and not paths.services.is_dir():
        print(f"no {paths.services} folder", file=out)
        return 1
    missing = [p for p in chosen or [] if not p.is_file()]
    if missing:
        for path in missing:
            print(f"{path}:0: no such file", file=out)
        return 1
    directory = read_services(paths, chosen)
    problems = [problem for f in directory for problem in f.problems]
    if problems:
        for problem in problems:
            print(problem, file=out)
        print(f"{len(problems)} problem(s) found: nothing was imported", file=out)
        return 1
    database = database or Database.for_project(paths)
    summary = import_directory(database.migrate(), directory, complete=chosen is None)
    print(
        f"{len(directory)} file(s): {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.retired} retired",
        file=out,
    )
    return 0


def list_command(
    paths: ProjectPaths,
    status: Optional[str],
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
) -> int:
    """Print referrals, one a line (no contact details: use export for those)."""
    out = out or sys.stdout
    database = (database or Database.for_project(paths)).migrate()
    rows = list_referrals(database, status)
    for r in rows:
        place = "/".join(x for x in (r.country, r.region, r.district) if x)
        print(
            f"{r.reference}  {r.status:9}  {r.consent_at:%Y-%m-%d}  {r.category:18}  {place}  {r.language}"
            + (f"  -> {r.partner}" if r.partner else ""),
            file=out,
        )
    print(f"{len(rows)} referral(s)", file=out)
    return 0


def export_command(
    paths: ProjectPaths,
    status: Optional[str],
    output: Optional[str],
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
) -> int:
    """Write referrals as CSV for partner organisations (to `output` or standard output)."""
    out = out or sys.stdout
    database = (database or Database.for_project(paths)).migrate()
    rows = list_referrals(database, status)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            export_csv(rows, handle)
        print(f"{len(rows)} referral(s) written to {output}", file=sys.stderr)
    else:
        export_csv(rows, out)
    return 0


def close_command(
    paths: ProjectPaths,
    reference: str,
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
    settings: Optional[Settings] = None,
    dispatch: Optional[Dispatch] = None,
) -> int:
    """Close an open referral by its reference (the person is told, if their channel gave an
    address); exit code 1 if there is none."""
    from bot.outreach.referrals import CLOSED  # lazy: loads the outbox
    from bot.outreach.staff import ReferralOutreach, not_open

    out = out or sys.stdout
    database = (database or Database.for_project(paths, settings)).migrate()
    referral = get_referral(database, reference)
    if referral is None or referral.status != OPEN:
        return not_open(database, reference)
    told = "no follow-up: the person's channel gave no address for it"
    if referral.follow_up_address:  # composed before closing: closing erases the address
        outreach = ReferralOutreach.for_referrals(paths, database, settings or load_settings(), dispatch)
        told = outreach.follow_up(referral, CLOSED)
    if not close_referral(database, referral.reference):
        return not_open(database, reference)
    print(f"{referral.reference} closed (its contact details were erased)", file=out)
    print(told, file=out)
    return 0


def assign_command(
    paths: ProjectPaths,
    reference: str,
    partner: str,
    note: Optional[str],
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
    settings: Optional[Settings] = None,
    dispatch: Optional[Dispatch] = None,
) -> int:
    """Assign an open referral to a partner (notified) with an optional note; the person is told."""
    from bot.outreach.staff import ReferralOutreach  # lazy: loads the outbox and the renderer

    settings = settings or load_settings()
    database = (database or Database.for_project(paths, settings)).migrate()
    outreach = ReferralOutreach.for_referrals(paths, database, settings, dispatch)
    return outreach.assign(reference, partner, note, out or sys.stdout)


def note_command(
    paths: ProjectPaths,
    reference: str,
    text: str,
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
) -> int:
    """Keep a note for the team on a referral (never sent to anyone); exit code 1 if there is none."""
    database = (database or Database.for_project(paths)).migrate()
    if not note_referral(database, reference, text):
        print(f"error: no referral {clean_reference(reference)}", file=sys.stderr)
        return 1
    print(f"{clean_reference(reference)}: note saved", file=out or sys.stdout)
    return 0


def notify_command(
    paths: ProjectPaths,
    database: Optional[Database] = None,
    out: Optional[TextIO] = None,
    settings: Optional[Settings] = None,
    dispatch: Optional[Dispatch] = None,
) -> int:
    """Notify partners of the open referrals they were never told of (the outbox retries)."""
    from bot.outreach.staff import ReferralOutreach  # lazy: loads the outbox and the renderer

    settings = settings or load_settings()
    database = (database or Database.for_project(paths, settings)).migrate()
    queued = ReferralOutreach.for_referrals(paths, database, settings, dispatch).notify_new()
    print(f"{queued} partner notification(s) queued", file=out or sys.stdout)
    return 0

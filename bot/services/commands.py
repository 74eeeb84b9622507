"""`bot services ...` and `bot referrals ...`: what NGO staff run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence, TextIO

from bot.paths import ProjectPaths
from bot.services.check import read_services
from bot.services.referrals import close_referral, export_csv, list_referrals
from bot.services.store import import_directory
from bot.store.db import Database


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
            f"{r.reference}  {r.status:9}  {r.consent_at:%Y-%m-%d}  {r.category:18}  {place}  {r.language}",
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
    paths: ProjectPaths, reference: str, database: Optional[Database] = None, out: Optional[TextIO] = None
) -> int:
    """Close an open referral by its reference; exit code 1 if there is none."""
    out = out or sys.stdout
    database = (database or Database.for_project(paths)).migrate()
    if close_referral(database, reference):
        print(f"{reference.upper()} closed (its contact details were erased)", file=out)
        return 0
    print(f"no open referral {reference.upper()}", file=out)
    return 1

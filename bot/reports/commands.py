"""`bot reports ...`: replay the spool, export for the authority, forward to the webhook."""

from __future__ import annotations

import asyncio
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from bot.clock import utc_now
from bot.content.countries import hotlines_by_country, load_profiles
from bot.paths import ProjectPaths
from bot.reports import export as exporting
from bot.reports import lifecycle, store
from bot.reports.forward import RetryPolicy, forward_pending, webhook_url
from bot.reports.spool import Spool
from bot.settings import Settings, load_settings
from bot.store.db import Database


def parse_since(text: Optional[str]) -> Optional[datetime]:
    """`--since 2026-01-31` as the start of that day, UTC."""
    if not text:
        return None
    return datetime.combine(date.fromisoformat(text), time.min, tzinfo=timezone.utc)


def replay(paths: ProjectPaths, settings: Optional[Settings] = None) -> int:
    """Move spooled reports into the database; exit 1 while some remain."""
    database = Database.for_project(paths, settings)
    try:
        result = Spool.for_var(paths.var).replay(database)
    finally:
        database.dispose()
    print(
        f"inserted {result.inserted}, already stored {result.already_stored}, "
        f"quarantined {result.quarantined}, still spooled {result.remaining}"
    )
    return 1 if result.remaining else 0


def export(
    paths: ProjectPaths,
    fmt: str,
    since: Optional[str],
    country: Optional[str],
    output: Optional[str],
    settings: Optional[Settings] = None,
) -> int:
    """Write the reports in `fmt` to `output` (default: standard output)."""
    database = Database.for_project(paths, settings).migrate()
    try:
        with database.sessions.begin() as session:
            reports = store.list_reports(session, parse_since(since), country)
    finally:
        database.dispose()
    spooled = Spool.for_var(paths.var).pending()
    hotlines = hotlines_by_country(load_profiles(paths.countries))
    if output:
        with Path(output).open("w", encoding="utf-8", newline="") as handle:
            count = exporting.export(reports, handle, fmt, hotlines)
    else:
        count = exporting.export(reports, sys.stdout, fmt, hotlines)
    print(f"exported {count} report(s)", file=sys.stderr)
    countries = {report.country for report in reports}
    for country in sorted(c for c in countries if c in hotlines and not hotlines[c].verified):
        print(
            f"warning: {country}: the number given to people, {hotlines[country].number}, is NOT verified "
            "(column hotline_verified = no)",
            file=sys.stderr,
        )
    if spooled:
        print(f"warning: {spooled} report(s) wait in the spool; run `bot reports replay`", file=sys.stderr)
    return 0


def forward(
    paths: ProjectPaths,
    policy: RetryPolicy = RetryPolicy(),  # noqa: B008
    settings: Optional[Settings] = None,
) -> int:
    """Retry the pending webhook deliveries once; exit 1 if some still fail."""
    settings = settings or load_settings()
    url = webhook_url(settings)
    if not url:
        print("HAZARD_WEBHOOK_URL is not set: nothing to forward", file=sys.stderr)
        return 0
    database = Database.for_project(paths, settings).migrate()
    hotlines = hotlines_by_country(load_profiles(paths.countries))
    try:
        result = asyncio.run(forward_pending(database, url, policy, hotlines=hotlines))
    finally:
        database.dispose()
    print(f"delivered {result.delivered}, failed {result.failed} (kept for a later retry)")
    return 1 if result.failed else 0


# ------------------------------------------------------------ lifecycle, follow-up and alerts


def set_status(
    paths: ProjectPaths,
    reference: str,
    status: str,
    note: Optional[str] = None,
    alert: bool = False,
    yes: bool = False,
    place: Optional[str] = None,
    region: Optional[str] = None,
    settings: Optional[Settings] = None,
    out: Optional[TextIO] = None,
    confirm: Callable[[str], str] = input,
    dispatch: Optional[Callable[[Sequence[str]], None]] = None,
) -> int:
    """Staff set a report's status: the person who made it hears of it (with consent), and with
    `alert` the region's subscribers are warned once staff confirm; exit 1 on an error."""
    from bot.outreach.staff import ReportOutreach  # lazy: loads the renderer and the outbox

    out = out or sys.stdout
    settings = settings or load_settings()
    database = Database.for_project(paths, settings).migrate()
    try:
        outreach = ReportOutreach.for_project(paths, database, settings, dispatch)
        try:
            with database.sessions.begin() as session:
                change = lifecycle.change_status(session, reference, status, note, utc_now())
        except lifecycle.LifecycleError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        report = change.report
        if change.changed:
            print(f"{report.reference}: {change.previous} -> {report.status}", file=out)
        else:
            print(f"{report.reference} is already {report.status}", file=out)
        print(outreach.follow_up(report), file=out)
        if not alert:
            return 0
        return outreach.alert(report, place, region, yes, out, confirm)
    finally:
        database.dispose()


def alert(
    paths: ProjectPaths,
    reference: str,
    yes: bool = False,
    place: Optional[str] = None,
    region: Optional[str] = None,
    settings: Optional[Settings] = None,
    out: Optional[TextIO] = None,
    confirm: Callable[[str], str] = input,
    dispatch: Optional[Callable[[Sequence[str]], None]] = None,
) -> int:
    """Staff alert the subscribers of a verified (or cleared) report's region, after confirming."""
    from bot.outreach.staff import ReportOutreach  # lazy: loads the renderer and the outbox

    out = out or sys.stdout
    settings = settings or load_settings()
    database = Database.for_project(paths, settings).migrate()
    try:
        outreach = ReportOutreach.for_project(paths, database, settings, dispatch)
        try:
            with database.sessions.begin() as session:
                report = lifecycle.find_report(session, reference)
        except lifecycle.LifecycleError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return outreach.alert(report, place, region, yes, out, confirm)
    finally:
        database.dispose()

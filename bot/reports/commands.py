"""`bot reports ...`: replay the spool, export for the authority, forward to the webhook."""

from __future__ import annotations

import asyncio
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Optional

from bot.content.countries import hotlines_by_country, load_profiles
from bot.paths import ProjectPaths
from bot.reports import export as exporting
from bot.reports import store
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

"""What the reports slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature
from bot.privacy import REPORTS
from bot.reports.cli import add_commands
from bot.reports.erasure import erase

FEATURE = Feature(
    name="reports",
    # The report number, passed by action_submit_hazard_report and the follow-ups; the region
    # and place an alert names (bot/outreach/reports.py).
    placeholders=frozenset({"reference", "region", "place"}),
    commands=add_commands,
    # "Delete my data": the contacts of the person's reports (database and spool).
    erase={REPORTS: erase},
)

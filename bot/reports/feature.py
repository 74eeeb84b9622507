"""What the reports slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature
from bot.reports.cli import add_commands

FEATURE = Feature(
    name="reports",
    # The report number, passed by action_submit_hazard_report.
    placeholders=frozenset({"reference"}),
    commands=add_commands,
)

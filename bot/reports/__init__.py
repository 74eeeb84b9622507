"""Hazard reports: the report, its durable storage (database, then spool), export and forwarding."""

from bot.reports.model import HazardReport, new_report
from bot.reports.spool import SaveOutcome, Spool, save_report

__all__ = ["HazardReport", "SaveOutcome", "Spool", "new_report", "save_report"]

"""Retention: what the assistant stores expires after configurable periods (`bot data expire`)."""

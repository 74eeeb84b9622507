"""The one clock: timezone-aware UTC, so stored times compare and serialise the same everywhere."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)

"""What the outreach slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature

FEATURE = Feature(name="outreach")

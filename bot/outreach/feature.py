"""What the outreach slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature
from bot.outreach.subscriptions import erase
from bot.privacy import ALERTS

FEATURE = Feature(
    name="outreach",
    # The subscribed region's name, passed by action_subscribe_alerts.
    placeholders=frozenset({"region"}),
    # "Delete my data": the alert subscription, and the addresses of the person's outreach messages.
    erase={ALERTS: erase},
)

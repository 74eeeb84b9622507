"""What the services slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature
from bot.privacy import REFERRALS
from bot.services.referrals import erase_referrals

FEATURE = Feature(
    name="services",
    # "Delete my data": the person's referrals.
    erase={REFERRALS: erase_referrals},
)

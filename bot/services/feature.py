"""What the services slice plugs into the shared parts (see bot/features.py)."""

from __future__ import annotations

from bot.features import Feature
from bot.privacy import REFERRALS
from bot.services.check import check_services
from bot.services.cli import add_commands
from bot.services.partners import check_partners
from bot.services.referrals import erase_referrals

FEATURE = Feature(
    name="services",
    checks=(check_services, check_partners),
    # A service's fields, passed by action_show_services; the partner a referral was passed to.
    placeholders=frozenset(
        {"organisation", "service", "address", "phone", "hours", "languages", "accessibility", "partner"}
    ),
    commands=add_commands,
    # "Delete my data": the person's referrals.
    erase={REFERRALS: erase_referrals},
)

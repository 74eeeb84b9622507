"""A sender's phone number gives the default country profile (and so the language)."""

from __future__ import annotations

from typing import Mapping, Optional

import phonenumbers

from bot.content.countries import CountryProfile


def parse_sender(number: str) -> Optional[phonenumbers.PhoneNumber]:
    """The number in international form (+855...), or None when it is not a valid number."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def profile_for_sender(number: str, profiles: Mapping[str, CountryProfile]) -> Optional[CountryProfile]:
    """The profile of the sender's country (+855 -> Cambodia), or None if unknown."""
    parsed = parse_sender(number)
    region = phonenumbers.region_code_for_number(parsed) if parsed else None
    if not region:
        return None
    return next((p for p in profiles.values() if p.iso2 and p.iso2.upper() == region), None)

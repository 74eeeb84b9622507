"""Is a phone number one people in this country can dial? (profiles and the services directory)."""

from __future__ import annotations

import re
from typing import Optional

import phonenumbers

# What a number field may hold: digits, one leading +, and the separators people write.
# Anything else ("CMAC hotline 012-800") is text, not a number, even when phonenumbers
# could dig digits out of it.
_NUMBER_SHAPE = re.compile(r"^\+?[0-9][0-9 ()./-]*[0-9]$|^[0-9]$")
_SHORT_CODE = re.compile(r"^[1-9][0-9]{2,5}$")


def phone_number_problem(raw: str, iso2: Optional[str]) -> Optional[str]:
    """Why `raw` is not a number for country `iso2` (None when it is).

    Short numbers written with digits only (117, 1414) must be valid short
    numbers of the country; a number with a country code (+855 ...) must be a
    valid number of that same country; full national numbers must be valid
    there. Without a country, only international (+code) numbers are accepted.
    """
    text = raw.strip()
    country = iso2.upper() if iso2 else None
    where = country or "international callers (use +code)"
    if not _NUMBER_SHAPE.match(text):
        return f"'{raw}' is not a valid phone number for {where}"
    try:
        parsed = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return f"'{raw}' is not a valid phone number for {where}"
    if text.startswith("+"):
        region = phonenumbers.region_code_for_number(parsed)
        if country and region != country:
            return f"'{raw}' is a number of {region or 'another country'}, not of {country}"
        if phonenumbers.is_valid_number(parsed):
            return None
        return f"'{raw}' is not a valid phone number for {where}"
    if country is None:
        return f"'{raw}' is not a valid phone number for {where}"
    if phonenumbers.is_valid_number_for_region(parsed, country):
        return None
    # National short codes (117, 1414): phonenumbers' short-number data misses many
    # hotlines, so a digits-only code that cannot be mistaken for a foreign number
    # (no +, no leading 0) is the country's own by construction.
    if _SHORT_CODE.match(text) or phonenumbers.is_valid_short_number_for_region(parsed, country):
        return None
    return f"'{raw}' is not a valid phone number for {country}"

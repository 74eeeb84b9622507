"""Short reference codes people read out or type: referrals and hazard reports.

One alphabet without look-alikes on a phone screen or over the phone: no 0/O
and no 1/I/L. References made before this alphabet (hazard reports could
contain L) stay valid: references are compared after `clean_reference`, which
only normalises case and drops separators, never rejects a letter.
"""

from __future__ import annotations

import secrets

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def new_reference(length: int = REFERENCE_LENGTH) -> str:
    """A random reference such as 7KQ4XH (31^6, about 900 million; callers check it is unused)."""
    if length < 1:
        raise ValueError(f"a reference has at least one character, not {length}")
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def clean_reference(typed: str) -> str:
    """What staff or a person typed ("7kq-4xh ") as a stored reference ("7KQ4XH")."""
    return "".join(c for c in typed.upper() if c.isalnum())

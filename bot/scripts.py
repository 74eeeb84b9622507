"""Which writing system a character belongs to: one answer for locale detection and NLU."""

from __future__ import annotations

import unicodedata
from typing import Optional


def script_of(char: str) -> Optional[str]:
    """The script of a letter ("khmer", "arabic", "cyrillic", "latin", "other"), None otherwise."""
    code = ord(char)
    if 0x1780 <= code <= 0x17FF or 0x19E0 <= code <= 0x19FF:
        return "khmer"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF:
        return "arabic"
    if 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFC:  # FEFF is the BOM, not Arabic
        return "arabic"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if not (char.isalpha() or unicodedata.category(char).startswith("M")):
        return None
    return "latin" if "LATIN" in unicodedata.name(char, "") else "other"

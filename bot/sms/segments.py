"""How many SMS segments a text costs (GSM 03.38 7-bit alphabet or UCS-2), and GSM-7-safe spellings.

GSM-7: 160 characters in one segment, 153 per segment when concatenated;
characters of the extension table (e.g. € [ ] { } ~ ^ | \\) take two.
Anything outside the alphabet makes the whole message UCS-2: 70 UTF-16 code
units in one segment, 67 per segment when concatenated (an emoji is 2 units).
The alphabet is the gsm0338 package's codec (GSM 03.38 default alphabet and
its extension table); substitutions come from anyascii.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import gsm0338  # noqa: F401  (importing it registers the "gsm03.38" codec)
from anyascii import anyascii

GSM7_CODEC = "gsm03.38"
ESCAPE = "\x1b"
# Characters that may be replaced by a GSM-7 spelling: Latin letters (á→a, ç→c, œ→oe), punctuation
# (« » ’ … → " ' ...), spaces (no-break spaces of French typography) and a few symbols. Letters of
# other scripts (Cyrillic, Arabic, Khmer...) are never transliterated, nor emoji or other digits.
_SUBSTITUTABLE_CATEGORIES = ("P", "Z", "Sm", "Sc", "Sk")
# Where anyascii's spelling reads worse than a plain quote.
_PREFERRED = {"«": '"', "»": '"'}


@dataclass(frozen=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding's units, and its segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


@lru_cache(maxsize=4096)
def _gsm7_units(char: str) -> int:
    """Septets one character takes in GSM-7 (1 basic, 2 extension), 0 when it is not in the alphabet."""
    if char == ESCAPE:  # the codec passes it through, but it is not a character one can send
        return 0
    try:
        return len(char.encode(GSM7_CODEC))
    except UnicodeEncodeError:
        return 0


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return all(_gsm7_units(c) for c in text)


def count_segments(text: str) -> SegmentCount:
    """Segments of one SMS text."""
    if is_gsm7(text):
        units = sum(_gsm7_units(c) for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SegmentCount(encoding, units, segments)


@lru_cache(maxsize=4096)
def _substitute(char: str) -> Optional[str]:
    """A GSM-7 spelling of one character, or None when it has none we may use."""
    if _gsm7_units(char):
        return char
    category = unicodedata.category(char)
    latin_letter = category.startswith("L") and "LATIN" in unicodedata.name(char, "")
    if not latin_letter and not category.startswith(_SUBSTITUTABLE_CATEGORIES):
        return None
    spelled = _PREFERRED.get(char) or anyascii(char)
    return spelled if spelled and is_gsm7(spelled) else None


def gsm7_spelling(text: str) -> Optional[str]:
    """The text with every character outside GSM-7 replaced by a GSM-7 spelling (é and ñ stay, á→a,
    ç→c, ê→e, œ→oe, « »→"), or None when some character has none (Cyrillic, Arabic, Khmer, emoji)."""
    parts = []
    for char in unicodedata.normalize("NFC", text):
        spelled = _substitute(char)
        if spelled is None:
            return None
        parts.append(spelled)
    return "".join(parts)

"""How many SMS segments a text costs (GSM 03.38 7-bit alphabet or UCS-2).

GSM-7: 160 characters in one segment, 153 per segment when concatenated;
characters of the extension table (e.g. € [ ] { } ~ ^ | \\) take two.
Anything outside the alphabet makes the whole message UCS-2: 70 UTF-16 code
units in one segment, 67 per segment when concatenated (an emoji is 2 units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding's units, and its segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return all(c in _BASIC or c in _EXTENSION for c in text)


def count_segments(text: str) -> SegmentCount:
    """Segments of one SMS text."""
    if is_gsm7(text):
        units = sum(2 if c in _EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return SegmentCount(encoding, units, segments)

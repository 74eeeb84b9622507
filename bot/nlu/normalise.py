"""Text normalisation before features: the same for training and live messages."""

from __future__ import annotations

import unicodedata

# Zero-width characters: Khmer writers use ZWSP (U+200B) as an invisible word
# separator; the others are formatting noise copied from other apps.
ZERO_WIDTH_SPACE = "\u200b"
ZERO_WIDTH = {"\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
# Apostrophe look-alikes that people type instead of "'" (Ukrainian пам’ятка, French l’obus).
APOSTROPHES = {"\u2019", "\u2018", "\u02bc", "\u02b9", "\u0060", "\u00b4", "\u2032", "\uff07"}
TATWEEL = "\u0640"


def _is_arabic_mark(char: str) -> bool:
    code = ord(char)
    return 0x064B <= code <= 0x065F or code == 0x0670 or 0x06D6 <= code <= 0x06ED


def same_length(text: str) -> str:
    """Substitutions that keep every character's offset (safe before tokenizing).

    Zero-width spaces become spaces (they separate words), other zero-width
    characters become spaces too so they never glue two words together, and
    apostrophe look-alikes become "'".
    """
    out = []
    for char in text:
        if char == ZERO_WIDTH_SPACE or char in ZERO_WIDTH:
            out.append(" ")
        elif char in APOSTROPHES:
            out.append("'")
        else:
            out.append(char)
    return "".join(out)


def _strip_latin_accents(text: str) -> str:
    """ "trouvé" -> "trouve"; Cyrillic й/ї and Khmer signs are left alone."""
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and "LATIN" in unicodedata.name(kept[-1], ""):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def normalise(text: str) -> str:
    """The form features are built from: NFKC, case-folded, no zero-width, no Arabic
    diacritics or tatweel, one apostrophe, no accents on Latin letters."""
    text = unicodedata.normalize("NFKC", same_length(text))
    text = "".join(c for c in text if c != TATWEEL and not _is_arabic_mark(c))
    return _strip_latin_accents(text).casefold().strip()

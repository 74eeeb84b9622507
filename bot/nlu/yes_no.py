"""Yes or no from how a typed answer begins (content/yes_no.yml), in every language.

Intent classification alone misreads answers to a yes/no question that repeat
the question's words: "yes, please have them contact me" looks like "don't
contact me" (cancel_referral), "yes, delete it" like "delete my data". The
first word(s) of an answer say yes or no more reliably than the rest.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from bot.nlu.normalise import normalise

# Punctuation and symbols people put before or around a short answer.
_LEADING = " \t\n.,;:!?¡¿\"'«»()-–—*…،؛؟"


def _is_khmer(char: str) -> bool:
    return 0x1780 <= ord(char) <= 0x17FF or 0x19E0 <= ord(char) <= 0x19FF


def _ends_word(text: str, end: int) -> bool:
    """True when `text[:end]` ends a word: nothing, a space, punctuation or a symbol follows."""
    if end >= len(text):
        return True
    category = unicodedata.category(text[end])
    return category[0] in "PZS" or text[end].isspace()


class YesNoReader:
    """Reads yes (True), no (False) or neither (None) from the start of an answer."""

    def __init__(self, words: Mapping[str, Mapping[str, Any]]) -> None:
        found: list[tuple[str, bool]] = []
        for key, meaning in (("yes", True), ("no", False)):
            for phrases in (words.get(key) or {}).values():
                found += [(normalise(str(p)), meaning) for p in phrases or [] if str(p).strip()]
        # Longest first: "no thanks" before "no", "មិនចង់" before any shorter word.
        self._phrases = sorted(set(found), key=lambda pair: -len(pair[0]))

    @classmethod
    def from_file(cls, path: Path) -> YesNoReader:
        """Load content/yes_no.yml."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def read(self, text: str) -> Optional[bool]:
        """True for an answer that begins with a yes word, False for a no word, else None."""
        if not text or text.startswith("/"):  # a button payload: its intent says it
            return None
        typed = normalise(text).lstrip(_LEADING)
        for phrase, meaning in self._phrases:
            if not typed.startswith(phrase):
                continue
            # Khmer runs words together: "បាទលុបចោល" is "yes" then "delete".
            if _is_khmer(phrase[-1]) or _ends_word(typed, len(phrase)):
                return meaning
        return None

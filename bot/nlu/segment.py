"""Split text into words by script: Khmer needs a segmenter, the others mostly spaces."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping, Optional

from bot.nlu.normalise import same_length

# A segmenter turns a run of text into (word, start, end) spans relative to the run.
Segmenter = Callable[[str], list[tuple[str, int, int]]]


def script_of(char: str) -> Optional[str]:
    """The script of a letter ("khmer", "arabic", "cyrillic", "latin", "other"), None otherwise."""
    code = ord(char)
    if 0x1780 <= code <= 0x17FF or 0x19E0 <= code <= 0x19FF:
        return "khmer"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0x08A0 <= code <= 0x08FF:
        return "arabic"
    if 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if not (char.isalpha() or unicodedata.category(char).startswith("M")):
        return None
    return "latin" if "LATIN" in unicodedata.name(char, "") else "other"


@dataclass(frozen=True)
class Run:
    """A stretch of text in one script (digits, spaces and punctuation join their neighbours)."""

    script: str
    start: int
    end: int


def script_runs(text: str) -> Iterator[Run]:
    """Split text into runs of one script each."""
    current: Optional[str] = None
    start = 0
    for index, char in enumerate(text):
        script = script_of(char)
        if script is None or script == current:
            continue
        if current is not None:
            yield Run(current, start, index)
            start = index
        current = script
    if text:
        yield Run(current or "other", start, len(text))


def whitespace_segmenter(text: str) -> list[tuple[str, int, int]]:
    """Words separated by spaces; punctuation around words is dropped."""
    spans = []
    index = 0
    for part in text.split(" "):
        word = part.strip('.,;:!?¿¡()[]{}"«»…-–—/\\*|<>~^=+_\t\n\r')
        if word:
            offset = part.index(word)
            spans.append((word, index + offset, index + offset + len(word)))
        index += len(part) + 1
    return spans


def segment(text: str, segmenters: Mapping[str, Segmenter]) -> list[tuple[str, int, int]]:
    """(word, start, end) for every word of `text`, each run cut by its script's segmenter."""
    prepared = same_length(text)
    words: list[tuple[str, int, int]] = []
    for run in script_runs(prepared):
        cut = segmenters.get(run.script, whitespace_segmenter)
        for word, start, end in cut(prepared[run.start : run.end]):
            if any(ch.isalnum() or unicodedata.category(ch).startswith("M") for ch in word):
                words.append((text[run.start + start : run.start + end], run.start + start, run.start + end))
    return words

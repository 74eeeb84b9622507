"""Split text into words by script: Khmer needs a segmenter, the others mostly spaces."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping, Optional

from bot.nlu.normalise import same_length
from bot.scripts import script_of

# A segmenter turns a run of text into (word, start, end) spans relative to the run.
Segmenter = Callable[[str], list[tuple[str, int, int]]]


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

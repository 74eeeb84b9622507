"""One bot message as SMS within a segment budget: text, then the buttons as a numbered menu.

A message that does not fit is split into pages, never cut and never losing an option: each page
but the last ends with a numbered "More" option (payload MORE_PAYLOAD), which the SMS channel
answers with the next page. Text is split at line, then sentence, then word boundaries; the
buttons follow the text, numbered from 1 on each page. When a GSM-7 spelling of a Latin-script
message (á→a, ç→c; é, ñ and ü are GSM-7 and stay) costs fewer segments, that spelling is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from bot.sms.menu import numbered_menu
from bot.sms.segments import SegmentCount, count_segments, gsm7_spelling

# The payload of a page's "More" option; the channel answers it itself (it never reaches Rasa).
MORE_PAYLOAD = "sms:more"
# Sentence ends (Latin, Arabic question mark, Khmer khan) followed by a space, or a khan alone.
_SENTENCE_END = re.compile(r"(?<=[.!?;:؟])\s+|(?<=[។៕])\s*")
_LIST_NUMBER = re.compile(r"^\d{1,2}[.)]$")


@dataclass(frozen=True)
class OutgoingSms:
    """One SMS to send now, the payloads of its menu options in order, what it costs, and the
    pages still to come (sent one by one when the person chooses "More")."""

    body: str
    payloads: list[str]
    cost: SegmentCount
    options_dropped: int  # options of the message on no page at all: 0 (kept to prove it)
    fits: bool  # False only when one sentence alone is over the budget (it is still sent whole)
    more: tuple[OutgoingSms, ...] = field(default=())

    @property
    def pages(self) -> list[OutgoingSms]:
        """This page and the ones after it."""
        return [self, *self.more]


@dataclass(frozen=True)
class _Chunk:
    """A piece of text with the separator that joins it to the piece before it."""

    text: str
    sep: str


def compose(
    text: str, buttons: Sequence[Mapping[str, Any]], budget: int, more_title: Optional[str] = None
) -> OutgoingSms:
    """The SMS for a message, in pages of at most `budget` segments.

    With `more_title` (the translated "More"), every page but the last offers it as its last
    numbered option; without it the pages have no "More" and the caller sends them all at once.
    """
    original = _paginate(text.strip(), list(buttons), budget, more_title)
    spelled = _gsm7_version(text.strip(), buttons, more_title)
    if spelled is not None:
        alternative = _paginate(spelled[0], spelled[1], budget, spelled[2])
        if _price(alternative) < _price(original):
            return alternative
    return original


def _price(sms: OutgoingSms) -> tuple[int, int]:
    """Pages, then segments in all: fewer is better."""
    return len(sms.pages), sum(page.cost.segments for page in sms.pages)


def _gsm7_version(
    text: str, buttons: Sequence[Mapping[str, Any]], more_title: Optional[str]
) -> Optional[tuple[str, list[Mapping[str, Any]], Optional[str]]]:
    """Text, buttons and "More" in their GSM-7 spelling, or None when one of them has none."""
    spelled_text = gsm7_spelling(text)
    spelled_more = gsm7_spelling(more_title) if more_title is not None else None
    if spelled_text is None or (more_title is not None and spelled_more is None):
        return None
    spelled_buttons: list[Mapping[str, Any]] = []
    for button in buttons:
        title = gsm7_spelling(str(button.get("title", "")))
        if title is None:
            return None
        spelled_buttons.append({**button, "title": title})
    if spelled_text == text and spelled_more == more_title and spelled_buttons == list(buttons):
        return None
    return spelled_text, spelled_buttons, spelled_more


def _body(chunks: Sequence[_Chunk], buttons: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """A page's text (chunks joined, the first without its separator), then its numbered menu."""
    text = "".join((c.sep if i else "") + c.text for i, c in enumerate(chunks))
    menu, payloads = numbered_menu(buttons)
    return (f"{text}\n{menu}" if text and menu else (text or menu)), payloads


def _chunks(text: str) -> list[_Chunk]:
    """The text as lines, lines as sentences (a list number stays with its sentence)."""
    chunks: list[_Chunk] = []
    for line_number, line in enumerate(text.split("\n")):
        pieces = [p for p in _SENTENCE_END.split(line) if p]
        merged: list[str] = []
        for piece in pieces:
            if merged and _LIST_NUMBER.match(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        for index, sentence in enumerate(merged or [""]):
            sep = ("\n" if line_number else "") if index == 0 else " "
            chunks.append(_Chunk(sentence, sep))
    return chunks


def _words(chunk: _Chunk) -> list[_Chunk]:
    """A sentence too long for a page, as words."""
    words = chunk.text.split(" ")
    return [_Chunk(word, chunk.sep if i == 0 else " ") for i, word in enumerate(words)]


def _paginate(
    text: str, buttons: list[Mapping[str, Any]], budget: int, more_title: Optional[str]
) -> OutgoingSms:
    whole, payloads = _body([_Chunk(text, "")] if text else [], buttons)
    cost = count_segments(whole)
    if cost.segments <= budget:
        return OutgoingSms(whole, payloads, cost, 0, True)
    more: list[Mapping[str, Any]] = []
    if more_title is not None:
        more.append({"title": more_title, "payload": MORE_PAYLOAD})
    # The menu stays whole on the last page when it fits a page by itself; a long one (regions) is split.
    menu_alone, _ = _body([], buttons)
    whole_menu = bool(buttons) and count_segments(menu_alone).segments <= budget
    items: list[Any] = [*(_chunks(text) if text else []), *([tuple(buttons)] if whole_menu else buttons)]
    pages: list[tuple[list[_Chunk], list[Mapping[str, Any]]]] = []
    chunks: list[_Chunk] = []
    page_buttons: list[Mapping[str, Any]] = []
    while items:
        item = items.pop(0)
        last = not items
        trial_chunks = chunks + [item] if isinstance(item, _Chunk) else chunks
        added = [] if isinstance(item, _Chunk) else list(item) if isinstance(item, tuple) else [item]
        trial_buttons = page_buttons + added
        trial, _ = _body(trial_chunks, trial_buttons + ([] if last else more))
        if count_segments(trial).segments <= budget:
            chunks, page_buttons = trial_chunks, trial_buttons
            continue
        if not chunks and not page_buttons:  # alone on an empty page and still too long
            if isinstance(item, _Chunk) and " " in item.text.strip():
                items[:0] = _words(item)
                continue
            chunks, page_buttons = trial_chunks, trial_buttons  # sent whole, over the budget
            continue
        pages.append((chunks, page_buttons))
        chunks, page_buttons = [], []
        items.insert(0, item)
    pages.append((chunks, page_buttons))
    return _assemble(pages, more, budget, len(buttons))


def _assemble(
    pages: list[tuple[list[_Chunk], list[Mapping[str, Any]]]],
    more: list[Mapping[str, Any]],
    budget: int,
    options: int,
) -> OutgoingSms:
    """The first page, the others in its `more`; each but the last ends with "More" when there is one."""
    offered = sum(len(page_buttons) for _, page_buttons in pages)
    later: list[OutgoingSms] = []
    for index in range(len(pages) - 1, -1, -1):
        chunks, page_buttons = pages[index]
        is_last = index == len(pages) - 1
        body, payloads = _body(chunks, page_buttons + ([] if is_last else more))
        cost = count_segments(body)
        page = OutgoingSms(body, payloads, cost, options - offered, cost.segments <= budget, tuple(later))
        later.insert(0, page)
    return later[0]

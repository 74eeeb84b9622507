"""One bot message as one SMS: text, then the buttons as a numbered menu, within a segment budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from bot.sms.menu import numbered_menu
from bot.sms.segments import SegmentCount, count_segments


@dataclass(frozen=True)
class OutgoingSms:
    """The text to send, the payloads of its menu options in order, and what it costs."""

    body: str
    payloads: list[str]
    cost: SegmentCount
    options_dropped: int
    fits: bool  # False only when the text alone is over the budget (it is still sent whole)


def compose(text: str, buttons: Sequence[Mapping[str, Any]], budget: int) -> OutgoingSms:
    """The SMS for a message; menu options are dropped from the end until it fits the budget.

    The text itself is never cut: a safety message longer than the budget is sent whole
    (the content has short SMS variants so that this does not happen; a test checks them).
    """
    text = text.strip()
    kept = list(buttons)
    while True:
        menu, payloads = numbered_menu(kept)
        body = f"{text}\n{menu}" if text and menu else (text or menu)
        cost = count_segments(body)
        if cost.segments <= budget or not kept:
            break
        kept.pop()
    return OutgoingSms(body, payloads, cost, len(buttons) - len(kept), cost.segments <= budget)

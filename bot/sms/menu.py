"""Buttons as numbered menus for basic phones, and "1" back to the first button's payload."""

from __future__ import annotations

import unicodedata
from typing import Any, Mapping, Optional, Sequence


def numbered_menu(buttons: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """The menu text ("1 Found something\\n2 Someone hurt") and the payloads in order.

    Only digits and the (already translated) titles: nothing to translate here.
    """
    lines = [f"{n} {b.get('title', '')}".rstrip() for n, b in enumerate(buttons, 1)]
    return "\n".join(lines), [str(b.get("payload", "")) for b in buttons]


def _as_number(reply: str) -> Optional[int]:
    """ "2", " 2. ", "٢" (Arabic-Indic) or "២" (Khmer) as an int; None otherwise."""
    text = reply.strip().rstrip(".)").strip()
    if not text or len(text) > 3:
        return None
    digits = [unicodedata.digit(c, -1) for c in text]
    if any(d < 0 for d in digits):
        return None
    return int("".join(str(d) for d in digits))


def choose(reply: str, payloads: Sequence[str]) -> Optional[str]:
    """The payload of the option the person chose by number, or None if the reply is not one."""
    number = _as_number(reply)
    if number is None or not 1 <= number <= len(payloads):
        return None
    return payloads[number - 1]

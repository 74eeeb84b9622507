"""Choosing and rendering one response variation: pure functions, no Rasa."""

from __future__ import annotations

import copy
import logging
import string
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

Translate = Callable[[str], str]
_FORMATTER = string.Formatter()


def placeholders(text: str) -> set[str]:
    """The {names} used in `text` (empty for text without placeholders)."""
    names: set[str] = set()
    for _, field_name, _, _ in _FORMATTER.parse(text):
        if field_name:
            names.add(field_name)
    return names


def is_only_placeholders(text: str) -> bool:
    """True for texts such as "{language_name_km}" that carry nothing to translate."""
    return all(not literal.strip() for literal, _, _, _ in _FORMATTER.parse(text))


def variation_texts(variation: Mapping[str, Any]) -> list[str]:
    """Every translatable text of a variation: its text and its button titles."""
    texts = [variation["text"]] if isinstance(variation.get("text"), str) else []
    for button in variation.get("buttons") or []:
        title = button.get("title")
        if isinstance(title, str):
            texts.append(title)
    return texts


def _fillable(variation: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    needed = set().union(*(placeholders(t) for t in variation_texts(variation)))
    return all(values.get(name) not in (None, "") for name in needed)


def choose_variation(
    variations: Sequence[Mapping[str, Any]],
    channel: Optional[str],
    values: Mapping[str, Any],
) -> Optional[Mapping[str, Any]]:
    """Pick the variation to send.

    Variations written for this channel (e.g. a short SMS text) win over
    general ones; among those, the first whose placeholders can all be
    filled is used, so a variation with a phone number is preferred and the
    last one is the fallback that needs none.
    """
    for_channel = [v for v in variations if channel and v.get("channel") == channel]
    candidates = for_channel or [v for v in variations if not v.get("channel")]
    if not candidates:
        return None
    for variation in candidates:
        if _fillable(variation, values):
            return variation
    return candidates[-1]


class _Values(dict[str, Any]):
    """Format mapping that leaves unknown placeholders visible instead of crashing."""

    def __missing__(self, key: str) -> str:
        logger.error("No value for placeholder {%s}", key)
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Fill {placeholders}; a malformed template is returned unfilled, never raised."""
    try:
        return _FORMATTER.vformat(text, (), _Values({k: v for k, v in values.items() if v is not None}))
    except (ValueError, IndexError, AttributeError) as error:
        logger.error("Cannot fill %r: %s", text[:60], error)
        return text


SUGGEST_KEY = "suggest_top_intents"
MENU_PAYLOAD = "/help"


def _payload_intent(button: Mapping[str, Any]) -> str:
    payload = str(button.get("payload") or "")
    return payload[1:].split("{")[0] if payload.startswith("/") else ""


def suggest_buttons(
    buttons: Sequence[Mapping[str, Any]], ranking: Sequence[str], count: int
) -> list[Mapping[str, Any]]:
    """A "did you mean" menu: the buttons of the `count` best-ranked intents, then Menu.

    Without a usable ranking, the first `count` buttons (the urgent ones) are kept.
    """
    by_intent = {_payload_intent(b): b for b in buttons if b.get("payload") != MENU_PAYLOAD}
    chosen = [by_intent[name] for name in ranking if name in by_intent][:count]
    if not chosen:
        chosen = [b for b in buttons if b.get("payload") != MENU_PAYLOAD][:count]
    return chosen + [b for b in buttons if b.get("payload") == MENU_PAYLOAD]


def render(
    variation: Mapping[str, Any],
    translate: Translate,
    values: Mapping[str, Any],
    ranking: Sequence[str] = (),
) -> dict[str, Any]:
    """Translate and fill a variation's text and button titles."""
    rendered = copy.deepcopy(dict(variation))
    rendered.pop("channel", None)
    rendered.pop("condition", None)
    metadata = rendered.get("metadata")
    if isinstance(metadata, dict) and SUGGEST_KEY in metadata:
        count = int(metadata.pop(SUGGEST_KEY))
        rendered["buttons"] = suggest_buttons(rendered.get("buttons") or [], ranking, count)
        if not metadata:
            rendered.pop("metadata")
    if isinstance(rendered.get("text"), str):
        rendered["text"] = fill(translate(rendered["text"]), values)
    buttons: Iterable[dict[str, Any]] = rendered.get("buttons") or []
    for button in buttons:
        if isinstance(button.get("title"), str):
            button["title"] = fill(translate(button["title"]), values)
    return rendered

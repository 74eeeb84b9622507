"""Which kind of help a message asks for, from words NGO staff list in content/service_needs.yml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Optional

import yaml

from bot.nlu.normalise import normalise
from bot.services.categories import CATEGORIES

_NO_SPACES = re.compile(r"[\u1780-\u17ff]")
_SEPARATORS = re.compile(r"[\s,.;:!?()\"'/\-،؟]+")


def load_needs(path: Path) -> dict[str, tuple[str, ...]]:
    """Normalised words per category id."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return {
        category: tuple(normalise(str(word)) for word in data.get(category) or ()) for category in CATEGORIES
    }


def category_from_text(text: str, needs: Mapping[str, tuple[str, ...]]) -> Optional[str]:
    """The category whose longest word appears in `text`, or None."""
    typed = " " + _SEPARATORS.sub(" ", normalise(text)).strip() + " "
    best: Optional[tuple[int, str]] = None
    for category, words in needs.items():
        for word in words:
            found = word in typed.replace(" ", "") if _NO_SPACES.search(word) else f" {word} " in typed
            if found and (best is None or len(word) > best[0]):
                best = (len(word), category)
    return best[1] if best else None

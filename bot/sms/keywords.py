"""SMS keywords in every language (content/sms_keywords.yml)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Optional

import yaml

from bot.nlu.normalise import normalise

KEYWORDS: tuple[str, ...] = ("help", "language", "stop", "start", "delete")
# What each keyword asks of the assistant; stop and start are handled by the channel.
PAYLOADS = {"help": "/help", "language": "/change_language", "delete": "/delete_my_data"}


class Keywords:
    """Normalised aliases per keyword."""

    def __init__(self, aliases: Mapping[str, Iterable[str]]) -> None:
        self._by_alias = {
            normalise(str(alias)).strip(".!?"): keyword
            for keyword in KEYWORDS
            for alias in aliases.get(keyword, ())
        }

    @classmethod
    def load(cls, path: Path) -> Keywords:
        """Read the keyword file NGO staff edit."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({k: v for k, v in data.items() if isinstance(v, list)})

    def keyword(self, text: str) -> Optional[str]:
        """The keyword a whole message is ("STOP", "Aide!", "ជំនួយ"), or None."""
        return self._by_alias.get(normalise(text).strip(".!? "))

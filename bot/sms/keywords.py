"""SMS keywords in every language (content/sms_keywords.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from bot.nlu.normalise import normalise

KEYWORDS: tuple[str, ...] = ("help", "language", "stop", "start", "delete")
# What each keyword asks of the assistant; stop and start are handled by the channel.
PAYLOADS = {"help": "/help", "language": "/change_language", "delete": "/delete_my_data"}
# English words are the ones printed in instructions ("reply STOP"): they say nothing of
# the person's language.
NEUTRAL_LANGUAGE = "en"


@dataclass(frozen=True)
class KeywordMatch:
    """The keyword a message is, and the language its word belongs to (None if not telling)."""

    keyword: str
    language: Optional[str]


def _key(text: str) -> str:
    return normalise(text).strip(".!?¡¿ ")


class Keywords:
    """Normalised aliases per keyword, with the languages each alias belongs to."""

    def __init__(self, aliases: Mapping[str, Mapping[str, Any]]) -> None:
        self._keyword: dict[str, str] = {}
        self._languages: dict[str, set[str]] = {}
        for keyword in KEYWORDS:
            for language, words in (aliases.get(keyword) or {}).items():
                for word in words or ():
                    alias = _key(str(word))
                    self._keyword[alias] = keyword
                    self._languages.setdefault(alias, set()).add(str(language))

    @classmethod
    def load(cls, path: Path) -> Keywords:
        """Read the keyword file NGO staff edit."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({k: v for k, v in data.items() if isinstance(v, dict)})

    def match(self, text: str) -> Optional[KeywordMatch]:
        """The keyword a whole message is ("STOP", "Aide!", "ជំនួយ"), or None."""
        alias = _key(text)
        keyword = self._keyword.get(alias)
        if keyword is None:
            return None
        languages = self._languages[alias]
        telling = languages if NEUTRAL_LANGUAGE not in languages and len(languages) == 1 else set()
        return KeywordMatch(keyword, next(iter(telling), None))

    def keyword(self, text: str) -> Optional[str]:
        """Just the keyword (see `match`)."""
        found = self.match(text)
        return found.keyword if found else None

"""What each language's catalog can serve: translated, previous version under review, or missing.

After an English edit, `pybabel update` marks the entry fuzzy and keeps the old
translation. Gettext tools then drop it and the person gets English. We serve
it instead, until a reviewer confirms it, but only when it is a previous
version of the *same* message: pybabel's fuzzy matching may also attach the
translation of a different message.

The evidence lives in the .po file itself:
- every entry carries a translator comment `# response:utter_x` naming the
  response(s) its translation was made for (written by `bot content update`);
  pybabel copies translator comments from the old entry to the fuzzy one,
  while the extracted comment `#. utter_x` names the response of the new text;
- the kept translation must not be the translation of another message that is
  still in the catalog (pybabel's fuzzy match copied it from there); when the
  file has the previous English text (`#| msgid`), it must be gone as well.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import CATALOG_DOMAIN
from bot.responses import placeholders

logger = logging.getLogger(__name__)

# No spaces in the note: babel wraps translator comments at spaces.
RESPONSE_NOTE = "response:"
# The extracted comment of a campaign's text (bot/outreach/campaigns.py): `campaign:NAME:FIELD`.
CAMPAIGN_NOTE = "campaign:"
TRANSLATED, REVIEW, MISSING = "translated", "needs review", "missing"


def po_path(locales: Path, language: str) -> Path:
    """locales/<lang>/LC_MESSAGES/messages.po"""
    return locales / language / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


def read_catalog(path: Path) -> Catalog:
    """Parse a .po file (raises babel's PoFileError or ValueError when it is broken)."""
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def response_keys(message: Message) -> set[str]:
    """The responses (or campaign texts) the current English text belongs to (the extracted `#.`
    comments)."""
    return {c.strip() for c in message.auto_comments if c.strip().startswith(("utter_", CAMPAIGN_NOTE))}


def noted_keys(message: Message) -> set[str]:
    """The responses the translation was written for (the `# response:utter_x` translator comment)."""
    keys: set[str] = set()
    for comment in message.user_comments:
        if comment.startswith(RESPONSE_NOTE):
            keys |= {k.strip() for k in comment[len(RESPONSE_NOTE) :].split(",") if k.strip()}
    return keys


def _previous(message: Message) -> Optional[str]:
    previous = message.previous_id
    if isinstance(previous, (list, tuple)):
        return str(previous[0]) if previous else None
    return str(previous) if previous else None


@dataclass(frozen=True)
class EntryStatus:
    """One English message in one language: what the person gets, and why."""

    msgid: str
    status: str
    line: int
    served: Optional[str] = None
    reason: str = ""


@dataclass(frozen=True)
class Live:
    """The catalog's current messages and their settled translations."""

    msgids: frozenset[str]
    translations: frozenset[str]

    @classmethod
    def of(cls, catalog: Optional[Catalog], msgids: Iterable[str]) -> Live:
        """The domain's `msgids`, and the translations of `catalog`'s settled entries among them."""
        ids = frozenset(msgids)
        settled = frozenset(
            m.string
            for m in (catalog or [])
            if m.id in ids and isinstance(m.string, str) and m.string and not m.fuzzy
        )
        return cls(ids, settled)


def entry_status(msgid: str, message: Optional[Message], live: Live) -> EntryStatus:
    """Classify one message: `served` is the text the NLG may use (None: English)."""
    if message is None:
        return EntryStatus(msgid, MISSING, 0, reason="not in the catalog")
    line = message.lineno or 0
    string = message.string if isinstance(message.string, str) else ""
    if not string:
        return EntryStatus(msgid, MISSING, line, reason="untranslated")
    # A translation must never ask for a value the English text does not have
    # (the NLG fills what the English text needs: anything else would show as {name}).
    if not placeholders(string) <= placeholders(msgid):
        return EntryStatus(msgid, MISSING, line, reason="its placeholders differ from the English text")
    if not message.fuzzy:
        return EntryStatus(msgid, TRANSLATED, line, served=string)
    previous = _previous(message)
    if not noted_keys(message) & response_keys(message):
        return EntryStatus(msgid, MISSING, line, reason="fuzzy translation of another response")
    if string in live.translations or (previous is not None and previous in live.msgids):
        return EntryStatus(msgid, MISSING, line, reason="fuzzy translation of another message")
    return EntryStatus(msgid, REVIEW, line, served=string, reason="the English text changed")


@dataclass
class LanguageStatus:
    """Every English message of the domain in one language."""

    language: str
    path: Path
    entries: list[EntryStatus] = field(default_factory=list)
    error: str = ""

    def count(self, status: str) -> int:
        """How many messages have this status."""
        return sum(1 for e in self.entries if e.status == status)

    def summary(self) -> str:
        """e.g. `km: 170 translated, 5 need review, 4 missing (of 179)`."""
        if self.error:
            return f"{self.language}: cannot read {self.path}: {self.error}"
        return (
            f"{self.language}: {self.count(TRANSLATED)} translated, {self.count(REVIEW)} need review "
            f"(previous translation served), {self.count(MISSING)} missing (English served) "
            f"of {len(self.entries)}"
        )


def language_status(locales: Path, language: str, msgids: Iterable[str]) -> LanguageStatus:
    """The status of every message in `msgids` (the domain's English texts) for one language."""
    path = po_path(locales, language)
    wanted = list(dict.fromkeys(msgids))
    result = LanguageStatus(language, path)
    catalog: Optional[Catalog] = None
    if path.exists():
        try:
            catalog = read_catalog(path)
        except Exception as error:  # babel raises several types for broken files
            result.error = str(error)
    live = Live.of(catalog, wanted)
    for msgid in wanted:
        message = catalog.get(msgid) if catalog is not None else None
        result.entries.append(entry_status(msgid, message, live))
    return result


def servable(catalog: Catalog) -> dict[str, str]:
    """msgid -> text to serve: translations, and previous versions of the same message."""
    live = Live.of(catalog, (str(m.id) for m in catalog if m.id and isinstance(m.id, str)))
    served: dict[str, str] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        status = entry_status(message.id, message, live)
        if status.served is not None:
            served[message.id] = status.served
    return served


def serving_catalog(path: Path) -> Catalog:
    """A catalog holding only what `servable` allows, ready for gettext lookups."""
    source = read_catalog(path)
    catalog = Catalog(locale=source.locale, domain=CATALOG_DOMAIN)
    for msgid, string in servable(source).items():
        catalog.add(msgid, string)
    return catalog


# ------------------------------------------------------------------ make messages / make catalogs


def refresh_notes(catalog: Catalog, before: Optional[Catalog] = None) -> None:
    """Write `# response:utter_x` on every settled entry; keep fuzzy entries' evidence.

    A reviewed entry (not fuzzy) gets the responses of its current text. A fuzzy
    entry keeps the note it inherited (the responses its translation was made
    for) and, when pybabel's exact match dropped it, the `#| msgid` of `before`.
    """
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        others = [c for c in message.user_comments if not c.startswith(RESPONSE_NOTE)]
        if message.fuzzy:
            old = before.get(message.id) if before is not None else None
            if not message.previous_id and old is not None and old.fuzzy and old.previous_id:
                message.previous_id = list(old.previous_id)
            continue
        keys = sorted(response_keys(message))
        message.user_comments = others + ([RESPONSE_NOTE + ",".join(keys)] if keys else [])


def update_catalogs(locales: Path, template_path: Path, languages: Iterable[str]) -> None:
    """`pybabel update` with our notes: what `make messages` runs after `pybabel extract`."""
    with template_path.open("rb") as handle:
        template = read_po(handle)
    for language in languages:
        path = po_path(locales, language)
        before = read_catalog(path)
        catalog = read_catalog(path)
        catalog.update(template)
        refresh_notes(catalog, before)
        _write_atomically(path, _po_bytes(catalog))
        logger.info("updated %s", path)


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    # The same options as `pybabel update --no-wrap --ignore-obsolete`, plus the previous msgids.
    write_po(buffer, catalog, ignore_obsolete=True, include_previous=True, width=0)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    # mkstemp makes the file private; a catalog keeps the mode of the file it replaces.
    os.chmod(name, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    os.replace(name, path)


def compile_catalog(locales: Path, language: str) -> Path:
    """Write messages.mo holding what the NLG serves (`servable`), for gettext tools."""
    path = po_path(locales, language)
    catalog = serving_catalog(path)
    source = read_catalog(path)
    catalog.mime_headers = source.mime_headers
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    target = path.with_suffix(".mo")
    _write_atomically(target, buffer.getvalue())
    return target

"""Pseudonymous ids: a keyed hash of a phone number or chat id, never the raw identifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Iterable, Optional

from bot.settings import BOT_ENV_ENV, PSEUDONYM_KEY_ENV, Settings, SettingsError, load_settings

logger = logging.getLogger(__name__)


class Pseudonymizer:
    """HMAC-SHA256 of identifiers under one secret key (same input, same id; irreversible)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def of(self, identifier: str) -> str:
        """The pseudonym of `identifier` (64 hex characters)."""
        return hmac.new(self._key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()

    def among(self, identifiers: Iterable[str], pseudonym: str) -> list[str]:
        """The identifiers whose pseudonym is `pseudonym` (erasure knows only the keyed hash of an
        id, which cannot be turned back: each stored id is hashed and compared, about a second
        per million ids, for a request that is rare)."""
        return [identifier for identifier in identifiers if self.of(identifier) == pseudonym]

    def derived_key(self, purpose: str) -> bytes:
        """A Fernet key for `purpose`, derived from the pseudonym key (one secret to keep)."""
        digest = hmac.new(self._key, f"key:{purpose}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest)


def load_key(var: Path, settings: Optional[Settings] = None) -> bytes:
    """PSEUDONYM_KEY (the settings'); else a random key kept in var/pseudonym.key.

    A deployment sets PSEUDONYM_KEY (and keeps it: a new key makes new ids). The
    file fallback keeps a laptop working without setup; in production the key must come from
    the environment, never from a file beside the data it protects.
    """
    settings = settings or load_settings()
    if settings.pseudonym_key:
        return settings.pseudonym_key.encode("utf-8")
    if settings.production:
        raise SettingsError(f"{PSEUDONYM_KEY_ENV} must be set when {BOT_ENV_ENV}=production")
    path = var / "pseudonym.key"
    if not path.exists():
        var.mkdir(parents=True, exist_ok=True)
        logger.warning("%s is not set: keeping a generated key in %s", PSEUDONYM_KEY_ENV, path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")

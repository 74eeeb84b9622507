"""One cap and one sanitiser for every text a person sends, on every channel.

Pure functions: channels call `clean_text` on what a person typed, `clean_sender`
on ids that become conversation ids, and `PayloadGate.admit` before a typed
text reaches Rasa, so a person cannot type a Rasa payload (`/restart`,
`/report_hazard{...}`) that buttons never offer.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

import yaml

from bot.paths import ProjectPaths

# Nobody types more in an emergency; the model needs only the start, and a
# huge text would stall the server for every conversation (48 s for 1 MB).
MAX_TEXT_CHARS = 2000
MAX_SENDER_CHARS = 128
PAYLOAD_PREFIX = "/"
# Payload shapes that actions build at run time (not in domain.yml), and those
# channels build themselves (a shared Telegram location).
ACTION_PAYLOADS = (
    '/report_hazard{"hazard_region": ""}',
    '/report_hazard{"latitude": 0, "longitude": 0}',
    # KAP surveys (actions/surveys.py): an answer button, and a campaign's invitation buttons.
    '/start_survey{"survey_option": ""}',
    "/start_survey",
    '/start_survey{"survey": ""}',
    '/start_survey{"survey": "", "survey_run": ""}',
)
# Characters kept although their category is "control".
_KEPT_CONTROLS = "\n\t"
# Unicode categories removed: controls and lone surrogates (no store can encode those).
_DROPPED_CATEGORIES = {"Cc", "Cs"}


def clean_text(text: object, limit: int = MAX_TEXT_CHARS) -> str:
    """The text as understood: a string, NFC, no control or surrogate characters, at most `limit`."""
    if not isinstance(text, str):
        return ""
    kept = "".join(
        c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) not in _DROPPED_CATEGORIES
    )
    return unicodedata.normalize("NFC", kept).strip()[:limit]


def clean_sender(value: object) -> Optional[str]:
    """A sender id that every store can encode, or None when there is none worth keeping."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = clean_text(str(value), MAX_SENDER_CHARS)
    return text or None


def payload_shape(payload: str) -> Optional[tuple[str, frozenset[str]]]:
    """ "/intent{...}" as (intent, entity names), or None when it is not a well-formed payload."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    body = payload[len(PAYLOAD_PREFIX) :]
    intent, brace, rest = body.partition("{")
    intent = intent.strip()
    if not intent or not intent.replace("_", "").isalnum():
        return None
    if not brace:
        return intent, frozenset()
    try:
        entities = json.loads("{" + rest)
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    return intent, frozenset(str(k) for k in entities)


@dataclass
class PayloadGate:
    """The payload shapes buttons offer: a typed "/..." of another shape is read as plain text."""

    shapes: set[tuple[str, frozenset[str]]] = field(default_factory=set)

    @classmethod
    def for_project(cls, paths: ProjectPaths) -> PayloadGate:
        """Factory: the button payloads of domain.yml on disk."""
        with paths.domain.open(encoding="utf-8") as handle:
            domain = yaml.safe_load(handle) or {}
        responses = domain.get("responses") if isinstance(domain, dict) else None
        return cls.from_responses(responses if isinstance(responses, dict) else {}, ACTION_PAYLOADS)

    @classmethod
    def from_responses(cls, responses: Mapping[str, Any], extra: Iterable[str] = ()) -> PayloadGate:
        """Every button payload of the domain's responses, plus `extra` payloads built by actions."""
        gate = cls()
        for payload in [*_button_payloads(responses), *extra]:
            shape = payload_shape(payload)
            if shape is not None:
                gate.shapes.add(shape)
        return gate

    def allows(self, text: str) -> bool:
        """True when `text` is a payload of a shape some button offers."""
        shape = payload_shape(text)
        return shape is not None and shape in self.shapes

    def admit(self, text: str) -> str:
        """`text` unchanged, unless it is a payload no button offers: then its leading slashes go."""
        if not text.startswith(PAYLOAD_PREFIX) or self.allows(text):
            return text
        return text.lstrip(PAYLOAD_PREFIX).strip()


def _button_payloads(responses: Mapping[str, Any]) -> Iterable[str]:
    for variations in responses.values():
        for variation in variations if isinstance(variations, list) else []:
            buttons = variation.get("buttons") if isinstance(variation, Mapping) else None
            for button in buttons if isinstance(buttons, list) else []:
                payload = button.get("payload") if isinstance(button, Mapping) else None
                if isinstance(payload, str):
                    yield payload

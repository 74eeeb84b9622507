"""A hazard report as the person gave it: what, where, when, anyone hurt, consent to contact."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

from bot.clock import utc_now
from bot.references import new_reference

# What was seen (the form's buttons); the person's own words are kept as well.
HAZARD_TYPES: tuple[str, ...] = ("mine", "uxo", "grenade", "cluster", "unknown", "sign")
# When it was seen: relative to `created_at`, never a guessed date.
SEEN: tuple[str, ...] = ("today", "this_week", "earlier")
# The lifecycle staff set (bot/reports/lifecycle.py says which changes are allowed).
STATUS_NEW = "new"
STATUS_VERIFIED = "verified"
STATUS_DUPLICATE = "duplicate"
STATUS_NOT_FOUND = "not_found"
STATUS_CLEARED = "cleared"
STATUSES = (STATUS_NEW, STATUS_VERIFIED, STATUS_DUPLICATE, STATUS_NOT_FOUND, STATUS_CLEARED)


@dataclass(frozen=True)
class HazardReport:
    """One report. `id` is generated when the report is made, so storing it twice is detectable."""

    id: str
    reference: str
    hazard_type: str
    description: str
    place: str
    region: str
    seen: str
    injured: Optional[bool]
    contact_consent: bool
    contact: Optional[str]
    country: str  # ISO 3166-1 alpha-2 ("UA"), "" when the country is not known
    language: str
    conversation: str  # pseudonym (keyed hash) of the conversation, never a chat id or phone number
    created_at: datetime
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    status: str = STATUS_NEW
    # Where the person hears what happened to the report (only with consent): "telegram" or "sms",
    # and the chat id / number sealed for outreach (bot.outreach.store ADDRESS_PURPOSE).
    follow_up_channel: Optional[str] = None
    follow_up_address: Optional[str] = None

    def __post_init__(self) -> None:
        if self.hazard_type not in HAZARD_TYPES:
            raise ValueError(f"unknown hazard type {self.hazard_type!r}")
        if self.seen not in SEEN:
            raise ValueError(f"unknown 'seen' value {self.seen!r}")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        lat, lon = self.latitude, self.longitude
        if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("coordinates out of range")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        if not self.contact_consent and self.contact:
            raise ValueError("contact details without consent")
        if not self.contact_consent and self.follow_up_address:
            raise ValueError("a follow-up address without consent")

    @property
    def has_location(self) -> bool:
        """True when coordinates were shared."""
        return self.latitude is not None

    @property
    def can_follow_up(self) -> bool:
        """True when the person agreed to be contacted and their channel gave an address."""
        return self.contact_consent and bool(self.follow_up_channel and self.follow_up_address)

    def shareable_contact(self) -> Optional[str]:
        """The contact details, only when the person agreed to be contacted."""
        return self.contact if self.contact_consent else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the spool line and the webhook body's base)."""
        data = dataclasses.asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HazardReport:
        """The inverse of `to_json`; raises KeyError/TypeError/ValueError on bad data."""
        values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        values["created_at"] = datetime.fromisoformat(str(data["created_at"]))
        for name in ("latitude", "longitude"):
            if values.get(name) is not None:
                values[name] = float(values[name])
        return cls(**values)


def new_report(
    *,
    hazard_type: str,
    description: str,
    place: str,
    region: str,
    seen: str,
    injured: Optional[bool],
    contact_consent: bool,
    contact: Optional[str],
    country: str,
    language: str,
    conversation: str,
    latitude: Optional[float] = None,
    longitude: Optional[float] = None,
    created_at: Optional[datetime] = None,
    follow_up_channel: Optional[str] = None,
    follow_up_address: Optional[str] = None,
) -> HazardReport:
    """A new report with a fresh unique id and reference; contact and follow-up address are
    dropped without consent."""
    return HazardReport(
        id=str(uuid.uuid4()),
        reference=new_reference(),
        hazard_type=hazard_type,
        description=description,
        place=place,
        region=region,
        seen=seen,
        injured=injured,
        contact_consent=contact_consent,
        contact=contact if contact_consent else None,
        country=country.upper(),
        language=language,
        conversation=conversation,
        created_at=created_at or utc_now(),
        latitude=latitude,
        longitude=longitude,
        follow_up_channel=follow_up_channel if contact_consent and follow_up_address else None,
        follow_up_address=follow_up_address if contact_consent else None,
    )

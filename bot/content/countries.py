"""Country profiles: phone numbers, languages and defaults per country."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

GENERIC_PROFILE = "generic"
DEFAULT_SAFE_DISTANCE_M = 100
# Placeholder names a response may use for each kind of number.
NUMBER_KINDS: tuple[str, ...] = ("emergency", "report", "police", "ambulance", "protection")
# Kinds given to people only once the deploying organisation confirmed them
# (verified: true): a wrong hotline for someone facing violence is worse than
# none, and the emergency number is always given instead.
VERIFIED_ONLY_KINDS: frozenset[str] = frozenset({"protection"})
# Profile fields that name a response of domain.yml to send instead of a general one (field ->
# the response it replaces): the country's own text stays in domain.yml and the catalogs.
PROFILE_RESPONSES: Mapping[str, str] = {"survivor_entitlements": "utter_survivor_entitlements"}


@dataclass(frozen=True)
class PhoneNumber:
    """A number people can call, and whether the deploying organisation confirmed it."""

    number: str
    verified: bool
    source: str = ""


@dataclass(frozen=True)
class CountryProfile:
    """One country's numbers and language defaults."""

    id: str
    name: str
    default_language: str
    languages: tuple[str, ...]
    iso2: Optional[str] = None
    safe_distance_m: int = DEFAULT_SAFE_DISTANCE_M
    numbers: Mapping[str, PhoneNumber] = field(default_factory=dict)
    # Response keys of the country's own lessons, in the order they are shown.
    cards: tuple[str, ...] = ()
    # Pictures of the warning-signs lesson that fit this country (content/pictures/<name>.svg).
    warning_pictures: tuple[str, ...] = ()
    # The response sent instead of a general one (PROFILE_RESPONSES), by the general one's key.
    responses: Mapping[str, str] = field(default_factory=dict)

    def response_key(self, key: str) -> str:
        """The response this country sends for `key`: its own version, or `key` itself."""
        return self.responses.get(key, key)

    def placeholders(self) -> dict[str, str]:
        """Values for the {placeholders} responses may use; absent numbers are left out,
        and so are unverified numbers of the kinds that must be verified."""
        values = {"safe_distance": str(self.safe_distance_m)}
        for kind, phone in self.numbers.items():
            if kind in VERIFIED_ONLY_KINDS and not phone.verified:
                continue
            values[f"{kind}_number"] = phone.number
        return values


def profile_from_dict(profile_id: str, data: Mapping[str, Any]) -> CountryProfile:
    """Build a profile from parsed YAML; raises KeyError/TypeError/ValueError on bad data."""
    numbers = {
        kind: PhoneNumber(
            number=str(entry["number"]),
            verified=bool(entry.get("verified", False)),
            source=str(entry.get("source", "")),
        )
        for kind, entry in (data.get("numbers") or {}).items()
    }
    return CountryProfile(
        id=profile_id,
        name=str(data["name"]),
        iso2=data.get("iso2"),
        default_language=str(data["default_language"]),
        languages=tuple(data.get("languages") or ()),
        safe_distance_m=int(data.get("safe_distance_m", DEFAULT_SAFE_DISTANCE_M)),
        numbers=numbers,
        cards=tuple(str(key) for key in data.get("cards") or ()),
        warning_pictures=tuple(str(name) for name in data.get("warning_pictures") or ()),
        responses={general: str(data[name]) for name, general in PROFILE_RESPONSES.items() if data.get(name)},
    )


def load_profiles(directory: Path) -> dict[str, CountryProfile]:
    """Load every content/countries/*.yml; the file name (without .yml) is the id."""
    profiles: dict[str, CountryProfile] = {}
    for path in sorted(directory.glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        profiles[path.stem] = profile_from_dict(path.stem, data)
    return profiles


# -------------------------------------------------------------- unverified numbers, for staff
# People get a profile's numbers whether or not they are confirmed (a safety answer must give a
# number); staff must see which ones are not, in every log and export that carries one.


def reporting_number(profile: CountryProfile) -> Optional[PhoneNumber]:
    """The number a hazard report's confirmation gives: the report number, else the emergency one."""
    return profile.numbers.get("report") or profile.numbers.get("emergency")


def hotlines_by_country(profiles: Mapping[str, CountryProfile]) -> dict[str, PhoneNumber]:
    """ISO 3166 code ("KH") -> the reporting number of that country's profile."""
    found: dict[str, PhoneNumber] = {}
    for profile in profiles.values():
        phone = reporting_number(profile)
        if profile.iso2 and phone is not None:
            found[str(profile.iso2).upper()] = phone
    return found


def unverified_numbers(profiles: Mapping[str, CountryProfile]) -> list[str]:
    """One line per number marked verified: false, e.g. "cambodia emergency 117 (source: ...)"."""
    lines = []
    for profile_id in sorted(profiles):
        for kind, phone in profiles[profile_id].numbers.items():
            if not phone.verified:
                source = f" (source: {phone.source})" if phone.source else ""
                lines.append(f"{profile_id} {kind} {phone.number}{source}")
    return lines


def log_unverified_numbers(profiles: Mapping[str, CountryProfile], log: logging.Logger) -> None:
    """A WARNING per unverified number: people are given it, but nobody has confirmed it."""
    for line in unverified_numbers(profiles):
        log.warning(
            "UNVERIFIED number given to people: %s; confirm it with the national authority, "
            "then set verified: true in content/countries/",
            line,
        )

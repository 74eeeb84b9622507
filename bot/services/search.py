"""Finding the services nearest to a person: same district, then same region, then national."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from bot.services.store import ServiceRecord, list_services, services_of
from bot.store.db import Database

MAX_RESULTS = 3
DISTRICT, REGION, NATIONAL = 0, 1, 2


@dataclass(frozen=True)
class Match:
    """A service and how close it is (DISTRICT, REGION or NATIONAL)."""

    service: ServiceRecord
    rank: int


def rank(service: ServiceRecord, region: Optional[str], district: Optional[str]) -> Optional[int]:
    """How close `service` is to the person's place; None when it serves another region."""
    if service.region is None:
        return NATIONAL
    if region is None or service.region != region:
        return None
    if district is not None and service.district == district:
        return DISTRICT
    return REGION


def best_matches(
    candidates: Iterable[ServiceRecord],
    category: str,
    region: Optional[str],
    district: Optional[str] = None,
    limit: int = MAX_RESULTS,
) -> list[Match]:
    """At most `limit` services offering `category`, nearest first.

    Within a rank, real entries come before example entries, then by
    organisation and name so the order is stable.
    """
    ranked = []
    for service in services_of(candidates, category):
        position = rank(service, region, district)
        if position is not None:
            ranked.append(Match(service, position))
    ranked.sort(key=lambda m: (m.rank, m.service.example, m.service.organisation, m.service.name))
    return ranked[:limit]


def find_services(
    database: Database,
    country: str,
    category: str,
    region: Optional[str],
    district: Optional[str] = None,
    limit: int = MAX_RESULTS,
) -> list[Match]:
    """The best active services of `country` for `category` near `region`/`district`."""
    with database.sessions.begin() as session:
        candidates = list_services(session, country=country)
    return best_matches(candidates, category, region, district, limit)

"""What a hazard report's status change sends: a follow-up to the person who made it (with their
consent) and, when staff confirm, an alert to the subscribers of the report's region.

Run ids are fixed by the report and the status ("follow-up:ABC123:verified",
"alert:ABC123:verified"), and the outbox adds one row per recipient of a run once: running a
command again after a crash adds nothing and loses nothing.

An alert never names the reporter: it carries the region, and the place as staff confirmed it
(never the person's description or contact). A cleared alert says the authority reports that the
item was removed, never that the area is safe (content brief, rule 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.inbox.store import Sealer
from bot.nlg import ResponseRenderer
from bot.outreach.outbox import Outgoing
from bot.outreach.render import profile_for, render_text
from bot.outreach.store import subscriptions
from bot.reports.lifecycle import CLEARED, DUPLICATE, NOT_FOUND, VERIFIED
from bot.reports.model import HazardReport
from bot.services.regions import Region, RegionIndex

# The message the person who made the report gets, per status.
FOLLOW_UP_RESPONSES: Mapping[str, str] = {
    VERIFIED: "utter_follow_up_report_verified",
    DUPLICATE: "utter_follow_up_report_duplicate",
    NOT_FOUND: "utter_follow_up_report_not_found",
    CLEARED: "utter_follow_up_report_cleared",
}
# The alert to the region's subscribers, per status (staff confirm each one).
ALERT_RESPONSES: Mapping[str, str] = {
    VERIFIED: "utter_alert_report_verified",
    CLEARED: "utter_alert_report_cleared",
}
RESPONSES = (*FOLLOW_UP_RESPONSES.values(), *ALERT_RESPONSES.values())


def follow_up_run_id(reference: str, status: str) -> str:
    """The run of the follow-up on one status change."""
    return f"follow-up:{reference}:{status}"


def alert_run_id(reference: str, status: str) -> str:
    """The run of the alert on one status change."""
    return f"alert:{reference}:{status}"


def report_follow_up(renderer: ResponseRenderer, sealer: Sealer, report: HazardReport) -> Optional[Outgoing]:
    """The follow-up on the report's current status, or None: no consent, no address the
    channel gave, no message for that status, or an address that no longer opens."""
    key = FOLLOW_UP_RESPONSES.get(report.status)
    if key is None or not report.can_follow_up:
        return None
    address = sealer.open(report.follow_up_address)
    channel = report.follow_up_channel or ""
    if not address:
        return None
    text = render_text(
        renderer, key, report.language, report.country, channel, {"reference": report.reference}
    )
    return Outgoing(
        recipient=report.conversation,
        channel=channel,
        address=address,
        language=report.language,
        body=text.text,
        segments=text.segments,
    )


@dataclass(frozen=True)
class AlertArea:
    """Where an alert goes: a country profile and, when the report names one, a region."""

    country: str  # profile id ("ukraine")
    iso2: str
    region: Optional[Region]

    def region_name(self, language: str) -> str:
        """The region in `language` (empty when the report names none)."""
        return self.region.name(language) if self.region else ""


def alert_area(
    renderer: ResponseRenderer, regions: Mapping[str, Mapping[str, Region]], report: HazardReport
) -> AlertArea:
    """The profile and region of a report (its region as typed or chosen, matched to the content's
    regions)."""
    profile = profile_for(renderer, report.country)
    known = regions.get(profile.id, {})
    match = RegionIndex(known).match(report.region) if report.region and known else None
    return AlertArea(
        profile.id, (profile.iso2 or report.country).upper(), known[match.region] if match else None
    )


@dataclass(frozen=True)
class Subscriber:
    """One alert subscription (the address still sealed)."""

    pseudonym: str
    channel: str
    address: str
    language: str


def subscribers_in(session: Session, area: AlertArea) -> list[Subscriber]:
    """The subscribers of the area's region, and those of the whole country (no region), in a
    stable order. The country is matched by profile id or ISO code, the region by id or English
    name, whichever the subscription stored."""
    c = subscriptions.c
    countries = {area.country, area.iso2, area.iso2.lower()}
    where: Any = c.country.in_(sorted(countries))
    if area.region is not None:
        names = {area.region.id, area.region.name("en")}
        where = sa.and_(where, sa.or_(c.region.is_(None), c.region == "", c.region.in_(sorted(names))))
    else:
        where = sa.and_(where, sa.or_(c.region.is_(None), c.region == ""))
    query = sa.select(c.pseudonym, c.channel, c.address, c.language).where(where).order_by(c.pseudonym)
    return [Subscriber(r.pseudonym, r.channel, r.address, r.language) for r in session.execute(query)]


def alert_messages(
    renderer: ResponseRenderer,
    sealer: Sealer,
    report: HazardReport,
    area: AlertArea,
    place: str,
    recipients: Sequence[Subscriber],
) -> list[Outgoing]:
    """The alert on the report's status to each subscriber, in their language and on their channel.
    Subscribers whose address no longer opens (the key changed) are left out."""
    key = ALERT_RESPONSES[report.status]
    messages = []
    for subscriber in recipients:
        address = sealer.open(subscriber.address)
        if not address:
            continue
        values = {"region": area.region_name(subscriber.language), "place": place.strip()}
        text = render_text(renderer, key, subscriber.language, area.country, subscriber.channel, values)
        messages.append(
            Outgoing(
                recipient=subscriber.pseudonym,
                channel=subscriber.channel,
                address=address,
                language=subscriber.language,
                body=text.text,
                segments=text.segments,
            )
        )
    return messages

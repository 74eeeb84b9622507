"""Who a campaign goes to, and its run: the subscriptions its audience matches, one outbox row each
(the message rendered in the person's language, for their channel and country).

A campaign's run id names its occurrence (`campaign:NAME:YYYY-MM-DD`, Schedule.occurrence), so
sending it again the same season, or after a crash, opens the same run: the outbox adds nobody
twice, and what is not final yet is enqueued again. `due_campaigns(paths, today)` is what the
queue's periodic task calls; `send_due` opens and enqueues their runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence

from bot.content.countries import CountryProfile
from bot.inbox.store import Sealer
from bot.outreach.campaign_check import Known, campaigns_problems
from bot.outreach.campaign_render import CampaignRenderer, Rendered, profile_of
from bot.outreach.campaigns import Audience, Campaign, load_campaigns
from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.store import ADDRESS_PURPOSE, CAMPAIGN
from bot.outreach.subscriptions import Subscription, Subscriptions
from bot.paths import ProjectPaths
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer

# Puts outbox keys on the job queue (bot.outreach.queue dispatch, bound to a queue).
Enqueue = Callable[[Sequence[str]], None]


def country_values(profiles: Mapping[str, CountryProfile], countries: Iterable[str]) -> set[str]:
    """What a subscription's country may hold for these profiles: the profile id or its ISO code."""
    values: set[str] = set()
    for country in countries:
        values.add(country)
        iso2 = profiles[country].iso2 if country in profiles else None
        if iso2:
            values |= {iso2.upper(), iso2.lower()}
    return values


def area_values(known: Known, audience: Audience) -> set[str]:
    """The region ids of the audience and the district ids inside them."""
    return {area for region in audience.regions for area in _areas(known, audience, region)}


def _areas(known: Known, audience: Audience, region: str) -> set[str]:
    found = {region}
    for country in audience.countries or tuple(known.regions):
        found |= known.districts.get(country, {}).get(region, set())
    return found


def subscribers(database: Database, known: Known, audience: Audience) -> list[Subscription]:
    """The subscriptions the audience matches (a list it leaves out matches everyone), by pseudonym."""
    return list(
        Subscriptions(database).matching(
            countries=sorted(country_values(known.profiles, audience.countries))
            if audience.countries
            else None,
            regions=sorted(area_values(known, audience)) if audience.regions else None,
            languages=audience.languages or None,
            channels=audience.channels or None,
            tracks=audience.tracks or None,
        )
    )


class Messages:
    """Each subscriber's rendered message, rendered once per language, channel and country."""

    def __init__(self, campaign: Campaign, renderer: CampaignRenderer) -> None:
        self.campaign = campaign
        self.renderer = renderer
        self._rendered: dict[tuple[str, str, str], Rendered] = {}

    def of(self, subscriber: Subscription) -> Rendered:
        """The message `subscriber` gets."""
        country = profile_of(self.renderer.profiles, subscriber.country).id
        key = (subscriber.language, subscriber.channel, country)
        if key not in self._rendered:
            self._rendered[key] = self.renderer.render(self.campaign, *key)
        return self._rendered[key]


def outgoing(people: Iterable[Subscription], messages: Messages, sealer: Sealer) -> Iterator[Outgoing]:
    """One outbox message per subscriber whose address can be opened."""
    for person in people:
        address = sealer.open(person.address)
        if not address:
            continue  # sealed under another key: nobody can reach this subscription any more
        rendered = messages.of(person)
        yield Outgoing(
            person.pseudonym, person.channel, address, person.language, rendered.text, rendered.segments
        )


@dataclass(frozen=True)
class Plan:
    """What sending a campaign's occurrence would do."""

    campaign: Campaign
    run_id: str
    people: list[Subscription]
    messages: Messages

    def counts(self, field: str) -> Counter[str]:
        """Recipients by a subscription field (country, region, language, channel, track)."""
        return Counter(str(getattr(p, field) or "(none)") for p in self.people)

    def sms_segments(self) -> tuple[int, int]:
        """(SMS messages, their segments in all)."""
        sms = [self.messages.of(p).segments for p in self.people if p.channel == "sms"]
        return len(sms), sum(sms)


def plan(
    paths: ProjectPaths,
    database: Database,
    campaign: Campaign,
    day: date,
    known: Optional[Known] = None,
    renderer: Optional[CampaignRenderer] = None,
) -> Plan:
    """The run of `campaign`'s occurrence `day` and the subscribers it reaches."""
    known = known or Known.of(paths)
    renderer = renderer or CampaignRenderer.for_project(paths)
    people = subscribers(database, known, campaign.audience)
    return Plan(campaign, campaign.run_id(day), people, Messages(campaign, renderer))


def open_run(plan: Plan, database: Database, pseudonyms: Pseudonymizer) -> list[str]:
    """Add the plan's messages to the outbox (nobody twice); the keys of the run not final yet."""
    outbox = Outbox.sealed_with(database, pseudonyms)
    sealer = Sealer(pseudonyms.derived_key(ADDRESS_PURPOSE))
    return outbox.open_run(
        plan.run_id, CAMPAIGN, plan.campaign.name, outgoing(plan.people, plan.messages, sealer)
    )


def due_campaigns(paths: ProjectPaths, today: date) -> list[tuple[Campaign, date]]:
    """The campaigns whose schedule sends today and that can send, with the occurrence they send
    (the periodic task calls this daily: the run id keeps each person to one message)."""
    due = []
    campaigns = load_campaigns(paths)
    for name, campaign in sorted(campaigns.items()):
        occurrence = campaign.schedule.due(today)
        if occurrence is not None and not campaigns_problems(paths, today, [name]):
            due.append((campaign, occurrence))
    return due


def send_due(
    paths: ProjectPaths, database: Database, pseudonyms: Pseudonymizer, today: date, enqueue: Enqueue
) -> list[str]:
    """Open and enqueue the run of every campaign due today; their run ids."""
    runs = []
    for campaign, occurrence in due_campaigns(paths, today):
        chosen = plan(paths, database, campaign, occurrence)
        enqueue(open_run(chosen, database, pseudonyms))
        runs.append(chosen.run_id)
    return runs

"""What staff commands send when a report or referral changes: the outbox runs and their queue.

`bot reports set-status` and `bot reports alert` (bot/reports/commands.py), `bot referrals
assign | close` (bot/services/commands.py) use these: each opens a run in the outbox (one row per
recipient, idempotent) and hands the keys to the task queue (bot.outreach.queue).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence, TextIO, TypeVar

from bot.inbox.store import Sealer
from bot.nlg import ResponseRenderer
from bot.outreach import referrals as referral_outreach
from bot.outreach import reports as report_outreach
from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.render import outreach_renderer, render_text
from bot.outreach.store import ALERT, FOLLOW_UP, PARTNER
from bot.outreach.subscriptions import address_sealer
from bot.paths import ProjectPaths
from bot.references import clean_reference
from bot.reports.model import HazardReport
from bot.services.partners import Partner, load_partners
from bot.services.referrals import Referral, assign_referral, get_referral
from bot.services.regions import Region, RegionIndex, load_regions
from bot.settings import Settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key

Dispatch = Callable[[Sequence[str]], None]
_O = TypeVar("_O", bound="Outreach")


def queue_dispatch(paths: ProjectPaths, settings: Settings) -> Dispatch:
    """Hand outbox keys to the project's task queue (its workers send them)."""

    def dispatch(keys: Sequence[str]) -> None:
        from bot.outreach.queue import dispatch as enqueue  # lazy: loads huey
        from bot.outreach.queue import enqueue_only

        enqueue(enqueue_only(settings, paths), list(keys))

    return dispatch


@dataclass
class Outreach:
    """The outbox, the renderer and the queue a staff command sends through."""

    database: Database
    outbox: Outbox
    sealer: Sealer
    renderer: ResponseRenderer
    regions: Mapping[str, Mapping[str, Region]]
    dispatch: Dispatch

    @classmethod
    def for_project(
        cls: type[_O],
        paths: ProjectPaths,
        database: Database,
        settings: Settings,
        dispatch: Optional[Dispatch] = None,
    ) -> _O:
        """The project's outbox (addresses sealed with the pseudonym key), content and queue."""
        pseudonyms = Pseudonymizer(load_key(paths.var, settings))
        return cls(
            database=database,
            outbox=Outbox.sealed_with(database, pseudonyms),
            sealer=address_sealer(pseudonyms),
            renderer=outreach_renderer(paths),
            regions=load_regions(paths.regions),
            dispatch=dispatch or queue_dispatch(paths, settings),
        )

    def send(self, run_id: str, kind: str, name: str, messages: Sequence[Outgoing]) -> list[str]:
        """Open (or complete) the run and queue its rows not yet final; their keys."""
        keys = self.outbox.open_run(run_id, kind, name, messages)
        if keys:
            try:
                self.dispatch(keys)
            except Exception as error:  # noqa: BLE001  (the rows wait in the outbox: the sweep queues them)
                print(
                    f"warning: the queue could not be reached ({type(error).__name__}): the messages wait "
                    "in the outbox and the workers' sweep sends them",
                    file=sys.stderr,
                )
        return keys


class ReportOutreach(Outreach):
    """Follow-ups and alerts on hazard reports."""

    def follow_up(self, report: HazardReport) -> str:
        """Queue the follow-up on the report's status to the person who made it; what was done."""
        if report.status not in report_outreach.FOLLOW_UP_RESPONSES:
            return f"no follow-up: nothing is sent on {report.status}"
        if not report.contact_consent:
            return "no follow-up: the person did not agree to be contacted"
        message = report_outreach.report_follow_up(self.renderer, self.sealer, report)
        if message is None:
            return "no follow-up: the person's channel gave no address for it"
        run_id = report_outreach.follow_up_run_id(report.reference, report.status)
        self.send(run_id, FOLLOW_UP, report.reference, [message])
        return f"follow-up queued to the person who made it ({message.channel}, {message.language}): {run_id}"

    def _area(self, report: HazardReport, region: Optional[str]) -> report_outreach.AlertArea:
        area = report_outreach.alert_area(self.renderer, self.regions, report)
        if region is None:
            return area
        known = self.regions.get(area.country, {})
        if region in known:
            chosen: Optional[Region] = known[region]
        else:
            match = RegionIndex(known).match(region)
            chosen = known[match.region] if match else None
        if chosen is None:
            raise LookupError(f"no region {region!r} in {area.country} (known: {', '.join(known) or 'none'})")
        return report_outreach.AlertArea(area.country, area.iso2, chosen)

    def alert(
        self,
        report: HazardReport,
        place: Optional[str],
        region: Optional[str],
        yes: bool,
        out: TextIO,
        confirm: Callable[[str], str],
    ) -> int:
        """Warn the subscribers of the report's region once staff confirm; exit code 1 when it is
        refused (an unverified report, no known region) or not confirmed."""
        if report.status not in report_outreach.ALERT_RESPONSES:
            print(
                f"error: {report.reference} is {report.status}: only a verified report is alerted "
                "(and a cleared one, to say the item was removed)",
                file=sys.stderr,
            )
            return 1
        try:
            area = self._area(report, region)
        except LookupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        if area.region is None:
            known = ", ".join(self.regions.get(area.country, {})) or "none"
            print(
                f"error: the region of {report.reference} ({report.region!r}) is not one of the regions "
                f"of {area.country}: give --region (one of: {known})",
                file=sys.stderr,
            )
            return 1
        with self.database.sessions.begin() as session:
            subscribers = report_outreach.subscribers_in(session, area)
        where = f"{area.region_name('en')} ({area.country})"
        if not subscribers:
            print(f"no subscriber in {where}: no alert to send", file=out)
            return 0
        # Only the place staff name: the report's own words may name the person (their house, field).
        chosen_place = place or ""
        messages = report_outreach.alert_messages(
            self.renderer, self.sealer, report, area, chosen_place, subscribers
        )
        run_id = report_outreach.alert_run_id(report.reference, report.status)
        print(f"{run_id}: {len(messages)} subscriber(s) in {where}", file=out)
        counts = Counter((m.language, m.channel) for m in messages)
        segments = Counter((m.language, m.channel) for m in messages for _ in range(m.segments))
        for (language, channel), count in sorted(counts.items()):
            cost = f", {segments[(language, channel)]} segment(s)" if channel == "sms" else ""
            print(f"  {language} {channel}: {count}{cost}", file=out)
        english = render_text(
            self.renderer,
            report_outreach.ALERT_RESPONSES[report.status],
            "en",
            area.country,
            "telegram",
            {"region": area.region_name("en"), "place": chosen_place.strip()},
        )
        print(f"text (en): {english.text}", file=out)
        if not yes and not _confirmed("Send this alert? [y/N] ", confirm):
            print("alert not sent", file=out)
            return 1
        keys = self.send(run_id, ALERT, report.reference, messages)
        print(f"alert queued: {len(keys)} message(s) to send", file=out)
        return 0


def _confirmed(question: str, confirm: Callable[[str], str]) -> bool:
    try:
        answer = confirm(question)
    except EOFError:  # no terminal to ask: never send an alert nobody confirmed
        return False
    return answer.strip().lower() in ("y", "yes")


@dataclass
class ReferralOutreach(Outreach):
    """Partner notifications and follow-ups on referrals."""

    partners: Mapping[str, Partner] = field(default_factory=dict)

    @classmethod
    def for_referrals(
        cls, paths: ProjectPaths, database: Database, settings: Settings, dispatch: Optional[Dispatch] = None
    ) -> ReferralOutreach:
        """The project's outreach and its referral partners (content/services/partners.yml)."""
        outreach = cls.for_project(paths, database, settings, dispatch)
        outreach.partners = load_partners(paths.partners, settings.partner_webhooks)
        return outreach

    def notify_new(self) -> int:
        """Open the partner notification of every open referral that has none; how many rows wait."""
        keys = referral_outreach.notify_new_referrals(self.database, self.outbox, self.partners)
        if keys:
            self.dispatch(keys)
        return len(keys)

    def follow_up(self, referral: Referral, event: str, partner: Optional[Partner] = None) -> str:
        """Queue the follow-up on `event` to the person; what was done."""
        message = referral_outreach.referral_follow_up(self.renderer, self.sealer, referral, event, partner)
        if message is None:
            return "no follow-up: the person's channel gave no address for it"
        run_id = referral_outreach.follow_up_run_id(referral.reference, event)
        if partner is not None:
            run_id = f"{run_id}:{partner.id}"
        self.send(run_id, FOLLOW_UP, referral.reference, [message])
        return f"follow-up queued to the person ({message.channel}, {message.language}): {run_id}"

    def assign(self, reference: str, partner_id: str, note: Optional[str], out: TextIO) -> int:
        """Assign an open referral to a partner: the partner is notified, the person told."""
        partner = self.partners.get(partner_id)
        if partner is None:
            known = ", ".join(sorted(self.partners)) or "none"
            print(
                f"error: no partner '{partner_id}' in content/services/partners.yml (known: {known})",
                file=sys.stderr,
            )
            return 1
        referral = assign_referral(self.database, reference, partner.id, note)
        if referral is None:
            return not_open(self.database, reference)
        print(f"{referral.reference} assigned to {partner.id} ({partner.name})", file=out)
        messages = referral_outreach.partner_messages(referral, referral_outreach.ASSIGNED, [partner])
        run_id = referral_outreach.partner_run_id(referral.reference, referral_outreach.ASSIGNED)
        self.send(run_id, PARTNER, referral.reference, messages)
        channels = ", ".join(m.channel for m in messages) or "no webhook or e-mail configured"
        print(f"partner notified: {len(messages)} message(s) ({channels})", file=out)
        print(self.follow_up(referral, referral_outreach.ASSIGNED, partner), file=out)
        return 0


def not_open(database: Database, reference: str) -> int:
    """Say why a referral cannot change (none, or not open); exit code 1."""
    referral = get_referral(database, reference)
    if referral is None:
        print(f"error: no referral {clean_reference(reference)}", file=sys.stderr)
    else:
        print(
            f"error: {referral.reference} is {referral.status}: only an open referral can change",
            file=sys.stderr,
        )
    return 1

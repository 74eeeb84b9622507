"""What a referral sends: partner notifications (new, assigned) and follow-ups to the person.

A partner notification is a JSON payload naming the referral (reference, need, place, language,
when), never the person's contact or pseudonym: partners get contacts from staff. It is a row
of the outbox (kind PARTNER, run "partner:REF:new" or "partner:REF:assigned", one row per
partner and channel), retried by the queue until delivered. New referrals are notified right
after they are stored, and `notify_new_referrals` (run by `bot referrals notify` and after each
new referral) opens the run of any open referral that has none yet, so a crash between storing
the referral and opening its run loses no notification.
"""

from __future__ import annotations

import json
from typing import Iterable, Mapping, Optional

import sqlalchemy as sa

from bot.inbox.store import Sealer
from bot.nlg import ResponseRenderer
from bot.outreach.outbox import Outbox, Outgoing
from bot.outreach.render import render_text
from bot.outreach.store import PARTNER, outreach_runs
from bot.services.partners import Partner
from bot.services.referrals import OPEN, Referral, referral_from_row
from bot.services.store import referrals
from bot.store.db import Database

NEW = "new"
ASSIGNED = "assigned"
CLOSED = "closed"
PAYLOAD_VERSION = 1
# Partners read English payloads; the field names are the interface.
PARTNER_LANGUAGE = "en"
FOLLOW_UP_RESPONSES: Mapping[str, str] = {
    ASSIGNED: "utter_follow_up_referral_assigned",
    CLOSED: "utter_follow_up_referral_closed",
}


def partner_run_id(reference: str, event: str) -> str:
    """The run of one partner notification event of a referral."""
    return f"partner:{reference}:{event}"


def follow_up_run_id(reference: str, event: str) -> str:
    """The run of the follow-up to the person on one change of their referral."""
    return f"follow-up:{reference}:{event}"


def partner_payload(referral: Referral, event: str, partner: Partner) -> str:
    """The JSON body a partner gets: the referral without contact or pseudonym."""
    return json.dumps(
        {
            "subject": f"Referral {referral.reference}: {event}",
            "event": f"referral.{event}",
            "partner": partner.id,
            "reference": referral.reference,
            "category": referral.category,
            "country": referral.country,
            "region": referral.region,
            "district": referral.district,
            "language": referral.language,
            "created_at": referral.consent_at.isoformat(),
            "payload_version": PAYLOAD_VERSION,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def partner_messages(referral: Referral, event: str, partners: Iterable[Partner]) -> list[Outgoing]:
    """One message per partner and channel (webhook, e-mail)."""
    return [
        Outgoing(
            recipient=f"{partner.id}:{channel}",
            channel=channel,
            address=address,
            language=PARTNER_LANGUAGE,
            body=partner_payload(referral, event, partner),
        )
        for partner in partners
        for channel, address in partner.addresses()
    ]


def referrals_not_notified(database: Database) -> list[Referral]:
    """Open referrals whose new-referral run was never opened, oldest first."""
    run_id = sa.literal("partner:") + referrals.c.reference + sa.literal(f":{NEW}")
    opened = sa.select(outreach_runs.c.run_id).where(outreach_runs.c.run_id == run_id).exists()
    query = (
        sa.select(referrals)
        .where(referrals.c.status == OPEN, ~opened)
        .order_by(referrals.c.consent_at, referrals.c.pk)
    )
    with database.sessions.begin() as session:
        return [referral_from_row(row) for row in session.execute(query).mappings().all()]


def notify_new_referrals(database: Database, outbox: Outbox, partners: Mapping[str, Partner]) -> list[str]:
    """Open the new-referral run of every open referral that has none (a run with nobody in it
    when no partner takes the referral); the outbox keys to queue."""
    keys: list[str] = []
    for referral in referrals_not_notified(database):
        chosen = [p for p in partners.values() if p.takes(referral.country, referral.category)]
        messages = partner_messages(referral, NEW, chosen)
        keys += outbox.open_run(
            partner_run_id(referral.reference, NEW), PARTNER, referral.reference, messages
        )
    return keys


def referral_follow_up(
    renderer: ResponseRenderer,
    sealer: Sealer,
    referral: Referral,
    event: str,
    partner: Optional[Partner] = None,
) -> Optional[Outgoing]:
    """The follow-up to the person on `event`, or None when their channel gave no address."""
    key = FOLLOW_UP_RESPONSES[event]
    address = sealer.open(referral.follow_up_address)
    if not address or not referral.follow_up_channel:
        return None
    values = {"reference": referral.reference, "partner": partner.name if partner else ""}
    text = render_text(renderer, key, referral.language, referral.country, referral.follow_up_channel, values)
    return Outgoing(
        recipient=referral.conversation,
        channel=referral.follow_up_channel,
        address=address,
        language=referral.language,
        body=text.text,
        segments=text.segments,
    )

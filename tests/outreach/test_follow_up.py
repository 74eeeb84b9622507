"""The follow-up to a person who made a report: the channel's sealed address is kept with their
consent, and `bot reports set-status` puts their message in the outbox, in their language."""

from __future__ import annotations

import io
from typing import Optional, Sequence

import sqlalchemy as sa

from bot.inbox.store import Sealer
from bot.outreach.follow_up import FollowUpAddress, channel_of, follow_up_address
from bot.outreach.store import ADDRESS_METADATA_KEY, ADDRESS_PURPOSE, outreach_messages
from bot.paths import ProjectPaths
from bot.reports.commands import set_status
from bot.reports.model import HazardReport
from bot.settings import Settings
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import wait_for
from tests.factories import PROJECT_ROOT
from tests.servers import SHARED_PSEUDONYM_KEY, Shared


def user(text: str, metadata: Optional[dict] = None) -> dict:
    return {"event": "user", "text": text, "metadata": metadata or {}}


def test_the_latest_sealed_address_of_a_telegram_or_sms_conversation_is_kept():
    events = [
        user("hi", {ADDRESS_METADATA_KEY: "sealed-1"}),
        {"event": "bot"},
        user("yes", {ADDRESS_METADATA_KEY: "sealed-2"}),
    ]
    assert follow_up_address("tg-abc", events) == FollowUpAddress("telegram", "sealed-2")
    assert follow_up_address("sms-abc", events[:1]) == FollowUpAddress("sms", "sealed-1")
    assert follow_up_address("rest-user", events) is None  # REST and the terminal give no address
    assert follow_up_address("tg-abc", [user("hi")]) is None
    assert (channel_of("tg-1"), channel_of("sms-1"), channel_of("x")) == ("telegram", "sms", None)


# ----------------------------------------------------------------- through the real servers


ADDRESSES = Sealer(Pseudonymizer(SHARED_PSEUDONYM_KEY.encode()).derived_key(ADDRESS_PURPOSE))


def report_by_sms(servers: Shared, number: str, consent: bool) -> HazardReport:
    """A report made by SMS from Colombia (Spanish), each question answered by its number or in words."""
    sms = servers.sms
    sms.say(number, "HELP", 1)  # the menu: 6 is "Reportar peligro"
    sms.say(number, "6", 2)  # the safety reminder, then what was seen
    for answer in ("1", "una granada oxidada", "cerca del puente viejo", "1", "1", "2"):
        sms.say(number, answer, 1)  # mine, description, place, region "no sé", today, nobody hurt
    if consent:
        sms.say(number, "1", 1)  # may the authorities contact you: yes
        [saved] = sms.say(number, "+57 300 123 9901", 1)
    else:
        [saved] = sms.say(number, "2", 1)
    assert saved.startswith("Guardado. Numero de aviso: ")
    [report] = servers.rest.reports_of(sms.conversation_of(number))
    assert report.reference in saved
    return report


def staff_sets(servers: Shared, reference: str, status: str) -> tuple[int, str, list[list[str]]]:
    queued: list[list[str]] = []

    def dispatch(keys: Sequence[str]) -> None:
        queued.append(list(keys))

    out = io.StringIO()
    settings = Settings(database_url=servers.app_db, pseudonym_key=SHARED_PSEUDONYM_KEY)
    code = set_status(
        ProjectPaths(PROJECT_ROOT), reference, status, settings=settings, out=out, dispatch=dispatch
    )
    return code, out.getvalue(), queued


def outbox_rows(servers: Shared, run_id: str) -> list[dict]:
    engine = sa.create_engine(servers.app_db)
    try:
        with engine.connect() as connection:
            c = outreach_messages.c
            query = sa.select(c.key, c.recipient, c.channel, c.address, c.language, c.body).where(
                c.run_id == run_id
            )
            return [dict(row) for row in connection.execute(query).mappings()]
    finally:
        engine.dispose()


def test_a_report_by_sms_with_consent_gets_its_follow_up_in_spanish_by_sms(servers: Shared):
    number = "+573001239911"
    report = report_by_sms(servers, number, consent=True)
    assert (report.follow_up_channel, report.language) == ("sms", "es")
    assert ADDRESSES.open(report.follow_up_address) == number  # sealed at rest, the number inside

    code, out, queued = staff_sets(servers, report.reference, "verified")
    run = f"follow-up:{report.reference}:verified"
    assert (code, out) == (
        0,
        f"{report.reference}: new -> verified\nfollow-up queued to the person who made it (sms, es): {run}\n",
    )
    [row] = outbox_rows(servers, run)
    assert (row["recipient"], row["channel"], row["language"]) == (report.conversation, "sms", "es")
    assert row["body"] == (
        f"Aviso {report.reference}: el equipo de desminado lo revisó y confirmó el peligro. "
        "Manténgase lejos del lugar."
    )
    assert ADDRESSES.open(row["address"]) == number
    assert queued == [[row["key"]]]


def test_a_report_by_sms_without_consent_gets_no_follow_up(servers: Shared):
    report = report_by_sms(servers, "+573001239912", consent=False)
    assert (report.contact_consent, report.follow_up_channel, report.follow_up_address) == (False, None, None)
    code, out, queued = staff_sets(servers, report.reference, "not_found")
    assert (code, out, queued) == (
        0,
        f"{report.reference}: new -> not_found\nno follow-up: the person did not agree to be contacted\n",
        [],
    )
    assert outbox_rows(servers, f"follow-up:{report.reference}:not_found") == []


# ----------------------------------------------------------------- through the queue and a worker


def test_set_status_queues_the_follow_up_and_a_worker_sends_it_to_the_person(tmp_path):
    """`bot reports set-status` with the real queue: the worker sends the Spanish SMS, once."""
    from bot.clock import utc_now
    from bot.reports import store
    from bot.store.db import Database
    from tests.factories import copy_project, hazard_report
    from tests.outreach.workers import PSEUDONYM_KEY, outreach_workers

    copy_project(tmp_path)
    app_database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}").migrate()
    number = "+573001239950"
    sealer = Sealer(Pseudonymizer(PSEUDONYM_KEY.encode()).derived_key(ADDRESS_PURPOSE))
    report = hazard_report(
        contact_consent=True,
        country="CO",
        language="es",
        region="",
        follow_up_channel="sms",
        follow_up_address=sealer.seal(number),
    )
    with app_database.sessions.begin() as session:
        store.insert_report(session, report, utc_now())
    url = app_database.engine.url.render_as_string(hide_password=False)
    with outreach_workers(tmp_path, url) as workers:
        out = io.StringIO()
        assert (
            set_status(
                ProjectPaths(tmp_path), report.reference, "verified", settings=workers.settings, out=out
            )
            == 0
        )
        workers.start(threads=1)
        sent = wait_for(lambda: workers.gateway.bodies_to(number), timeout=60)
        assert sent == [
            f"Aviso {report.reference}: el equipo de desminado lo revisó y confirmó el peligro. "
            "Manténgase lejos del lugar."
        ]
    app_database.dispose()

"""A campaign to one region through the real queue: `bot campaigns send`'s run, a real worker
process, the fake Telegram Bot API and SMS gateway: exactly the region's subscribers get it, each
in their language, the SMS within the budget, and sending again sends nothing more."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.campaign_commands import send
from bot.outreach.outbox import Outbox
from bot.outreach.store import ADDRESS_PURPOSE, SENT, subscriptions
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.assistant import wait_for
from tests.databases import sqlite_url
from tests.factories import copy_project

queue = pytest.importorskip(
    "bot.outreach.queue", reason="the job queue (bot/outreach/queue.py) is not merged yet"
)
workers_module = pytest.importorskip("tests.outreach.workers")

RUN = "campaign:flood-region:2026-12-10"
# (pseudonym, channel, address, language, country, region): two in kharkiv (one in its district
# izium), two elsewhere.
PEOPLE = [
    ("p1", "telegram", "7200001", "km", "cambodia", "battambang"),
    ("p3", "sms", "+15553000003", "uk", "ukraine", "kharkiv"),
    ("p4", "telegram", "7200004", "en", "ukraine", "izium"),
    ("p7", "telegram", "7200007", "uk", "ukraine", "donetsk"),
]


def test_a_campaign_to_one_region_reaches_exactly_its_subscribers_in_their_languages(tmp_path: Path) -> None:
    project = copy_project(tmp_path, files=("domain.yml", "babel.cfg"))
    flood = (project.campaigns / "flood-season.yml").read_text(encoding="utf-8")
    flood = flood.replace(
        "countries: [cambodia, colombia, ukraine]", "countries: [ukraine, cambodia]\n  regions: [kharkiv]"
    )
    (project.campaigns / "flood-region.yml").write_text(
        flood.replace("season: {from: 05-01, to: 05-31}", "once: 2026-12-10"), encoding="utf-8"
    )
    database = Database.from_url(sqlite_url(tmp_path)).migrate()
    pseudonyms = Pseudonymizer(workers_module.PSEUDONYM_KEY.encode("utf-8"))
    sealer = Sealer(pseudonyms.derived_key(ADDRESS_PURPOSE))
    now = utc_now()
    with database.sessions.begin() as session:
        for pseudonym, channel, address, language, country, region in PEOPLE:
            session.execute(
                subscriptions.insert().values(
                    pseudonym=pseudonym, channel=channel, address=sealer.seal(address), language=language,
                    country=country, region=region, track=None, consent_at=now, updated_at=now,
                )
            )  # fmt: skip
    url = database.engine.url.render_as_string(hide_password=False)
    try:
        with workers_module.outreach_workers(project.root, url) as workers:

            def enqueue():
                huey = queue.enqueue_only(workers.settings, workers.paths)
                return lambda keys: queue.dispatch(huey, keys)

            def send_on(day: date) -> list[str]:
                out = io.StringIO()
                assert send(project, database, pseudonyms, "flood-region", day, out, enqueue, wait=False) == 0
                return out.getvalue().splitlines()

            assert send_on(date(2026, 12, 4))[0] == f"{RUN}: 2 message(s), 2 to send"
            workers.start()
            outbox = Outbox.sealed_with(database, pseudonyms)
            wait_for(lambda: outbox.counts(RUN).get(("telegram", "en", SENT)) == 1, timeout=120)
            wait_for(lambda: outbox.counts(RUN).get(("sms", "uk", SENT)) == 1, timeout=120)
            telegram = Counter(
                (str(p["chat_id"]), str(p["text"])) for p in workers.telegram.calls_of("sendMessage")
            )
            sms = Counter((m["to"], m["body"]) for m in list(workers.gateway.sent))
            english = (
                "The rainy season is coming. Floods and heavy rain can move mines and other explosive items "
                "to places people used before: fields, paths, river banks. Do not touch or pick up anything "
                "the water brought. Keep away, warn others, and from far away call 101. "
                "Send /stop to stop these messages."
            )
            assert telegram == Counter({("7200004", english): 1})
            assert sms == Counter(
                {
                    (
                        "+15553000003",
                        "Повені можуть переносити міни на поля, стежки й береги. Не чіпайте нічого, що "
                        "принесла вода. Тримайтеся далі, попередьте інших, дзвоніть 101. STOP - відписатися.",
                    ): 1
                }
            )
            # Sending again: nothing is added or sent twice.
            assert send_on(date(2026, 12, 5))[0] == f"{RUN}: 2 message(s), 0 to send"
            assert len(workers.telegram.calls_of("sendMessage")) == 1 and len(workers.gateway.sent) == 1
    finally:
        database.dispose()

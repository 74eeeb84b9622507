"""`bot campaigns ...` on SQLite and PostgreSQL with subscriptions in the database: the preview,
the dry run's counts and cost, send (refused when the campaign cannot send; twice without a
duplicate), status per channel and language, and what the scheduler finds due."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.campaign_commands import list_campaigns, send, status
from bot.outreach.campaign_send import due_campaigns, send_due
from bot.outreach.outbox import Outbox, message_key
from bot.outreach.queue import build_queue
from bot.outreach.store import ADDRESS_PURPOSE, subscriptions
from bot.paths import ProjectPaths
from bot.settings import Settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import copy_project

KEY = "k" * 32
PSEUDONYMS = Pseudonymizer(KEY.encode())
TODAY = date(2026, 12, 4)
RUN = "campaign:flood-test:2026-12-10"
# (pseudonym, channel, address, language, country, region, track); the country as a profile id or
# an ISO code, as the conversation stored it; izium is a district of kharkiv.
PEOPLE = [
    ("p1", "telegram", "1001", "km", "KH", "battambang", None),
    ("p2", "sms", "+85512000002", "km", "cambodia", "pailin", None),
    ("p3", "sms", "+380500000003", "uk", "ukraine", "kharkiv", None),
    ("p4", "telegram", "1004", "en", "ukraine", "izium", "farmers"),
    ("p5", "sms", "+573000000005", "es", "colombia", None, None),
    ("p6", "telegram", "1006", "ar", "lebanon", "beirut", None),
]


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    (tmp_path / "project").mkdir()  # beside the test's SQLite database
    paths = copy_project(tmp_path / "project", files=("domain.yml", "babel.cfg"))
    flood = (paths.campaigns / "flood-season.yml").read_text(encoding="utf-8")
    text = flood.replace("countries: [cambodia, colombia, ukraine]", "countries: [cambodia, ukraine]")
    text = text.replace("season: {from: 05-01, to: 05-31}", "once: 2026-12-10")
    (paths.campaigns / "flood-test.yml").write_text(text, encoding="utf-8")
    return paths


def subscribe(database: Database, people=PEOPLE) -> None:
    sealer = Sealer(PSEUDONYMS.derived_key(ADDRESS_PURPOSE))
    now = utc_now()
    with database.sessions.begin() as session:
        for pseudonym, channel, address, language, country, region, track in people:
            session.execute(
                subscriptions.insert().values(
                    pseudonym=pseudonym,
                    channel=channel,
                    address=sealer.seal(address),
                    language=language,
                    country=country,
                    region=region,
                    track=track,
                    consent_at=now,
                    updated_at=now,
                )
            )


class Queue:
    """What the command puts on the job queue."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def factory(self):
        return lambda keys: self.batches.append(list(keys))


def run_send(project, database, queue=None, name="flood-test", **options) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = send(
        project,
        database,
        PSEUDONYMS,
        name,
        TODAY,
        out,
        enqueue=(queue or Queue()).factory,
        wait=False,
        **options,
    )
    return code, out.getvalue().splitlines()


def url_of(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def test_the_dry_run_counts_recipients_segments_and_cost_through_the_command(
    project, app_database, monkeypatch, capsys
):
    subscribe(app_database)
    monkeypatch.setenv("DATABASE_URL", url_of(app_database))
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("SMS_PRICE_PER_SEGMENT", "0.05")
    root = str(project.root)
    assert main(["--root", root, "campaigns", "send", "flood-test", "--dry-run", "--date", "2026-12-10"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{RUN}: 4 recipient(s)",
        "by country: KH 1, cambodia 1, ukraine 2",
        "by region: battambang 1, izium 1, kharkiv 1, pailin 1",
        "by language: en 1, km 2, uk 1",
        "by channel: sms 2, telegram 2",
        "SMS: 2 message(s), 5 segment(s), cost 0.25 at 0.05 per segment",
        "dry run: nothing was sent",
    ]
    # --price wins over the setting; nothing was added to the outbox.
    assert main(["--root", root, "campaigns", "send", "flood-test", "--dry-run", "--price", "0.1"]) == 0
    assert (
        capsys.readouterr().out.splitlines()[5]
        == "SMS: 2 message(s), 5 segment(s), cost 0.5 at 0.1 per segment"
    )
    assert main(["--root", root, "campaigns", "status", "flood-test"]) == 0
    assert capsys.readouterr().out.splitlines() == ["flood-test: never sent"]


def test_a_region_and_a_track_narrow_the_audience(project, app_database):
    subscribe(app_database)
    harvest = (project.campaigns / "harvest-season.yml").read_text(encoding="utf-8")
    (project.campaigns / "harvest-test.yml").write_text(
        harvest.replace("season: {from: 06-20, to: 07-10}", "once: 2026-12-10"), encoding="utf-8"
    )
    code, lines = run_send(project, app_database, name="harvest-test", dry=True, price=Decimal("0.05"))
    assert (code, lines[:5]) == (
        0,
        [
            "campaign:harvest-test:2026-12-10: 1 recipient(s)",
            "by country: ukraine 1",
            "by region: izium 1",
            "by language: en 1",
            "by channel: telegram 1",
        ],
    )
    without_track = (
        (project.campaigns / "harvest-test.yml")
        .read_text(encoding="utf-8")
        .replace("  tracks: [farmers]\n", "")
    )
    (project.campaigns / "harvest-test.yml").write_text(without_track, encoding="utf-8")
    _, lines = run_send(project, app_database, name="harvest-test", dry=True)
    assert lines[0] == "campaign:harvest-test:2026-12-10: 2 recipient(s)"
    assert (
        lines[5]
        == "SMS: 1 message(s), 3 segment(s), cost unknown (set SMS_PRICE_PER_SEGMENT or give --price)"
    )


def test_send_adds_each_recipient_once_with_their_text_and_again_adds_only_newcomers(project, app_database):
    subscribe(app_database)
    queue = Queue()
    code, lines = run_send(project, app_database, queue)
    assert (code, lines) == (
        0,
        [f"{RUN}: 4 message(s), 4 to send", "queued; `bot campaigns status flood-test` shows the progress"],
    )
    keys = [message_key(RUN, p) for p in ("p1", "p2", "p3", "p4")]
    assert queue.batches == [keys]
    outbox = Outbox.sealed_with(app_database, PSEUDONYMS)
    claimed = outbox.claim(message_key(RUN, "p3"), "worker", 60.0)
    assert claimed is not None and (claimed.channel, claimed.address, claimed.language, claimed.segments) == (
        "sms",
        "+380500000003",
        "uk",
        3,
    )
    assert claimed.body == (
        "Повені можуть переносити міни на поля, стежки й береги. Не чіпайте нічого, що принесла вода. "
        "Тримайтеся далі, попередьте інших, дзвоніть 101. STOP - відписатися."
    )
    assert outbox.sent(claimed.key, "worker")
    # Someone subscribes; the same command again adds only them, and enqueues what is not final.
    subscribe(app_database, [("p7", "telegram", "1007", "uk", "ukraine", "donetsk", None)])
    code, lines = run_send(project, app_database, queue)
    assert lines[0] == f"{RUN}: 5 message(s), 4 to send"
    assert queue.batches[1] == sorted([k for k in keys if not k.endswith("p3")] + [message_key(RUN, "p7")])
    assert sum(outbox.counts(RUN).values()) == 5


def test_status_counts_each_channel_and_language(project, app_database, monkeypatch, capsys):
    subscribe(app_database)
    run_send(project, app_database)
    outbox = Outbox.sealed_with(app_database, PSEUDONYMS)
    assert outbox.claim(message_key(RUN, "p1"), "w", 60.0) and outbox.sent(message_key(RUN, "p1"), "w")
    assert outbox.claim(message_key(RUN, "p4"), "w", 60.0) and outbox.failed(
        message_key(RUN, "p4"), "w", "403"
    )
    assert outbox.claim(message_key(RUN, "p3"), "w", 60.0)  # being sent: not final, shown as queued
    assert outbox.stop_recipient("p2") == 1  # STOP mid-campaign
    monkeypatch.setenv("DATABASE_URL", url_of(app_database))
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    assert main(["--root", str(project.root), "campaigns", "status", "flood-test"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        RUN,
        "  sms km: queued 0, sent 0, failed 0, stopped 1",
        "  sms uk: queued 1, sent 0, failed 0, stopped 0",
        "  telegram en: queued 0, sent 0, failed 1, stopped 0",
        "  telegram km: queued 0, sent 1, failed 0, stopped 0",
        "  total: queued 1, sent 1, failed 1, stopped 1",
    ]


def test_a_campaign_that_cannot_send_is_refused_and_nothing_is_queued(project, app_database):
    subscribe(app_database)
    (project.campaigns / "untranslated.yml").write_text(
        'text: "A message nobody translated yet."\naudience:\n  countries: [ukraine]\n  languages: [uk]\n'
        "schedule:\n  once: 2027-03-01\n",
        encoding="utf-8",
    )
    queue = Queue()
    code, lines = run_send(project, app_database, queue, name="untranslated")
    reason = "not in the catalog (run `bot content update`, then translate it)"
    assert (code, lines) == (
        1,
        [
            "untranslated will not send; fix these, then run `bot content check`:",
            f"content/campaigns/untranslated.yml:1: warning: will not send: uk telegram: {reason}",
            f"content/campaigns/untranslated.yml:1: warning: will not send: uk sms: {reason}",
        ],
    )
    assert queue.batches == []
    assert Outbox.sealed_with(app_database, PSEUDONYMS).run_ids("campaign", "untranslated") == []


def test_preview_shows_each_language_and_channel_with_its_segments(project, capsys):
    assert main(["--root", str(project.root), "campaigns", "preview", "harvest-season"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(
        "as sent in ukraine; audience: countries ukraine; regions kharkiv, donetsk; languages uk, en; "
        "channels all; tracks farmers"
    )
    assert out[0].startswith("harvest-season (campaign:harvest-season:20")
    assert [line for line in out if line.startswith("---")] == [
        "--- uk telegram",
        "--- uk sms: 3 segment(s), UCS-2, 164 characters",
        "--- en telegram",
        "--- en sms: 2 segment(s), GSM-7, 172 characters",
    ]
    assert out[4] == (
        "Жнива: перш ніж орати, копати чи палити поле, спитайте владу, чи його перевірили на міни. "
        "Щось підозріле? Не чіпайте, поверніться, дзвоніть 101. STOP - відписатися."
    )
    assert out[-1] == "harvest-season can send"
    assert main(["--root", str(project.root), "campaigns", "preview", "nothing"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"no campaign 'nothing' in {project.campaigns} (campaigns: flood-season, flood-test, harvest-season)"
    ]


def test_the_scheduler_sends_what_is_due_once(project, app_database):
    subscribe(app_database)
    assert [(c.name, d) for c, d in due_campaigns(project, date(2026, 12, 12))] == [
        ("flood-test", date(2026, 12, 10))
    ]
    assert due_campaigns(project, date(2026, 12, 9)) == []
    assert [(c.name, d) for c, d in due_campaigns(project, date(2027, 5, 3))] == [
        ("flood-season", date(2027, 5, 1))
    ]
    queue = Queue()
    runs = send_due(project, app_database, PSEUDONYMS, date(2026, 12, 10), queue.factory())
    again = send_due(project, app_database, PSEUDONYMS, date(2026, 12, 11), queue.factory())
    assert runs == again == [RUN]
    assert sum(Outbox.sealed_with(app_database, PSEUDONYMS).counts(RUN).values()) == 4
    assert status(app_database, PSEUDONYMS, "flood-test", io.StringIO()) == 0


def test_list_says_when_each_campaign_sends_and_whether_it_can(project):
    (project.campaigns / "broken.yml").write_text(
        "text: Hello\ncolour: red\nschedule: {once: 2027-01-10}\n", encoding="utf-8"
    )
    out = io.StringIO()
    assert list_campaigns(project, date(2026, 12, 12), out) == 0
    assert out.getvalue().splitlines() == [
        "broken: not due today (a send now opens campaign:broken:2027-01-10); countries all, languages all, "
        "channels all; will not send (1 problem(s): bot content check)",
        "flood-season: not due today (a send now opens campaign:flood-season:2026-05-01); "
        "countries cambodia, colombia, ukraine, languages all, channels all; can send",
        "flood-test: due today (campaign:flood-test:2026-12-10); countries cambodia, ukraine, languages all, "
        "channels all; can send",
        "harvest-season: not due today (a send now opens campaign:harvest-season:2026-06-20); "
        "countries ukraine, languages uk, en, channels all; can send",
    ]


def test_send_waits_until_every_message_is_final_then_prints_the_status(project, app_database):
    subscribe(app_database, PEOPLE[:2])
    run_send(project, app_database)
    outbox = Outbox.sealed_with(app_database, PSEUDONYMS)
    for person in ("p1", "p2"):
        key = message_key(RUN, person)
        assert outbox.claim(key, "w", 60.0) and outbox.sent(key, "w")
    out = io.StringIO()
    assert send(project, app_database, PSEUDONYMS, "flood-test", TODAY, out, enqueue=Queue().factory) == 0
    assert out.getvalue().splitlines() == [
        f"{RUN}: 2 message(s), 0 to send",
        RUN,
        "  sms km: queued 0, sent 1, failed 0, stopped 0",
        "  telegram km: queued 0, sent 1, failed 0, stopped 0",
        "  total: queued 0, sent 2, failed 0, stopped 0",
    ]


def test_send_due_puts_the_due_campaigns_on_the_queue_through_the_command(
    project, app_database, monkeypatch, capsys
):
    subscribe(app_database)
    monkeypatch.setenv("DATABASE_URL", url_of(app_database))
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    root = str(project.root)
    assert main(["--root", root, "campaigns", "send-due", "--date", "2026-12-09"]) == 0
    assert capsys.readouterr().out.splitlines() == ["no campaign due on 2026-12-09"]
    assert main(["--root", root, "campaigns", "send-due", "--date", "2026-12-12"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{RUN}: queued"]
    huey = build_queue(Settings.from_environ({}), project)
    assert huey.pending_count() == 4
    assert Outbox.sealed_with(app_database, PSEUDONYMS).counts(RUN) == {
        ("sms", "km", "queued"): 1,
        ("sms", "uk", "queued"): 1,
        ("telegram", "en", "queued"): 1,
        ("telegram", "km", "queued"): 1,
    }

"""Referral partners: told of new referrals through the outbox (never the contact), `bot referrals
assign | note | close | notify` with the follow-up to the person (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Optional, Sequence

import pytest
import sqlalchemy as sa

from bot.inbox.store import Sealer
from bot.outreach.follow_up import FollowUpAddress
from bot.outreach.store import ADDRESS_PURPOSE, outreach_messages, outreach_runs
from bot.paths import ProjectPaths
from bot.services import commands
from bot.services.partners import check_partners
from bot.services.referrals import ReferralRequest, create_referral, get_referral
from bot.settings import Settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import copy_project

KEY = "partners-test-pseudonym-key"
PSEUDONYMS = Pseudonymizer(KEY.encode())
SEALER = Sealer(PSEUDONYMS.derived_key(ADDRESS_PURPOSE))
WEBHOOKS = {"rehab": "https://rehab.example.org/hook?token=s3cret"}
PARTNERS = """
partners:
  rehab:
    name: Example Rehabilitation Centre
    countries: [ukraine]
    categories: [rehabilitation, psychosocial]
    email: referrals@rehab.example.org
    webhook: true
  legal:
    name: Example Legal Aid
    countries: [ukraine]
    categories: [legal]
    email: intake@legal.example.org
  lebanon_all:
    name: Example Lebanon Network
    countries: [lebanon]
    email: ref@lebanon.example.org
"""
REHAB = ReferralRequest("call me on +380 50 765 43 21", "rehabilitation", "ukraine", "kharkiv", None, "uk")


class Staff:
    """Runs the referral commands on one database and project, recording what is queued."""

    def __init__(self, database: Database, paths: ProjectPaths) -> None:
        self.database = database
        self.paths = paths
        self.queued: list[list[str]] = []
        url = database.engine.url.render_as_string(hide_password=False)
        self.settings = Settings(database_url=url, pseudonym_key=KEY, partner_webhooks=WEBHOOKS)

    def dispatch(self, keys: Sequence[str]) -> None:
        self.queued.append(list(keys))

    def run(self, name: str, *args: Any) -> tuple[int, str]:
        out = io.StringIO()
        command = getattr(commands, f"{name}_command")
        if name == "note":
            code = command(self.paths, *args, database=self.database, out=out)
        else:
            code = command(
                self.paths,
                *args,
                database=self.database,
                out=out,
                settings=self.settings,
                dispatch=self.dispatch,
            )
        return code, out.getvalue()

    def rows(self, run_id: Optional[str] = None) -> list[dict[str, Any]]:
        c = outreach_messages.c
        query = sa.select(c.run_id, c.recipient, c.channel, c.address, c.language, c.body).order_by(c.key)
        if run_id is not None:
            query = query.where(c.run_id == run_id)
        with self.database.sessions.begin() as session:
            return [dict(row) for row in session.execute(query).mappings()]

    def runs(self) -> list[tuple[str, str, int]]:
        c = outreach_runs.c
        with self.database.sessions.begin() as session:
            return [
                tuple(r) for r in session.execute(sa.select(c.run_id, c.kind, c.total).order_by(c.run_id))
            ]


@pytest.fixture()
def staff(app_database: Database, tmp_path: Path) -> Staff:
    (tmp_path / "project").mkdir()
    paths = copy_project(tmp_path / "project")
    paths.partners.write_text(PARTNERS, encoding="utf-8")
    return Staff(app_database, paths)


def refer(
    database: Database,
    request: ReferralRequest = REHAB,
    sender: str = "sms-person",
    address: Optional[str] = None,
) -> Any:
    follow_up = FollowUpAddress("sms", SEALER.seal(address)) if address else None
    return create_referral(database, PSEUDONYMS, sender, request, follow_up=follow_up)


def test_a_new_referral_is_notified_to_the_partners_of_its_country_and_need_without_the_contact(staff: Staff):
    referral = refer(staff.database)
    assert staff.run("notify") == (0, "2 partner notification(s) queued\n")
    run = f"partner:{referral.reference}:new"
    payload = {
        "subject": f"Referral {referral.reference}: new",
        "event": "referral.new",
        "partner": "rehab",
        "reference": referral.reference,
        "category": "rehabilitation",
        "country": "ukraine",
        "region": "kharkiv",
        "district": None,
        "language": "uk",
        "created_at": referral.consent_at.isoformat(),
        "payload_version": 1,
    }
    rows = staff.rows(run)
    assert [(r["recipient"], r["channel"], r["language"]) for r in rows] == [
        ("rehab:email", "email", "en"),
        ("rehab:webhook", "webhook", "en"),
    ]
    assert [json.loads(r["body"]) for r in rows] == [payload, payload]
    assert [SEALER.open(r["address"]) for r in rows] == [
        "referrals@rehab.example.org",
        "https://rehab.example.org/hook?token=s3cret",
    ]
    for row in rows:
        assert "765" not in row["body"] and PSEUDONYMS.of("sms-person") not in row["body"]
    assert staff.queued == [[f"{run}|rehab:email", f"{run}|rehab:webhook"]]


def test_the_sweep_notifies_each_referral_once_even_when_no_partner_takes_it(staff: Staff):
    first = refer(staff.database)
    colombia = refer(staff.database, ReferralRequest("a phone", "legal", "colombia", None, None, "es"))
    assert staff.run("notify")[0] == 0
    assert staff.run("notify") == (0, "0 partner notification(s) queued\n")
    assert staff.runs() == sorted(
        [
            (f"partner:{colombia.reference}:new", "partner", 0),
            (f"partner:{first.reference}:new", "partner", 2),
        ]
    )
    assert len(staff.rows()) == 2


def test_assign_notifies_the_partner_and_tells_the_person_in_their_language(staff: Staff):
    referral = refer(staff.database, address="+380501112233")
    code, out = staff.run("assign", referral.reference.lower(), "rehab", "prosthesis fitting")
    follow_up = f"follow-up:{referral.reference}:assigned:rehab"
    assert (code, out) == (
        0,
        f"{referral.reference} assigned to rehab (Example Rehabilitation Centre)\n"
        "partner notified: 2 message(s) (webhook, email)\n"
        f"follow-up queued to the person (sms, uk): {follow_up}\n",
    )
    [told] = staff.rows(follow_up)
    assert (told["recipient"], told["channel"], told["language"]) == (referral.conversation, "sms", "uk")
    assert told["body"] == (
        f"Заявка {referral.reference}: передано до Example Rehabilitation Centre. "
        "З вами зв'яжуться; це може зайняти кілька днів."
    )
    assert SEALER.open(told["address"]) == "+380501112233"
    assigned = staff.rows(f"partner:{referral.reference}:assigned")
    assert [json.loads(r["body"])["event"] for r in assigned] == ["referral.assigned", "referral.assigned"]
    stored = get_referral(staff.database, referral.reference)
    assert (stored.partner, stored.note, stored.status) == ("rehab", "prosthesis fitting", "open")
    listed = io.StringIO()
    assert commands.list_command(staff.paths, None, database=staff.database, out=listed) == 0
    assert listed.getvalue().splitlines()[0].endswith("ukraine/kharkiv  uk  -> rehab")


def test_assign_refuses_an_unknown_partner_reference_or_a_closed_referral(staff: Staff, capsys):
    referral = refer(staff.database)
    assert staff.run("assign", referral.reference, "nobody", None) == (1, "")
    assert capsys.readouterr().err == (
        "error: no partner 'nobody' in content/services/partners.yml (known: lebanon_all, legal, rehab)\n"
    )
    assert staff.run("assign", "ZZZ999", "rehab", None) == (1, "")
    assert capsys.readouterr().err == "error: no referral ZZZ999\n"
    assert staff.run("close", referral.reference)[0] == 0
    assert staff.run("assign", referral.reference, "rehab", None) == (1, "")
    assert (
        capsys.readouterr().err
        == f"error: {referral.reference} is closed: only an open referral can change\n"
    )


def test_a_note_is_kept_for_the_team_and_sent_to_nobody(staff: Staff, capsys):
    referral = refer(staff.database, address="+380501112233")
    assert staff.run("note", referral.reference, "called twice, no answer") == (
        0,
        f"{referral.reference}: note saved\n",
    )
    assert get_referral(staff.database, referral.reference).note == "called twice, no answer"
    assert staff.rows() == []
    assert staff.run("note", "ZZZ999", "x") == (1, "")
    assert capsys.readouterr().err == "error: no referral ZZZ999\n"


def test_closing_tells_the_person_then_forgets_their_address(staff: Staff):
    referral = refer(staff.database, address="+380501112233")
    follow_up = f"follow-up:{referral.reference}:closed"
    assert staff.run("close", referral.reference) == (
        0,
        f"{referral.reference} closed (its contact details were erased)\n"
        f"follow-up queued to the person (sms, uk): {follow_up}\n",
    )
    [told] = staff.rows(follow_up)
    assert (
        told["body"] == f"Заявку {referral.reference} закрито. Ваші контакти видалено. "
        "Потрібна допомога? Пишіть будь-коли."
    )
    closed = get_referral(staff.database, referral.reference)
    assert (closed.contact, closed.follow_up_channel, closed.follow_up_address) == ("", None, None)


def test_closing_without_an_address_tells_nobody(staff: Staff):
    referral = refer(staff.database)
    assert staff.run("close", referral.reference) == (
        0,
        f"{referral.reference} closed (its contact details were erased)\n"
        "no follow-up: the person's channel gave no address for it\n",
    )
    assert staff.rows() == []


def test_partner_file_problems(tmp_path: Path):
    paths = copy_project(tmp_path)
    paths.partners.write_text(
        "partners:\n"
        "  Bad-Id:\n"
        "    name: X\n"
        "    countries: [ukraine]\n"
        "    email: x@example.org\n"
        "  nowhere:\n"
        "    name: ''\n"
        "    countries: [atlantis]\n"
        "    categories: [haircuts]\n"
        "    email: not-an-address\n"
        "  silent:\n"
        "    name: Silent\n"
        "    countries: []\n",
        encoding="utf-8",
    )
    assert [str(p) for p in check_partners(paths)] == [
        "content/services/partners.yml:2: partner 'Bad-Id' has an id that is not lowercase letters, "
        "digits and _",
        "content/services/partners.yml:6: partner 'nowhere' has no name",
        "content/services/partners.yml:6: partner 'nowhere' lists an unknown country 'atlantis'",
        "content/services/partners.yml:6: partner 'nowhere' lists an unknown category 'haircuts'",
        "content/services/partners.yml:6: partner 'nowhere' has an email that is not an e-mail address",
        "content/services/partners.yml:11: partner 'silent' lists no countries",
        "content/services/partners.yml:11: partner 'silent' needs email or webhook: true",
    ]


def test_the_shipped_partner_file_is_valid():
    from tests.factories import PROJECT_ROOT

    assert check_partners(ProjectPaths(PROJECT_ROOT)) == []

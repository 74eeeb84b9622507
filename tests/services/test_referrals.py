"""Referrals: pseudonymous, cancellable, closable, exported with consented fields only."""

import csv
import datetime as dt
import io

import sqlalchemy as sa

from bot.references import REFERENCE_ALPHABET, clean_reference, new_reference
from bot.services.referrals import (
    CANCELLED,
    CLOSED,
    EXPORT_FIELDS,
    OPEN,
    ReferralRequest,
    cancel_referrals,
    close_referral,
    create_referral,
    delete_for_conversation,
    export_csv,
    list_referrals,
    referrals_of,
)
from bot.services.store import referrals
from bot.store.pseudonym import Pseudonymizer

PSEUDONYMS = Pseudonymizer(b"k" * 32)
SENDER = "+380501234567"
REQUEST = ReferralRequest("call me on +380 50 765 43 21", "rehabilitation", "ukraine", "kharkiv", None, "uk")
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def raw_rows(database):
    with database.engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.select(referrals)).mappings().all()]


def test_references_are_short_and_unambiguous():
    for _ in range(200):
        reference = new_reference()
        assert len(reference) == 6 and set(reference) <= set(REFERENCE_ALPHABET)
    assert not set("0O1IL") & set(REFERENCE_ALPHABET)
    assert clean_reference(" 7kq-4xh ") == "7KQ4XH"


def test_create_stores_the_pseudonym_not_the_sender_id(app_database):
    referral = create_referral(app_database, PSEUDONYMS, SENDER, REQUEST, now=NOW)
    [stored] = raw_rows(app_database)
    assert stored["reference"] == referral.reference
    assert stored["conversation"] == PSEUDONYMS.of(SENDER) and len(stored["conversation"]) == 64
    assert SENDER not in " ".join(str(v) for v in stored.values())
    assert (
        stored["contact"],
        stored["category"],
        stored["region"],
        stored["language"],
        stored["status"],
    ) == (
        REQUEST.contact,
        "rehabilitation",
        "kharkiv",
        "uk",
        OPEN,
    )
    [listed] = list_referrals(app_database)
    assert listed.consent_at == NOW and listed == referral


def test_cancel_erases_the_contact_of_that_conversation_only(app_database):
    mine = create_referral(app_database, PSEUDONYMS, SENDER, REQUEST)
    other = create_referral(app_database, PSEUDONYMS, "someone-else", REQUEST)
    assert cancel_referrals(app_database, PSEUDONYMS, SENDER) == [mine.reference]
    assert cancel_referrals(app_database, PSEUDONYMS, SENDER) == []
    by_reference = {r.reference: r for r in list_referrals(app_database)}
    assert by_reference[mine.reference].status == CANCELLED and by_reference[mine.reference].contact == ""
    assert by_reference[other.reference].status == OPEN and by_reference[other.reference].contact


def test_close_by_reference_as_typed(app_database):
    referral = create_referral(app_database, PSEUDONYMS, SENDER, REQUEST)
    assert close_referral(app_database, " " + referral.reference.lower())
    assert not close_referral(app_database, referral.reference)  # already closed
    assert not close_referral(app_database, "ZZZZZZ")
    [closed] = list_referrals(app_database, CLOSED)
    assert closed.contact == "" and closed.closed_at is not None


def test_delete_removes_every_row_of_the_conversation(app_database):
    create_referral(app_database, PSEUDONYMS, SENDER, REQUEST)
    create_referral(app_database, PSEUDONYMS, SENDER, REQUEST)
    create_referral(app_database, PSEUDONYMS, "someone-else", REQUEST)
    assert delete_for_conversation(app_database, PSEUDONYMS, SENDER) == 2
    assert referrals_of(app_database, PSEUDONYMS, SENDER) == []
    assert len(list_referrals(app_database)) == 1


def test_export_has_only_the_consented_fields(app_database):
    referral = create_referral(app_database, PSEUDONYMS, SENDER, REQUEST, now=NOW)
    out = io.StringIO()
    assert export_csv(list_referrals(app_database, OPEN), out) == 1
    header, line = out.getvalue().splitlines()
    assert header.split(",") == list(EXPORT_FIELDS)
    expected = [referral.reference, "2025-03-01 12:00 UTC", "open", "rehabilitation", "ukraine", "kharkiv"]
    assert line == ",".join(expected + ["", "uk", REQUEST.contact])
    assert PSEUDONYMS.of(SENDER) not in out.getvalue()


def test_export_neutralises_formulas_typed_as_a_contact(app_database):
    request = ReferralRequest('=HYPERLINK("http://evil.example")', "legal", "ukraine", "@kharkiv", None, "uk")
    create_referral(app_database, PSEUDONYMS, SENDER, request, now=NOW)
    out = io.StringIO()
    export_csv(list_referrals(app_database, OPEN), out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["contact"], row["region"]) == ('\'=HYPERLINK("http://evil.example")', "'@kharkiv")


def test_cli_list_export_close(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.store.db import Database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    database = Database.from_url(url).migrate()
    referral = create_referral(database, PSEUDONYMS, SENDER, REQUEST)
    root = ["--root", str(tmp_path)]
    assert main(root + ["referrals", "list"]) == 0
    listed = capsys.readouterr().out
    assert referral.reference in listed and REQUEST.contact not in listed
    assert main(root + ["referrals", "export", "--status", "open", "--format", "csv"]) == 0
    assert REQUEST.contact in capsys.readouterr().out
    assert main(root + ["referrals", "close", referral.reference]) == 0
    assert main(root + ["referrals", "close", referral.reference]) == 1
    assert main(root + ["referrals", "export"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == ",".join(EXPORT_FIELDS)

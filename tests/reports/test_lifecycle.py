"""A report's lifecycle set by staff: transitions, `bot reports set-status` and `alert` outputs, the
follow-up to the person and the alert to the region's subscribers (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import pytest
import sqlalchemy as sa

from bot.clock import utc_now
from bot.inbox.store import Sealer
from bot.outreach.store import ADDRESS_PURPOSE, outreach_messages, outreach_runs, subscriptions
from bot.paths import ProjectPaths
from bot.reports import lifecycle, store
from bot.reports.commands import alert, set_status
from bot.settings import Settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import PROJECT_ROOT, hazard_report

KEY = "lifecycle-test-pseudonym-key"
SEALER = Sealer(Pseudonymizer(KEY.encode()).derived_key(ADDRESS_PURPOSE))
PLACE = "the bridge at Kozacha"


@dataclass
class Staff:
    """Runs the staff commands against one database, recording what goes to the queue."""

    database: Database
    queued: list[list[str]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        url = self.database.engine.url.render_as_string(hide_password=False)
        return Settings(database_url=url, pseudonym_key=KEY)

    def dispatch(self, keys: Sequence[str]) -> None:
        self.queued.append(list(keys))

    def set_status(self, reference: str, status: str, answer: str = "", **options: Any) -> tuple[int, str]:
        out = io.StringIO()
        code = set_status(
            ProjectPaths(PROJECT_ROOT),
            reference,
            status,
            settings=self.settings,
            out=out,
            confirm=lambda question: answer,
            dispatch=self.dispatch,
            **options,
        )
        return code, out.getvalue()

    def alert(self, reference: str, answer: str = "", **options: Any) -> tuple[int, str]:
        out = io.StringIO()
        code = alert(
            ProjectPaths(PROJECT_ROOT),
            reference,
            settings=self.settings,
            out=out,
            confirm=lambda question: answer,
            dispatch=self.dispatch,
            **options,
        )
        return code, out.getvalue()

    def rows(self, run_id: str) -> list[tuple[str, str, str, str]]:
        """(recipient, channel, language, body) of a run's messages."""
        c = outreach_messages.c
        with self.database.sessions.begin() as session:
            query = sa.select(c.recipient, c.channel, c.language, c.body).where(c.run_id == run_id)
            return sorted(tuple(row) for row in session.execute(query))

    def runs(self) -> list[str]:
        with self.database.sessions.begin() as session:
            return sorted(session.execute(sa.select(outreach_runs.c.run_id)).scalars())


@pytest.fixture()
def staff(app_database: Database) -> Staff:
    return Staff(app_database)


def stored(database: Database, **changes: Any) -> Any:
    report = hazard_report(**changes)
    with database.sessions.begin() as session:
        store.insert_report(session, report, utc_now())
    return report


def consenting(
    database: Database, channel: str = "sms", address: str = "+380501234567", **changes: Any
) -> Any:
    fields = {"contact": "my neighbour's phone", **changes}
    return stored(
        database,
        contact_consent=True,
        follow_up_channel=channel,
        follow_up_address=SEALER.seal(address),
        **fields,
    )


def subscribe(
    database: Database, pseudonym: str, channel: str, language: str, country: str, region: Optional[str]
) -> None:
    now = utc_now()
    with database.sessions.begin() as session:
        session.execute(
            sa.insert(subscriptions).values(
                pseudonym=pseudonym,
                channel=channel,
                address=SEALER.seal(f"address-of-{pseudonym}"),
                language=language,
                country=country,
                region=region,
                track=None,
                consent_at=now,
                updated_at=now,
            )
        )


# ------------------------------------------------------------------ transitions


def test_the_allowed_transitions():
    allowed = {(a, b) for a in lifecycle.STATUSES for b in lifecycle.STATUSES if lifecycle.allowed(a, b)}
    assert allowed == {
        ("new", "verified"),
        ("new", "duplicate"),
        ("new", "not_found"),
        ("not_found", "verified"),
        ("verified", "cleared"),
    }


def test_an_unknown_reference_is_an_error(staff: Staff, capsys):
    assert staff.set_status("zz9-99z", "verified") == (1, "")
    assert capsys.readouterr().err == "error: no report ZZ999Z\n"


def test_an_illegal_transition_is_an_error_and_changes_nothing(staff: Staff, capsys):
    report = stored(staff.database)
    assert staff.set_status(report.reference, "cleared") == (1, "")
    assert capsys.readouterr().err == (
        f"error: {report.reference} is new: it cannot become cleared "
        "(from new: verified, duplicate, not_found)\n"
    )
    assert staff.set_status(report.reference, "duplicate")[0] == 0
    assert staff.set_status(report.reference, "verified") == (1, "")
    assert capsys.readouterr().err == (
        f"error: {report.reference} is duplicate: it cannot become verified "
        "(from duplicate: none (it is final))\n"
    )
    with staff.database.sessions.begin() as session:
        assert store.get_report(session, report.id).status == "duplicate"


def test_status_and_note_are_stored(staff: Staff):
    report = stored(staff.database)
    assert staff.set_status(report.reference.lower(), "not_found", note="team visited on Monday") == (
        0,
        f"{report.reference}: new -> not_found\nno follow-up: the person did not agree to be contacted\n",
    )
    c = store.hazard_reports.c
    with staff.database.sessions.begin() as session:
        row = session.execute(sa.select(c.status, c.status_note, c.status_changed_at)).one()
    assert (row.status, row.status_note) == ("not_found", "team visited on Monday")
    assert row.status_changed_at is not None
    assert staff.runs() == []
    assert staff.queued == []


# ------------------------------------------------------------------ follow-up


def test_the_person_who_consented_gets_a_follow_up_in_their_language_on_their_channel(staff: Staff):
    report = consenting(staff.database, language="uk")
    run = f"follow-up:{report.reference}:verified"
    assert staff.set_status(report.reference, "verified") == (
        0,
        f"{report.reference}: new -> verified\nfollow-up queued to the person who made it (sms, uk): {run}\n",
    )
    text = (
        f"Повідомлення {report.reference}: саперна команда перевірила і підтвердила небезпеку. "
        "Тримайтеся подалі."
    )
    assert staff.rows(run) == [(report.conversation, "sms", "uk", text)]
    assert staff.queued == [[f"{run}|{report.conversation}"]]
    with staff.database.sessions.begin() as session:
        address = session.execute(sa.select(outreach_messages.c.address)).scalar_one()
    assert address != "+380501234567"  # sealed at rest
    assert SEALER.open(address) == "+380501234567"


def test_setting_the_same_status_again_adds_no_second_follow_up(staff: Staff):
    report = consenting(staff.database, channel="telegram", address="4242", language="en")
    run = f"follow-up:{report.reference}:verified"
    staff.set_status(report.reference, "verified")
    assert staff.set_status(report.reference, "verified") == (
        0,
        f"{report.reference} is already verified\n"
        f"follow-up queued to the person who made it (telegram, en): {run}\n",
    )
    text = (
        f"Your report {report.reference} was checked by the mine action team. They confirmed the danger. "
        "Thank you for reporting it. Keep away from the place and keep others away."
    )
    assert staff.rows(run) == [(report.conversation, "telegram", "en", text)]
    assert staff.queued == [[f"{run}|{report.conversation}"]] * 2  # queued again: not sent yet


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (
            "duplicate",
            "Signalement {ref} : l'équipe de déminage l'a vérifié. Cet objet avait déjà été signalé. "
            "Merci. Restez loin.",
        ),
        (
            "not_found",
            "Signalement {ref} : l'équipe n'a pas trouvé l'objet. "
            "Cela ne veut pas dire que la zone est sûre. "
            "Si vous le revoyez, restez loin et signalez-le.",
        ),
    ],
)
def test_each_status_has_its_follow_up(staff: Staff, status: str, text: str):
    report = consenting(staff.database, language="fr", country="LB", region="")
    staff.set_status(report.reference, status)
    run = f"follow-up:{report.reference}:{status}"
    assert staff.rows(run) == [(report.conversation, "sms", "fr", text.format(ref=report.reference))]


def test_cleared_follow_up_never_says_safe(staff: Staff):
    report = consenting(staff.database, language="en")
    staff.set_status(report.reference, "verified")
    staff.set_status(report.reference, "cleared")
    [(_, _, _, body)] = staff.rows(f"follow-up:{report.reference}:cleared")
    assert body == (
        f"Report {report.reference}: the authority reports that the item was removed. Thank you. "
        "Other items may remain: keep to known paths."
    )


def test_no_follow_up_without_an_address_from_the_channel(staff: Staff):
    report = stored(staff.database, contact_consent=True, contact="call me")
    assert staff.set_status(report.reference, "verified") == (
        0,
        f"{report.reference}: new -> verified\nno follow-up: the person's channel gave no address for it\n",
    )
    assert staff.runs() == []


# ------------------------------------------------------------------ alerts


def region_subscribers(database: Database) -> None:
    subscribe(database, "p-kharkiv-uk-sms", "sms", "uk", "ukraine", "kharkiv")
    subscribe(database, "p-kharkiv-en-tg", "telegram", "en", "ukraine", "kharkiv")
    subscribe(database, "p-ukraine-fr-tg", "telegram", "fr", "ukraine", None)  # the whole country
    subscribe(database, "p-kyiv-uk-tg", "telegram", "uk", "ukraine", "kyiv")
    subscribe(database, "p-lebanon-ar-sms", "sms", "ar", "lebanon", None)


def test_an_unverified_report_is_never_alerted(staff: Staff, capsys):
    region_subscribers(staff.database)
    report = stored(staff.database)
    assert staff.alert(report.reference, yes=True) == (1, "")
    assert capsys.readouterr().err == (
        f"error: {report.reference} is new: only a verified report is alerted "
        "(and a cleared one, to say the item was removed)\n"
    )
    code, out = staff.set_status(report.reference, "duplicate", alert=True, yes=True)
    assert code == 1
    assert "is duplicate: only a verified report is alerted" in capsys.readouterr().err
    assert staff.runs() == []


def test_the_alert_waits_for_staff_to_confirm(staff: Staff):
    region_subscribers(staff.database)
    report = stored(staff.database, region="Kharkiv")
    staff.set_status(report.reference, "verified")
    code, out = staff.alert(report.reference, answer="n", place=PLACE)
    assert code == 1
    assert out == (
        f"alert:{report.reference}:verified: 3 subscriber(s) in Kharkiv (ukraine)\n"
        "  en telegram: 1\n"
        "  fr telegram: 1\n"
        "  uk sms: 1, 3 segment(s)\n"
        "text (en): Alert for Kharkiv: the mine action team confirmed an explosive item "
        "at the bridge at Kozacha. Keep away from the place. Do not touch anything. "
        "Keep children and animals away, and report anything suspicious.\n"
        "alert not sent\n"
    )
    assert staff.runs() == []


def test_the_alert_reaches_exactly_the_region_in_each_language_and_never_names_the_reporter(staff: Staff):
    region_subscribers(staff.database)
    report = consenting(
        staff.database,
        region="Харківська область",
        place="біля мосту",
        description="Ivan Petrenko found it near his house",
        contact="Ivan, +380501234567",
    )
    code, out = staff.set_status(report.reference, "verified", alert=True, answer="y", place=PLACE)
    assert code == 0
    assert out.endswith("alert queued: 3 message(s) to send\n")
    run = f"alert:{report.reference}:verified"
    assert staff.rows(run) == [
        (
            "p-kharkiv-en-tg",
            "telegram",
            "en",
            "Alert for Kharkiv: the mine action team confirmed an explosive item at the bridge at Kozacha. "
            "Keep away from the place. Do not touch anything. Keep children and animals away, and report "
            "anything suspicious.",
        ),
        (
            "p-kharkiv-uk-sms",
            "sms",
            "uk",
            "ТРИВОГА Харківська область: сапери підтвердили вибухонебезпечний предмет: "
            "the bridge at Kozacha. "
            "Не підходьте. Не торкайтеся. Бережіть дітей.",
        ),
        (
            "p-ukraine-fr-tg",
            "telegram",
            "fr",
            "Alerte pour Kharkiv : l'équipe de déminage a confirmé un objet explosif "
            "à the bridge at Kozacha. "
            "Restez loin de cet endroit. Ne touchez à rien. Éloignez les enfants et les animaux, et signalez "
            "tout objet suspect.",
        ),
    ]
    bodies = " ".join(row[3] for row in staff.rows(run))
    for personal in ("Ivan", "Petrenko", "+380", "біля мосту", report.reference):
        assert personal not in bodies
    assert staff.queued[-1] == [f"{run}|p-kharkiv-en-tg", f"{run}|p-kharkiv-uk-sms", f"{run}|p-ukraine-fr-tg"]
    # Again (a crash after queueing, or a second staff member): nobody gets it twice.
    assert staff.alert(report.reference, yes=True)[0] == 0
    assert len(staff.rows(run)) == 3


def test_a_report_without_a_known_region_asks_for_one(staff: Staff, capsys):
    region_subscribers(staff.database)
    report = stored(staff.database, region="somewhere")
    staff.set_status(report.reference, "verified")
    assert staff.alert(report.reference, yes=True) == (1, "")
    assert capsys.readouterr().err == (
        f"error: the region of {report.reference} ('somewhere') is not one of the regions of ukraine: "
        "give --region (one of: kyiv, kharkiv, donetsk, kherson, mykolaiv, zaporizhzhia, chernihiv, sumy)\n"
    )
    code, out = staff.alert(report.reference, yes=True, region="kyiv")
    assert code == 0
    assert staff.rows(f"alert:{report.reference}:verified") == [
        (
            "p-kyiv-uk-tg",
            "telegram",
            "uk",
            "Попередження для Київ: саперна команда підтвердила вибухонебезпечний предмет у цій місцевості. "
            "Тримайтеся подалі. Нічого не торкайтеся. Не пускайте туди дітей і тварин, повідомляйте про все "
            "підозріле.",
        ),
        (
            "p-ukraine-fr-tg",
            "telegram",
            "fr",
            "Alerte pour Kyiv : l'équipe de déminage a confirmé un objet explosif dans la zone. Restez loin. "
            "Ne touchez à rien. Éloignez les enfants et les animaux, et signalez tout objet suspect.",
        ),
    ]


def test_the_cleared_alert_says_the_item_was_removed_never_that_the_area_is_safe(staff: Staff):
    region_subscribers(staff.database)
    report = stored(staff.database, region="Kharkiv")
    staff.set_status(report.reference, "verified")
    code, _ = staff.set_status(report.reference, "cleared", alert=True, yes=True, place=PLACE)
    assert code == 0
    rows = staff.rows(f"alert:{report.reference}:cleared")
    assert [row[:3] for row in rows] == [
        ("p-kharkiv-en-tg", "telegram", "en"),
        ("p-kharkiv-uk-sms", "sms", "uk"),
        ("p-ukraine-fr-tg", "telegram", "fr"),
    ]
    assert rows[0][3] == (
        "Update for Kharkiv: the authority reports that the item at the bridge at Kozacha was removed. "
        "Other explosive items may remain: keep to paths you know and report anything suspicious."
    )
    assert rows[1][3] == (
        "Харківська область: за даними влади, предмет (the bridge at Kozacha) прибрано. "
        "Можуть бути інші: ходіть знайомими шляхами."
    )
    for *_, body in rows:
        assert "safe" not in body.lower() and "sûr" not in body and "безпечн" not in body


def test_no_subscriber_no_alert(staff: Staff):
    report = stored(staff.database, region="Kharkiv")
    staff.set_status(report.reference, "verified")
    assert staff.alert(report.reference, yes=True) == (
        0,
        "no subscriber in Kharkiv (ukraine): no alert to send\n",
    )
    assert staff.runs() == []


# ------------------------------------------------------------------ erasure


def test_delete_my_data_erases_the_follow_up_address_in_the_database_and_the_spool(staff: Staff, tmp_path):
    from bot.privacy import AppData
    from bot.reports.erasure import erase_report_contacts
    from bot.reports.spool import Spool

    stored_report = consenting(staff.database)
    spool = Spool.for_var(tmp_path / "var")
    spooled = hazard_report(
        contact_consent=True, follow_up_channel="telegram", follow_up_address=SEALER.seal("4242")
    )
    spool.append(spooled)
    data = AppData(staff.database, spool, Pseudonymizer(KEY.encode()))
    assert erase_report_contacts(data, stored_report.conversation) == 2
    with staff.database.sessions.begin() as session:
        kept = store.get_report(session, stored_report.id)
    assert (kept.contact, kept.follow_up_channel, kept.follow_up_address) == (None, None, None)
    [left] = spool.reports()
    assert (left.contact_consent, left.follow_up_channel, left.follow_up_address) == (False, None, None)
    # Nothing to tell any more: a status change sends no follow-up.
    assert staff.set_status(stored_report.reference, "verified")[1].endswith(
        "no follow-up: the person did not agree to be contacted\n"
    )


def test_an_unreachable_queue_leaves_the_follow_up_in_the_outbox(staff: Staff, capsys):
    report = consenting(staff.database, language="en")

    def down(keys: Sequence[str]) -> None:
        raise ConnectionError("redis down")

    staff.dispatch = down  # type: ignore[method-assign]
    code, _ = staff.set_status(report.reference, "verified")
    assert code == 0
    assert capsys.readouterr().err == (
        "warning: the queue could not be reached (ConnectionError): the messages wait in the outbox "
        "and the workers' sweep sends them\n"
    )
    assert len(staff.rows(f"follow-up:{report.reference}:verified")) == 1


def test_the_commands_are_wired_to_bot(staff: Staff, monkeypatch: pytest.MonkeyPatch, capsys):
    from bot.cli import main

    report = stored(staff.database)
    monkeypatch.setenv("DATABASE_URL", staff.settings.database_url or "")
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    root = ["--root", str(PROJECT_ROOT)]
    assert main([*root, "reports", "set-status", report.reference, "duplicate", "--note", "see K7M2QX"]) == 0
    assert capsys.readouterr().out == (
        f"{report.reference}: new -> duplicate\nno follow-up: the person did not agree to be contacted\n"
    )
    assert main([*root, "reports", "alert", report.reference, "--yes"]) == 1
    assert "only a verified report is alerted" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*root, "reports", "set-status", report.reference, "safe"])

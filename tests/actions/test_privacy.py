"""Yes/no answers, the confirmation policy's steps, and pending erasures (no servers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Optional

import pytest
import sqlalchemy as sa
import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.features import Feature, load_features
from bot.inbox.store import InboxItem, InboxStore, inbox
from bot.nlu.yes_no import YesNoReader
from bot.policies.confirmation import Question, next_action
from bot.privacy import ERASABLE, AppData, PendingErasures, erase_app_data, pending_erasures, retry_wait
from bot.reports.spool import Spool
from bot.services.store import referrals
from bot.settings import Settings
from bot.sms.store import SmsStore, sms_conversation, sms_numbers
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from bot.store.tracker_store import erasure_left
from tests.factories import DOMAIN, PROJECT_ROOT

READER = YesNoReader.from_file(PROJECT_ROOT / "content" / "yes_no.yml")
CONFIG = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
QUESTIONS = {
    name: Question.from_config(question)
    for policy in CONFIG["policies"]
    if policy["name"] == "bot.policies.confirmation.YesNoAnswers"
    for name, question in policy["questions"].items()
}


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("yes, please have them contact me", True),
        ("Yes delete it", True),
        ("OK", True),
        ("oui, contactez-moi", True),
        ("D'accord, effacez", True),
        ("Sí, bórralo", True),
        ("si claro", True),
        ("Так, видаліть", True),
        ("так", True),
        ("نعم، احذف", True),
        ("ايوه بدي", True),
        ("បាទ លុបចោល", True),
        ("បាទលុបចោល", True),
        ("ចាស", True),
        ("no, don't delete", False),
        ("Non merci", False),
        ("no, no borres nada", False),
        ("ні, не треба", False),
        ("لا تحذف", False),
        ("កុំលុប", False),
        ("ទេ", False),
        ("nothing like that", None),
        ("yesterday", None),
        ("okra", None),
        ("/affirm", None),
        ("", None),
    ],
)
def test_the_start_of_an_answer_says_yes_or_no(text: str, meaning: Optional[bool]):
    assert READER.read(text) is meaning


def turn(asked: str, intent: str, text: str, *after: Event) -> DialogueStateTracker:
    """A conversation in which the bot asked `asked` and the person answered."""
    events: list[Event] = [
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ActionExecuted(asked),
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent, "confidence": 0.9}),
        *after,
    ]
    return DialogueStateTracker.from_events("someone", events, slots=DOMAIN.slots)


def predict(*args: Any) -> Optional[str]:
    return next_action(turn(*args), QUESTIONS, READER)


def test_a_yes_to_the_offer_that_looks_like_cancel_referral_opens_the_contact_question():
    offer = "utter_referral_offer"
    assert predict(offer, "cancel_referral", "yes, please have them contact me") == "referral_form"
    assert predict(offer, "cancel_referral", "i don't want them to call me") == "utter_referral_declined"
    assert predict(offer, "affirm", "/affirm") == "referral_form"
    assert predict(offer, "deny", "/deny") == "utter_referral_declined"
    # A response is rendered in-process: once said (a test story records no bot text), listen.
    declined = ActionExecuted("utter_referral_declined")
    assert predict(offer, "deny", "/deny", declined) == "action_listen"
    # A safety message or another request is left to the rules.
    assert predict(offer, "found_object", "yes there is a mine here") is None
    assert predict(offer, "help", "menu") is None
    # Outside the offer, the policy says nothing: "cancel my referral" cancels.
    assert predict("utter_help", "cancel_referral", "yes cancel my referral") is None


def test_the_erase_question_is_answered_once_and_never_says_done_for_a_silent_action():
    confirm = "utter_delete_confirm"
    assert predict(confirm, "delete_my_data", "yes, delete it") == "action_delete_my_data"
    assert predict(confirm, "delete_my_data", "delete everything") == "action_delete_my_data"
    assert predict(confirm, "delete_my_data", "no, don't delete") == "utter_delete_cancelled"
    assert predict(confirm, "cancel", "cancel") == "utter_delete_cancelled"
    # The action answered: the turn is over.
    answered = BotUttered("Done.", metadata={"utter_action": "utter_data_deleted"})
    done = (ActionExecuted("action_delete_my_data"), answered, SlotSet("data_erasure", "done"))
    assert predict(confirm, "affirm", "yes", *done) == "action_listen"
    # The action server did not answer: the in-process "will retry" response, then listening.
    silent = ActionExecuted("action_delete_my_data")
    assert predict(confirm, "affirm", "yes", silent) == "utter_data_erase_pending"
    said = ActionExecuted("utter_data_erase_pending")
    assert predict(confirm, "affirm", "yes", silent, said) == "action_listen"


def test_what_the_erase_action_left_is_read_from_its_slot():
    assert erasure_left([ActionExecuted("action_delete_my_data"), SlotSet("data_erasure", "done")]) == []
    assert erasure_left([SlotSet("data_erasure", "referrals,reports")]) == ["referrals", "reports"]
    everything = ["alerts", "inbox", "referrals", "reports", "sms", "surveys"]  # the action never answered
    assert erasure_left([ActionExecuted("action_delete_my_data")]) == everything


def app_data(url: str, tmp_path: Path) -> AppData:
    return AppData(Database.from_url(url), Spool(tmp_path / "reports"), Pseudonymizer(b"k" * 32))


def add_referral(database: Database, conversation: str) -> None:
    database.migrate()
    now = dt.datetime.now(dt.timezone.utc)
    with database.sessions.begin() as session:
        session.execute(
            sa.insert(referrals).values(
                reference="ABC234",
                conversation=conversation,
                contact="+380 50 000 00 00",
                category="medical",
                country="ukraine",
                language="en",
                status="open",
                consent_at=now,
            )
        )


def count_referrals(database: Database) -> int:
    with database.sessions.begin() as session:
        return int(session.execute(sa.select(sa.func.count()).select_from(referrals)).scalar_one())


def test_a_failed_erasure_is_kept_and_retried_until_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ERASURE_RETRY_SECONDS", "60")
    good = app_data(f"sqlite:///{tmp_path / 'app.db'}", tmp_path)
    conversation = good.pseudonyms.of("someone")
    add_referral(good.database, conversation)
    (tmp_path / "broken").mkdir()  # a directory: SQLite cannot open it
    broken = app_data(f"sqlite:///{tmp_path / 'broken'}", tmp_path)
    assert erase_app_data(broken, conversation) == [
        "alerts",
        "inbox",
        "referrals",
        "reports",
        "sms",
        "surveys",
    ]

    pending = PendingErasures(sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", future=True))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    pending.add(conversation, ["referrals", "reports"], now=start)
    assert pending.retry_due(broken, now=start) == 1  # still down: kept, next try in 60 s
    with pending.engine.connect() as connection:
        [row] = connection.execute(sa.select(pending_erasures)).mappings()
    assert (row["conversation"], row["attempts"], row["failed"]) == (
        conversation,
        1,
        "alerts,inbox,referrals,reports,sms,surveys",
    )
    assert pending.retry_due(good, now=start + dt.timedelta(seconds=59)) == 1  # not due yet
    assert count_referrals(good.database) == 1
    assert pending.retry_due(good, now=start + dt.timedelta(seconds=60)) == 0
    assert count_referrals(good.database) == 0
    assert pending.conversations() == []


def test_retries_back_off_up_to_an_hour():
    settings = Settings.from_environ({"ERASURE_RETRY_SECONDS": "60"})
    assert [retry_wait(n, settings) for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]
    assert retry_wait(5, Settings(erasure_retry_seconds=0)) == 0


def test_every_registered_erase_hook_runs_and_each_failure_is_named(tmp_path: Path):
    names = {name for feature in load_features() for name in feature.erase}
    assert names == {"alerts", "inbox", "referrals", "reports", "sms", "surveys"} == set(ERASABLE)
    erased: list[str] = []

    def broken(data: AppData, conversation: str) -> None:
        raise OSError("disk full")

    def works(data: AppData, conversation: str) -> None:
        erased.append(conversation)

    features = [Feature("one", erase={"reports": broken}), Feature("two", erase={"referrals": works})]
    data = app_data(f"sqlite:///{tmp_path / 'app.db'}", tmp_path)
    assert erase_app_data(data, "pseudonym", features) == ["reports"]
    assert erased == ["pseudonym"]  # a failing hook does not stop the others


def test_a_spool_that_cannot_be_erased_is_named_even_when_the_database_works(tmp_path: Path):
    (tmp_path / "blocked").write_text("a file where the spool folder should be", encoding="utf-8")
    database = Database.from_url(f"sqlite:///{tmp_path / 'app.db'}").migrate()
    data = AppData(database, Spool(tmp_path / "blocked"), Pseudonymizer(b"k" * 32))
    assert erase_app_data(data, data.pseudonyms.of("someone")) == ["reports"]


def sms_rows(database: Database) -> tuple[list[str], list[str]]:
    """The number keys with SMS state, and the conversations with inbox rows."""
    with database.sessions.begin() as session:
        numbers = sorted(session.execute(sa.select(sms_numbers.c.number_key)).scalars())
        conversations = sorted(session.execute(sa.select(inbox.c.conversation)).scalars())
    return numbers, conversations


def test_delete_my_data_removes_the_persons_sms_state_and_unlinks_their_inbox_rows(tmp_path: Path):
    data = app_data(f"sqlite:///{tmp_path / 'app.db'}", tmp_path)
    data.database.migrate()
    sms, messages = SmsStore(data.database), InboxStore.sealed_with(data.database, data.pseudonyms)
    mine, theirs = data.pseudonyms.of("+380501234567"), data.pseudonyms.of("+380509999999")
    items = {}
    for key, message_id in ((mine, "m1"), (theirs, "m2"), (mine, "m3")):
        sms.set_opted_out(key, True)
        sms.save_menu(key, ["/help"])
        items[message_id] = InboxItem("twilio", message_id, sms_conversation(key), "+380...", "5 Main st")
        assert messages.accept(items[message_id])
    messages.finish(items["m1"])
    messages.finish(items["m2"])  # m3 is still being answered
    assert sms_rows(data.database) == (
        sorted([mine, theirs]),
        sorted([sms_conversation(mine)] * 2 + [sms_conversation(theirs)]),
    )

    # What action_delete_my_data does for the SMS sender: erase under the sender id's pseudonym.
    assert erase_app_data(data, data.pseudonyms.of(sms_conversation(mine))) == []

    assert sms_rows(data.database) == (
        [theirs],
        sorted(["erased", sms_conversation(theirs), sms_conversation(mine)]),  # m3 until answered
    )
    assert sms.opted_out(theirs) and sms.last_menu(theirs) == ["/help"]
    assert not sms.opted_out(mine) and sms.last_menu(mine) == []
    assert messages.status("twilio", "m1") == "done"  # still a duplicate if redelivered

"""Consent and erasure answers in people's own words, through the real servers (REST), in six languages.

Issue 13: "yes, please have them contact me" was read as cancel_referral (nothing
recorded, "you have no open referral"); "yes, delete it" / "បាទ លុបចោល" asked
the erase question again; after DELETE the language the person chose was lost.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import Assistant as RestClient
from tests.servers import Shared, import_directory

pytestmark = pytest.mark.server

# language: (yes to the referral offer, yes to the erase question), as people type them;
# none of these sentences is a training example.
YES = {
    "en": ("yes, please have them contact me", "yes, delete it"),
    "fr": ("oui, je veux bien qu'ils me contactent", "oui, effacez tout"),
    "es": ("sí, por favor que me contacten", "sí, bórralo todo"),
    "uk": ("так, хай зі мною зв'яжуться, будь ласка", "так, видаліть"),
    "ar": ("نعم، أريد أن يتواصلوا معي", "نعم احذف كل شيء"),
    "km": ("បាទ សូមឲ្យគេទាក់ទងមកខ្ញុំ", "បាទ លុបចោល"),
}
# language: (no to the referral offer, no to the erase question).
NO = {
    "en": ("no, I don't want them to contact me", "no, don't delete my data"),
    "fr": ("non, ne me contactez pas", "non, n'effacez rien"),
    "es": ("no, no me contacten", "no, no borres nada"),
    "uk": ("ні, не треба зі мною зв'язуватися", "ні, не видаляйте"),
    "ar": ("لا، لا تتصلوا بي", "لا، لا تحذف بياناتي"),
    "km": ("ទេ កុំទាក់ទងមកខ្ញុំ", "កុំលុប"),
}


# What test_privacy_failures.py (whose servers are its own) imports from here.
PSEUDONYM_KEY = "test-pseudonym-key-for-consent-answers"


class Assistant(RestClient):
    """The REST client of servers started with `folder` and PSEUDONYM_KEY (test_privacy_failures.py)."""

    def __init__(self, url: str, folder: Path) -> None:
        super().__init__(url, folder / "tracker.db", f"sqlite:///{folder / 'app.db'}", PSEUDONYM_KEY)

    def rows_of(self, sender: str) -> list[dict[str, Any]]:
        """The referrals stored for `sender`'s conversation."""
        return self.referral_rows(sender)

    def stored_events(self, sender: str) -> list[dict[str, Any]]:
        """The stored events of `sender`'s conversation."""
        return self.events_of(sender)


def with_directory(folder: Path) -> None:
    """The example services directory in the app database of `folder`."""
    import_directory(f"sqlite:///{folder / 'app.db'}")


@pytest.fixture(scope="module")
def assistant(servers: Shared) -> RestClient:
    """The shared servers; their app database holds the example services directory."""
    return servers.rest


def say(expected: ResponseRenderer, key: str, language: str, country: str = "ukraine", **extra: Any) -> str:
    context = ResponseContext(language, expected.profile(country))
    return str(expected.render(key, context, "rest", extra)["text"])


def offered(assistant: RestClient, expected: ResponseRenderer, language: str) -> str:
    """A new conversation in `language` that has just been offered a referral; its sender id."""
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, '/set_country{"country": "ukraine"}')
    assistant.send(sender, f'/set_language{{"language": "{language}"}}')
    assistant.send(sender, '/find_services{"service_category": "rehabilitation"}')
    shown = assistant.texts(sender, "Kharkiv")
    assert shown[-1] == say(expected, "utter_referral_offer", language)
    return sender


@pytest.mark.parametrize("language", sorted(YES))
def test_a_typed_yes_records_the_referral_and_a_typed_yes_erases_it(assistant, expected, language):
    consent, erase = YES[language]
    sender = offered(assistant, expected, language)

    # The consent is read as yes: the contact question, not "you have no open referral".
    assert assistant.texts(sender, consent) == [say(expected, "utter_ask_referral_contact", language)]
    created = assistant.texts(sender, "+380 50 123 45 67")
    [row] = assistant.referral_rows(sender)
    assert created == [say(expected, "utter_referral_created", language, reference=row["reference"])]
    assert (row["contact"], row["status"], row["language"]) == ("+380 50 123 45 67", "open", language)

    # The erase question, answered in the person's words: erased at once, no second question.
    assert assistant.texts(sender, "/delete_my_data") == [say(expected, "utter_delete_confirm", language)]
    assert assistant.texts(sender, erase) == [say(expected, "utter_data_deleted", language)]
    assert assistant.referral_rows(sender) == []
    # Only the language the person chose is kept: a fresh session that starts with it.
    stored = assistant.events_of(sender)
    assert [(e["event"], e.get("name"), e.get("value")) for e in stored] == [
        ("action", "action_session_start", None),
        ("session_started", None, None),
        ("slot", "language", language),
        ("action", "action_listen", None),
    ]
    # ...so the next message is answered in that language (the country was erased). The menu
    # button: the REST channel reads a "/greet" no button offers as the typed word "greet".
    assert assistant.texts(sender, "/help") == [say(expected, "utter_help", language, "generic")]


@pytest.mark.parametrize("language", sorted(NO))
def test_a_typed_no_records_nothing_and_erases_nothing(assistant, expected, language):
    declined, keep = NO[language]
    sender = offered(assistant, expected, language)
    assert assistant.texts(sender, declined) == [say(expected, "utter_referral_declined", language)]
    assert assistant.referral_rows(sender) == []

    assert assistant.texts(sender, "/delete_my_data") == [say(expected, "utter_delete_confirm", language)]
    assert assistant.texts(sender, keep) == [say(expected, "utter_delete_cancelled", language)]
    assert assistant.stored_texts(sender) == [  # the conversation is still there
        '/set_country{"country": "ukraine"}',
        f'/set_language{{"language": "{language}"}}',
        '/find_services{"service_category": "rehabilitation"}',
        "Kharkiv",
        declined,
        "delete_my_data",  # no button offers it: the REST channel reads it as typed text
        keep,
    ]


def test_cancel_my_referral_still_cancels_outside_the_offer(assistant, expected):
    sender = offered(assistant, expected, "en")
    assert assistant.texts(sender, "sure, they can contact me") == [
        say(expected, "utter_ask_referral_contact", "en")
    ]
    assistant.send(sender, "+380 50 000 11 22")
    [row] = assistant.referral_rows(sender)
    assert assistant.texts(sender, "cancel my referral") == [
        say(expected, "utter_referral_cancelled", "en", reference=row["reference"])
    ]
    [row] = assistant.referral_rows(sender)
    assert (row["status"], row["contact"]) == ("cancelled", "")


# The hazard report's consent question ("May the authorities contact you?"), answered in words
# that classified as cancel_referral, nlu_fallback or ask_survivor_rights before (en, es, km).
HAZARD_YES = {
    "en": "yes, the authorities can call me",
    "es": "sí, me pueden llamar",
    "km": "បាទ អាចទាក់ទងខ្ញុំបាន",
}


@pytest.mark.parametrize("language", sorted(HAZARD_YES))
def test_a_typed_yes_to_the_report_consent_question_asks_for_the_contact(assistant, expected, language):
    sender = f"t-{uuid.uuid4().hex}"
    assistant.send(sender, '/set_country{"country": "ukraine"}')
    assistant.send(sender, f'/set_language{{"language": "{language}"}}')
    assistant.send(sender, "/report_hazard")
    assistant.send(sender, '/report_hazard{"hazard_type": "uxo"}')
    assistant.send(sender, "a rusty shell, half buried, about 40 cm")
    assistant.send(sender, '/report_hazard{"latitude": 49.988358, "longitude": 36.232845}')
    assistant.send(sender, '/report_hazard{"hazard_seen": "today"}')
    assert assistant.texts(sender, "/deny") == [say(expected, "utter_ask_hazard_consent", language)]
    consent = assistant.texts(sender, HAZARD_YES[language])
    assert consent == [say(expected, "utter_ask_hazard_contact", language)]
    assistant.send(sender, "+380 50 123 4567")
    [report] = assistant.reports_of(sender)
    assert (report.contact_consent, report.contact) == (True, "+380 50 123 4567")

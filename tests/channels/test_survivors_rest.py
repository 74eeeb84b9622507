"""Survivors and communities (issue 14, paragraph 7), through the real servers over REST, in every
language: "Your rights" from the main menu and typed (three cards, the last one the country's),
psychological first aid typed and from the button after the injured answer, and what happens after
a hazard report, from the button under the saved report and typed.

On main: no "Your rights" in the menu, one rights message with no card for families, participation
or the country's entitlements, no first-aid answer (shaking after a blast got the injured answer or
the services search) and nothing after a saved report.
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, ResponseRenderer
from tests.assistant import Assistant, new_sender, texts

pytestmark = pytest.mark.server

RIGHTS_TYPED = {
    "en": "what are my rights as a survivor?",
    "fr": "Quels sont mes droits ?",
    "es": "¿Cuáles son mis derechos?",
    "uk": "Які в мене права?",
    "ar": "ما هي حقوقي؟",
    "km": "តើខ្ញុំមានសិទ្ធិអ្វីខ្លះ?",
}
PFA_TYPED = {
    "en": ["I can't stop shaking after the explosion", "my child saw the blast and won't talk"],
    "fr": [
        "Je n'arrête pas de trembler après l'explosion",
        "Mon enfant a vu l'explosion et ne veut plus parler",
    ],
    "es": [
        "No puedo dejar de temblar después de la explosión",
        "Mi hijo vio la explosión y no quiere hablar",
    ],
    "uk": ["Не можу перестати тремтіти після вибуху", "Дитина бачила вибух і не хоче говорити"],
    "ar": ["لا أستطيع التوقف عن الارتجاف بعد الانفجار", "طفلي رأى الانفجار ولا يريد أن يتكلم"],
    "km": ["ខ្ញុំមិនអាចឈប់ញ័របានទេក្រោយការផ្ទុះ", "កូនខ្ញុំឃើញការផ្ទុះ ហើយមិនព្រមនិយាយ"],
}
AFTER_REPORT_TYPED = {
    "en": ["What happens after I report?", "How can I ask for the area to be marked?"],
    "fr": ["Que se passe-t-il après le signalement ?"],
    "es": ["¿Qué pasa después de reportar?"],
    "uk": ["Що відбувається після повідомлення?"],
    "ar": ["ماذا يحدث بعد الإبلاغ؟"],
    "km": ["បន្ទាប់ពីរាយការណ៍ តើមានអ្វីកើតឡើង?"],
}
PLACE = {
    "en": "near the old school",
    "fr": "près de la vieille école",
    "es": "cerca de la escuela vieja",
    "uk": "біля старої школи",
    "ar": "قرب المدرسة القديمة",
    "km": "នៅជិតសាលាចាស់",
}


class Say:
    """What the assistant must say in one language and country (the response keys named here)."""

    def __init__(self, expected: ResponseRenderer, language: str, country: Optional[str]) -> None:
        self.expected = expected
        self.context = ResponseContext(language, expected.profile(country))

    def rendered(self, key: str, **extra: Any) -> dict[str, Any]:
        rendered = self.expected.render(key, self.context, "rest", extra)
        assert rendered is not None, key
        return rendered

    def __call__(self, *keys: str) -> list[str]:
        return [self.rendered(key)["text"] for key in keys]

    def title(self, english: str) -> str:
        return self.expected.catalogs.gettext(self.context.language, english)


def start(rest: Assistant, language: str, country: str) -> str:
    sender = new_sender()
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    rest.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender


def buttons(replies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(b["title"], b["payload"]) for r in replies for b in r.get("buttons") or []]


# ------------------------------------------------------------------------------------ rights


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_your_rights_from_the_main_menu_ends_with_ukraines_entitlements(rest, expected, language):
    say = Say(expected, language, "ukraine")
    sender = start(rest, language, "ukraine")
    menu = rest.send(sender, "/help")
    assert texts(menu) == say("utter_help")
    assert (say.title("Your rights"), "/ask_survivor_rights") in buttons(menu)

    first = rest.send(sender, "/ask_survivor_rights")
    assert texts(first) == say("utter_ask_survivor_rights")
    assert buttons(first) == [(say.title("Next"), "/next"), (say.title("Menu"), "/help")]
    assert texts(rest.send(sender, "/next")) == say("utter_survivor_rights_2")
    last = rest.send(sender, "/next")
    # The Ukrainian profile's own card (content/countries/ukraine.yml), not the general one.
    assert texts(last) == say("utter_survivor_entitlements_ukraine")
    assert texts(last) != Say(expected, language, "generic")("utter_survivor_entitlements")
    assert buttons(last)[0] == (say.title("Legal help"), '/find_services{"service_category": "legal"}')


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_your_rights_typed_ends_with_the_general_entitlements(rest, expected, language):
    say = Say(expected, language, "generic")
    sender = start(rest, language, "generic")
    assert texts(rest.send(sender, RIGHTS_TYPED[language])) == say("utter_ask_survivor_rights")
    assert texts(rest.send(sender, "/next")) == say("utter_survivor_rights_2")
    assert texts(rest.send(sender, "/next")) == say("utter_survivor_entitlements")


def test_the_rights_cards_say_who_is_a_victim_participation_and_no_conditions(expected):
    card_1, card_2 = Say(expected, "en", "generic")("utter_ask_survivor_rights", "utter_survivor_rights_2")
    assert "their families and their communities" in card_1
    assert "Convention on the Rights of Persons with Disabilities" in card_1
    assert card_2.startswith("Help never depends on giving information")
    assert "without discrimination" in card_2 and "take part in the decisions and programmes" in card_2


# ---------------------------------------------------------------- psychological first aid


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_first_aid_for_the_mind_when_typed(rest, expected, language):
    say = Say(expected, language, "ukraine")
    for text in PFA_TYPED[language]:
        sender = start(rest, language, "ukraine")
        assert texts(rest.send(sender, text)) == say("utter_psychological_first_aid"), text
        second = rest.send(sender, "/next")
        assert texts(second) == say("utter_psychological_first_aid_2")
        assert "101" in second[0]["text"]
        assert buttons(second) == [
            (say.title("Help for survivors"), '/find_services{"service_category": "psychosocial"}'),
            (say.title("Menu"), "/help"),
        ]


# A typed message about someone injured that also asks for help gets the offer of services after
# the injured answer (bot/nlu/needs.py); the offer carries the first-aid button.
INJURED_AND_HELP = {
    "en": "my husband was injured by a mine and needs rehabilitation",
    "uk": "мій брат підірвався на міні, йому потрібна реабілітація",
}


@pytest.mark.parametrize("language", sorted(INJURED_AND_HELP))
def test_first_aid_for_the_mind_from_the_button_after_the_injured_answer(rest, expected, language):
    say = Say(expected, language, "generic")
    sender = start(rest, language, "generic")
    injured = rest.send(sender, INJURED_AND_HELP[language])
    assert texts(injured) == say("utter_someone_injured", "utter_offer_services")
    assert (say.title("Fear and shock"), "/ask_psychological_first_aid") in buttons(injured)
    assert texts(rest.send(sender, "/ask_psychological_first_aid")) == say("utter_psychological_first_aid")
    assert texts(rest.send(sender, "/next")) == say("utter_psychological_first_aid_2")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_first_aid_button_in_every_language(rest, expected, language):
    say = Say(expected, language, "generic")
    offer = say.rendered("utter_offer_services")
    payloads = [b["payload"] for b in offer["buttons"]]
    assert payloads == ["/find_services", "/ask_psychological_first_aid", "/help"]
    sender = start(rest, language, "generic")
    assert texts(rest.send(sender, "/ask_psychological_first_aid")) == say("utter_psychological_first_aid")
    assert texts(rest.send(sender, "/next")) == say("utter_psychological_first_aid_2")


@pytest.mark.parametrize(
    "text",
    [
        "my friend was hurt by the blast and is bleeding, he is in shock",
        "my son stepped on a mine, he is shaking and bleeding",
    ],
)
def test_someone_hurt_now_gets_the_injured_answer_not_first_aid_for_the_mind(rest, expected, text):
    say = Say(expected, "en", "ukraine")
    sender = start(rest, "en", "ukraine")
    assert texts(rest.send(sender, text))[0] == say("utter_someone_injured")[0]


def test_thoughts_of_self_harm_after_the_blast_stay_a_protection_concern(rest, expected):
    say = Say(expected, "en", "ukraine")
    sender = start(rest, "en", "ukraine")
    assert texts(rest.send(sender, "since the explosion i want to kill myself")) == say(
        "utter_protection_concern"
    )


# ------------------------------------------------------------------- after a hazard report


def saved_pattern(say: Say) -> re.Pattern[str]:
    """The saved-report text with any 6-character reference."""
    before, after = say.rendered("utter_hazard_report_saved", reference="\0")["text"].split("\0")
    return re.compile(re.escape(before) + r"[A-Z0-9]{6}" + re.escape(after))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_what_happens_next_after_a_completed_report(rest, expected, language):
    say = Say(expected, language, "ukraine")
    sender = start(rest, language, "ukraine")
    opening = rest.send(sender, "/report_hazard")
    assert texts(opening) == say("utter_report_safety_first", "utter_ask_hazard_type")
    assert texts(rest.send(sender, '/report_hazard{"hazard_type": "mine"}')) == say(
        "utter_ask_hazard_description"
    )
    assert texts(rest.send(sender, "/deny")) == say("utter_ask_hazard_place")
    assert texts(rest.send(sender, PLACE[language])) == say("utter_ask_hazard_region")
    assert texts(rest.send(sender, '/report_hazard{"hazard_region": "unknown"}')) == say(
        "utter_ask_hazard_seen"
    )
    assert texts(rest.send(sender, '/report_hazard{"hazard_seen": "today"}')) == say(
        "utter_ask_hazard_injured"
    )
    assert texts(rest.send(sender, "/deny")) == say("utter_ask_hazard_consent")
    saved = rest.send(sender, "/deny")
    assert len(saved) == 1 and saved_pattern(say).fullmatch(saved[0]["text"]), saved
    assert buttons(saved) == [
        (say.title("What happens next?"), '/report_hazard{"topic_after_report": "yes"}'),
        (say.title("Menu"), "/help"),
    ]
    after = rest.send(sender, '/report_hazard{"topic_after_report": "yes"}')
    assert texts(after) == say("utter_after_report")
    assert "101" in after[0]["text"]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_what_happens_after_a_report_when_typed(rest, expected, language):
    say = Say(expected, language, "generic")
    for text in AFTER_REPORT_TYPED[language]:
        sender = start(rest, language, "generic")
        assert texts(rest.send(sender, text)) == say("utter_after_report"), text


def test_the_after_report_answer_says_who_to_tell_and_how_to_ask_for_marking(expected):
    [text] = Say(expected, "en", "generic")("utter_after_report")
    assert "village chief" in text and "community focal point" in text
    assert "To ask for the area to be marked or surveyed" in text
    assert "Do not mark it" in text
    assert text.endswith("If it is urgent, tell the police or the local authorities.")

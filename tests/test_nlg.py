from __future__ import annotations

import asyncio

import pytest

from bot.nlg import LocalizedNLG, build_renderer
from bot.paths import project_paths
from bot.sms.budget import SAMPLE_VALUES
from tests import factories
from tests.factories import PROJECT_ROOT, profile, renderer, tracker

RESPONSES = {
    "utter_found_object": [
        {"text": "STOP. Call {report_number}. Emergency: {emergency_number}."},
        {"text": "STOP. Call the emergency number {emergency_number}."},
        {
            "text": "STOP. Tell the police.",
            "buttons": [{"title": "Choose your country", "payload": "/change_country"}],
        },
    ],
    "utter_choose_language": [
        {
            "text": "Choose your language:",
            "buttons": [{"title": "{language_name_km}", "payload": "/set_language"}],
        }
    ],
    "utter_country_set": [{"text": "OK: {country_name}."}],
}
FRENCH = {
    "STOP. Call {report_number}. Emergency: {emergency_number}.": (
        "STOP. Appelez le {report_number}. Urgences : {emergency_number}."
    ),
    "STOP. Call the emergency number {emergency_number}.": (
        "STOP. Appelez le numéro d'urgence {emergency_number}."
    ),
    "STOP. Tell the police.": "STOP. Prévenez la police.",
    "Choose your country": "Choisissez votre pays",
    "Choose your language:": "Choisissez votre langue :",
}
UKRAINE = profile("ukraine", iso2="UA", default_language="uk", numbers={"emergency": "101", "report": "101"})
COLOMBIA = profile("colombia", iso2="CO", default_language="es", numbers={"emergency": "123"})


@pytest.fixture(scope="module")
def nlg() -> LocalizedNLG:
    return LocalizedNLG(renderer=renderer(RESPONSES, {"fr": FRENCH}, [UKRAINE, COLOMBIA]))


def generate(nlg: LocalizedNLG, key: str, tracker_, channel: str = "rest"):
    return asyncio.run(nlg.generate(key, tracker_, channel))


def test_answers_in_the_language_of_the_first_message_with_the_countrys_numbers(nlg):
    reply = generate(
        nlg, "utter_found_object", tracker("J'ai trouvé une grenade dans le jardin", country="ukraine")
    )
    assert reply["text"] == "STOP. Appelez le 101. Urgences : 101."


def test_without_a_reporting_number_uses_the_emergency_number(nlg):
    reply = generate(
        nlg, "utter_found_object", tracker("J'ai trouvé une grenade dans le jardin", country="colombia")
    )
    assert reply["text"] == "STOP. Appelez le numéro d'urgence 123."


def test_without_a_country_no_number_is_invented(nlg):
    reply = generate(nlg, "utter_found_object", tracker("J'ai trouvé une grenade dans le jardin"))
    assert reply["text"] == "STOP. Prévenez la police."
    assert reply["buttons"] == [{"title": "Choisissez votre pays", "payload": "/change_country"}]


def test_chosen_language_sticks_over_detection(nlg):
    reply = generate(nlg, "utter_found_object", tracker("I found a grenade in the garden", language="fr"))
    assert reply["text"].startswith("STOP. Prévenez")


def test_missing_translation_falls_back_to_english(nlg):
    reply = generate(nlg, "utter_country_set", tracker("Я знайшов міну", country="ukraine"))
    assert reply["text"] == "OK: Україна."


def test_language_menu_shows_names_in_their_own_language(nlg):
    reply = generate(nlg, "utter_choose_language", tracker("bonjour je voudrais changer de langue"))
    assert reply["text"] == "Choisissez votre langue :"
    assert reply["buttons"][0]["title"] == "ខ្មែរ"


def test_country_default_language_when_nothing_was_typed(nlg):
    reply = generate(nlg, "utter_country_set", tracker("/set_country", country="colombia"))
    assert reply["text"] == "OK: Colombia."


def test_channel_hint_is_used_when_the_text_says_nothing(nlg):
    reply = generate(nlg, "utter_found_object", tracker("ok", metadata={"language_code": "fr"}))
    assert reply["text"] == "STOP. Prévenez la police."


def test_unknown_response_is_none(nlg):
    assert generate(nlg, "utter_nope", tracker("hello")) is None


# Placeholders that custom actions fill (dispatcher.utter_message(response=..., name=value)).
ACTION_VALUES = {
    "reference": "7KQ4XH",
    # --- services directory: action_show_services ---
    "organisation": "Example Rehabilitation Centre",
    "service": "Prostheses",
    "address": "1 Example Street",
    "phone": "101",
    "hours": "Mon-Fri 9:00-17:00",
    "languages": "English",
    "accessibility": "Step-free",
    # --- quiz: the score, counted by the NLG (bot/quiz.py) ---
    "score": 3,
    "total": 5,
    # --- outreach (bot/outreach): alerts, follow-ups, subscriptions, partners ---
    "region": "Kharkiv",
    "place": "the bridge at Kozacha",
    "partner": "Example Rehabilitation Centre",
    # --- surveys (actions/surveys.py): the sample texts the SMS budget is measured with ---
    **{name: value for name, value in SAMPLE_VALUES.items() if name.startswith("survey_")},
}


def test_real_project_renders_every_response_in_every_language():
    """The shipped domain, catalogs and profiles render fully: no English left, no {braces}."""
    real = build_renderer(project_paths(PROJECT_ROOT))
    for language in ("fr", "es", "uk", "ar", "km"):
        for country in ("ukraine", "cambodia", "colombia", "lebanon", "generic"):
            t = factories.tracker(language=language, country=country)
            context = real.context(t)
            assert context.language == language
            for key in real.responses:
                reply = real.render(key, context, "rest", ACTION_VALUES)
                assert reply is not None
                assert "{" not in reply["text"], (key, language, country)
                english = real.responses[key][0]["text"]
                assert reply["text"] != english or not any(c.isalpha() for c in english), (key, language)


AMBULANCE = {"cambodia": "119", "lebanon": "140"}


def test_real_safety_answers_carry_the_countrys_number():
    real = build_renderer(project_paths(PROJECT_ROOT))
    for country, number in (("ukraine", "101"), ("cambodia", "117"), ("colombia", "123"), ("lebanon", "112")):
        context = real.context(
            factories.tracker("I found something that looks like a grenade", country=country)
        )
        for key in ("utter_found_object", "utter_in_hazard_area", "utter_someone_injured"):
            # the injured answer gives the ambulance number where the profile has one
            expected = AMBULANCE.get(country, number) if key == "utter_someone_injured" else number
            assert expected in real.render(key, context, "rest", {})["text"], (key, country)


def test_did_you_mean_menu_follows_the_latest_ranking():
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    real = build_renderer(project_paths(PROJECT_ROOT))
    ranking = [
        {"name": n, "confidence": c}
        for n, c in (
            ("nlu_fallback", 0.3),
            ("start_quiz", 0.25),
            ("ask_warning_signs", 0.2),
            ("greet", 0.1),
            ("found_object", 0.05),
        )
    ]
    message = UserUttered(
        "quizz signs??",
        intent={"name": "nlu_fallback", "confidence": 0.3},
        parse_data={"intent_ranking": ranking},  # type: ignore[arg-type]  # only what the NLG reads
    )
    t = DialogueStateTracker.from_events("u", [message], slots=factories.DOMAIN.slots)
    reply = real.render("utter_default", real.context(t), "rest", {})
    assert [b["payload"] for b in reply["buttons"]] == [
        "/start_quiz",
        "/ask_warning_signs",
        "/found_object",
        "/help",
    ]
    assert reply is not None and "metadata" not in reply

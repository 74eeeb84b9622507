"""The action server decides the language exactly as the NLG does."""

from rasa_sdk import Tracker

from actions.locale import conversation_language, locale_inputs


def sdk_tracker(events: list[dict], language: str | None = None) -> Tracker:
    slots = {"language": language}
    return Tracker("t", slots, {}, events, False, None, {}, "action_listen")


def test_inputs_keep_typed_text_and_the_first_hint():
    events = [
        {"event": "user", "text": "/report_hazard", "metadata": {"language_code": "fr"}},
        {"event": "bot", "text": "ignored"},
        {"event": "user", "text": "j'ai vu une mine", "metadata": {"language": "es"}},
    ]
    inputs = locale_inputs(events, None, "uk")
    assert inputs.user_texts == ["j'ai vu une mine"]
    assert inputs.channel_hint == "fr" and inputs.country_default == "uk"


def test_chosen_language_wins_then_typed_text_then_country():
    typed = [{"event": "user", "text": "Я знайшов щось схоже на гранату"}]
    assert conversation_language(sdk_tracker(typed, language="km"), "ar") == "km"
    assert conversation_language(sdk_tracker(typed), "ar") == "uk"
    assert conversation_language(sdk_tracker([{"event": "user", "text": "/help"}]), "ar") == "ar"

"""The action server decides the language exactly as the NLG does."""

from rasa_sdk import Tracker

from actions.locale import conversation_language


def sdk_tracker(events: list[dict], language: str | None = None) -> Tracker:
    slots = {"language": language}
    return Tracker("t", slots, {}, events, False, None, {}, "action_listen")


def test_chosen_language_wins_then_typed_text_then_country():
    typed = [{"event": "user", "text": "Я знайшов щось схоже на гранату"}]
    assert conversation_language(sdk_tracker(typed, language="km"), "ar") == "km"
    assert conversation_language(sdk_tracker(typed), "ar") == "uk"
    assert conversation_language(sdk_tracker([{"event": "user", "text": "/help"}]), "ar") == "ar"

"""Typed messages understood end to end: the real Rasa and action servers over REST.

A safety message with a second need gets the safety answer, then the offer of
the other help; reporting questions start the report; typed going-home and
flood questions reach their lessons; Arabic questions about children reach the
children's lesson. None of these messages is in the training data.
"""

from __future__ import annotations

import pytest

from bot.nlg import ResponseRenderer
from tests.assistant import Assistant, new_sender, texts
from tests.channels.test_rest import say


@pytest.mark.server
@pytest.mark.parametrize(
    ("message", "language", "keys"),
    [
        # Was the injured answer alone: the rehabilitation need was dropped.
        (
            "my husband was injured by a mine and needs rehabilitation",
            "en",
            ("utter_someone_injured", "utter_offer_services"),
        ),
        (
            "мій брат підірвався на міні, йому потрібна реабілітація",
            "uk",
            ("utter_someone_injured", "utter_offer_services"),
        ),
        (
            "i found a grenade in the garden, who do i report it to",
            "en",
            ("utter_found_object", "utter_offer_report"),
        ),
        # Was the found-object answer: "unexploded" alone was an urgent term.
        ("how do i report unexploded ordnance", "en", ("utter_report_safety_first", "utter_ask_hazard_type")),
        # Was the main menu.
        ("what number do i call", "en", ("utter_report_safety_first", "utter_ask_hazard_type")),
        # Were the general risky-activities lesson: only buttons reached these two (going home:
        # the returnees track since issue 14; the lesson menu's button keeps the returning-home lesson).
        ("we want to go back to our house, is it safe now?", "en", ("utter_track_returnees_1",)),
        ("after the floods, can mines end up in our fields?", "en", ("utter_lesson_floods_1",)),
        ("est-ce qu'on peut rentrer chez nous maintenant ?", "fr", ("utter_track_returnees_1",)),
        # Was the found-object answer.
        ("كيف بعلم بنتي ما تلمس شي غريب", "ar", ("utter_lesson_children_1",)),
    ],
)
def test_typed_messages_get_the_answers_they_ask_for(
    rest: Assistant, expected: ResponseRenderer, message: str, language: str, keys: tuple[str, ...]
) -> None:
    assert texts(rest.send(new_sender(), message)) == say(expected, *keys, language=language)


@pytest.mark.server
def test_the_offer_buttons_lead_to_the_other_help(rest: Assistant, expected: ResponseRenderer) -> None:
    replies = rest.send(new_sender(), "my son was injured by a mine today and will need a prosthesis")
    assert texts(replies) == say(expected, "utter_someone_injured", "utter_offer_services")
    # survivors: and psychological first aid (issue 14).
    payloads = [b["payload"] for b in replies[1]["buttons"]]
    assert payloads == ["/find_services", "/ask_psychological_first_aid", "/help"]
    replies = rest.send(new_sender(), "there is a shell in our field and i want to report it")
    assert texts(replies) == say(expected, "utter_found_object", "utter_offer_report")
    assert [b["payload"] for b in replies[1]["buttons"]] == ["/report_hazard", "/help"]


@pytest.mark.server
def test_what_number_do_i_call_gives_the_number_before_the_report_questions(rest: Assistant) -> None:
    # Was the main menu, then a report that never said the number: the number comes first.
    replies = rest.send(new_sender(), "what number do i call", metadata={"country": "ukraine"})
    assert texts(replies)[0] == (
        "Thank you for reporting. Stay well away from it while you answer. "
        'Write "cancel" to stop at any time. You can also report it by phone: 101.'
    )
    replies = rest.send(new_sender(), "який номер телефону, щоб повідомити?", metadata={"country": "ukraine"})
    assert texts(replies)[0] == (
        "Дякуємо за повідомлення. Тримайтеся якомога далі від предмета, поки відповідаєте. "
        "Напишіть «скасувати», щоб зупинитися будь-коли. Також можна повідомити телефоном: 101."
    )

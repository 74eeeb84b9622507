"""The country's own lessons by SMS (issue 14), through the real Rasa server and the Twilio
webhook: the country comes from the sender's number, "Your country" is a numbered option of the
lessons menu, and each card's "Next" answers by number, in the country's language."""

from __future__ import annotations

import pytest

from tests.assistant import Sms, new_number
from tests.sms.expected import composed

pytestmark = pytest.mark.server

COUNTRY_BUTTON = '/help{"topic_country": "yes"}'


@pytest.mark.parametrize(
    ("country", "language", "cards"),
    [
        ("ukraine", "uk", ["utter_card_ukraine_1", "utter_card_ukraine_2", "utter_card_ukraine_3"]),
        ("cambodia", "km", ["utter_card_cambodia_1", "utter_card_cambodia_2"]),
    ],
)
def test_your_country_by_sms_sends_the_cards_of_the_numbers_country(
    sms: Sms, country: str, language: str, cards: list[str]
) -> None:
    number = new_number(country)
    assert sms.say(number, "HELP", 1) == [composed("utter_help", language, country).pages[0].body]
    menu = composed("utter_lessons_menu", language, country)
    assert len(menu.pages) == 1
    assert sms.say(number, "4", 1) == [menu.body]  # Lessons
    option = str(menu.payloads.index(COUNTRY_BUTTON) + 1)
    for index, key in enumerate(cards):
        card = composed(key, language, country)
        for page_number, page in enumerate(card.pages):
            # The option for "Your country", then "1": "More" on a page that is not the last,
            # "Next" on the last page of a card.
            reply = option if index == 0 and page_number == 0 else "1"
            assert sms.say(number, reply, 1) == [page.body], (key, page_number)
        assert card.pages[-1].payloads[0] == ("/next" if key != cards[-1] else '/help{"lessons_menu": "yes"}')

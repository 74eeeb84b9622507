"""The country's own lessons by SMS (issue 14), through the real Rasa server and the Twilio
webhook: the country comes from the sender's number, "Your country" is a numbered option of the
lessons menu, and each card's "Next" answers by number, in the country's language."""

from __future__ import annotations

import pytest

from bot.nlg import ResponseContext
from bot.sms.budget import more_title
from bot.sms.compose import compose
from tests.channels.test_sms import RENDERER, new_number
from tests.channels.test_sms import sms as sms  # noqa: F401  (the server fixture)

pytestmark = pytest.mark.server

COUNTRY_BUTTON = '/help{"topic_country": "yes"}'


def composed(key: str, language: str, country: str):
    context = ResponseContext(language, RENDERER.profile(country))
    rendered = RENDERER.render(key, context, "sms", {})
    assert rendered is not None, key
    return compose(str(rendered["text"]), rendered.get("buttons") or [], 3, more_title(RENDERER, context))


@pytest.mark.parametrize(
    ("country", "language", "cards"),
    [
        ("ukraine", "uk", ["utter_card_ukraine_1", "utter_card_ukraine_2", "utter_card_ukraine_3"]),
        ("cambodia", "km", ["utter_card_cambodia_1", "utter_card_cambodia_2"]),
    ],
)
def test_your_country_by_sms_sends_the_cards_of_the_numbers_country(sms, country, language, cards):  # noqa: F811
    number = new_number(country, 1400 + len(cards))
    assert sms.twilio(number, "HELP") == 200
    expected = [composed("utter_help", language, country).pages[0].body]
    assert sms.replies(number, 1) == expected
    assert sms.twilio(number, "4") == 200  # Lessons
    menu = composed("utter_lessons_menu", language, country)
    expected.append(menu.pages[0].body)
    assert sms.replies(number, len(expected)) == expected
    option = str(menu.pages[-1].payloads.index(COUNTRY_BUTTON) + 1)
    assert len(menu.pages) == 1
    for index, key in enumerate(cards):
        card = composed(key, language, country)
        for page_number, page in enumerate(card.pages):
            # The option for "Your country", then "1": "More" on a page that is not the last,
            # "Next" on the last page of a card.
            reply = option if index == 0 and page_number == 0 else "1"
            assert sms.twilio(number, reply) == 200
            expected.append(page.body)
            assert sms.replies(number, len(expected)) == expected
        assert card.pages[-1].payloads[0] == ("/next" if key != cards[-1] else '/help{"lessons_menu": "yes"}')

from __future__ import annotations

import io

from babel.messages.extract import extract

from bot.babel_extract import iter_response_messages
from tests.factories import PROJECT_ROOT

DOMAIN = """\
version: "3.1"
responses:
  utter_a:
    - text: "Call {emergency_number} now."
      buttons:
        - title: "Menu"
          payload: /help
        - title: "{language_name_km}"
          payload: /set_language
  utter_b:
    - text: |-
        Line one.
        Line two.
"""


def test_extracts_texts_and_button_titles_with_their_lines():
    found = list(iter_response_messages(DOMAIN))
    assert found == [
        (4, "utter_a", "Call {emergency_number} now."),
        (6, "utter_a", "Menu"),
        (11, "utter_b", "Line one.\nLine two."),
    ]


def test_babel_calls_the_extractor_through_its_entry_point():
    messages = list(extract("domain", io.BytesIO(DOMAIN.encode("utf-8"))))
    assert [m[1] for m in messages] == ["Call {emergency_number} now.", "Menu", "Line one.\nLine two."]
    assert messages[0][2] == ["utter_a"]


def test_every_response_of_the_real_domain_is_extracted():
    text = (PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8")
    names = {name for _, name, _ in iter_response_messages(text)}
    assert {"utter_found_object", "utter_in_hazard_area", "utter_someone_injured", "utter_help"} <= names

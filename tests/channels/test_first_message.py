"""The first message of a new conversation on a cold server, over REST: the safety answer at once.

(The SMS matrix is in test_sms.py, Telegram's in test_telegram.py.) Each case
is a new conversation: six languages, with no hint and with each profiled
country as the channel's hint; asserted by exact text.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from bot.i18n import SUPPORTED_LANGUAGES
from bot.nlg import ResponseContext, build_renderer
from bot.paths import project_paths
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import rasa_with_actions

pytestmark = pytest.mark.server

RENDERER = build_renderer(project_paths(PROJECT_ROOT))
COUNTRIES = (None, "ukraine", "cambodia", "colombia", "lebanon")
CASES = [(language, country) for language in SUPPORTED_LANGUAGES for country in COUNTRIES]


@pytest.fixture(scope="module")
def rest(tmp_path_factory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("first")
    with rasa_with_actions(folder, "rest:\n") as url:
        yield url


def post(url: str, sender: str, message: str, metadata: Optional[dict[str, Any]] = None) -> list[dict]:
    body = {"sender": sender, "message": message, **({"metadata": metadata} if metadata else {})}
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def expected(key: str, language: str, country: Optional[str]) -> dict[str, Any]:
    rendered = RENDERER.render(key, ResponseContext(language, RENDERER.profile(country)), "rest", {})
    assert rendered is not None
    return rendered


def fallbacks(key: str, language: str, country: Optional[str]) -> set[str]:
    """What a wrong answer would look like: "did not understand", or `key` left in English.

    `expected` renders with the same catalogs as the server, so with a translation missing
    both would be English and the equality alone would pass: the English text is ruled out.
    """
    wrong = {expected("utter_default", language, country)["text"]}
    if language != "en":
        wrong.add(expected(key, "en", country)["text"])
    return wrong


@pytest.mark.parametrize(("language", "country"), CASES)
def test_the_first_rest_message_gets_the_safety_answer(rest, language, country):
    metadata = {"country": country} if country else None
    replies = post(rest, f"first-{language}-{country}", GRENADE[language], metadata)
    answer = expected("utter_found_object", language, country)["text"]
    assert answer not in fallbacks("utter_found_object", language, country)
    assert [r.get("text") for r in replies] == [answer]


@pytest.mark.parametrize("country", COUNTRIES)
def test_menu_then_its_first_button(rest, country):
    sender = f"menu-{country}"
    metadata = {"country": country} if country else None
    # "menu" says nothing of its language: the country's default language answers.
    language = RENDERER.profile(country).default_language if country else "en"
    menu = expected("utter_help", language, country)
    assert menu["text"] not in fallbacks("utter_help", language, country)
    assert [r.get("text") for r in post(rest, sender, "menu", metadata)] == [menu["text"]]
    first = menu["buttons"][0]["payload"]
    assert first == "/found_object"
    answer = expected("utter_found_object", language, country)
    assert answer["text"] not in fallbacks("utter_found_object", language, country)
    assert [r.get("text") for r in post(rest, sender, first, metadata)] == [answer["text"]]

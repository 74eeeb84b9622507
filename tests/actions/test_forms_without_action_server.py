"""The safety answers inside open forms survive a dead action server (issue 12, item 5).

The real Rasa server and action server over REST: in six languages the hazard
report and the services search are opened while the action server is up, and
"my friend stepped on a mine and is bleeding" is answered (the forms' validation
rejects it, the rules answer, the form asks again). Then the action server is
killed and the same message is sent again inside the same open forms: the same
answer and the same question, now from the Rasa server alone
(bot.policies.safety). A new conversation's first message and a conversation
without a form get the safety answer with the action server down as well.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from bot.nlg import ResponseRenderer, build_renderer
from bot.paths import project_paths
from tests.assistant import Assistant, new_sender
from tests.factories import PROJECT_ROOT, rest_text, tracker
from tests.servers import Stack, server_stack

pytestmark = pytest.mark.server

# "My friend stepped on a mine and is bleeding" (someone_injured), and a country for each language.
INJURED = {
    "en": ("my friend stepped on a mine and is bleeding", "ukraine"),
    "fr": ("mon ami a marché sur une mine et il saigne", "lebanon"),
    "es": ("mi amigo pisó una mina y está sangrando", "colombia"),
    "uk": ("мій друг наступив на міну і стікає кров'ю", "ukraine"),
    "ar": ("صديقي داس على لغم وهو ينزف", "lebanon"),
    "km": ("មិត្តខ្ញុំជាន់មីន ហើយកំពុងហូរឈាម", "cambodia"),
}
# Each form: how it is opened, and the question it asks first.
FORMS = {
    "report": ("/report_hazard", "utter_ask_hazard_type"),
    "services": ("/find_services", "utter_ask_service_category"),
}
# The region question is action_ask_hazard_region (action server); down, its response asks.
REGION_STEPS = (
    '/report_hazard{"hazard_type": "uxo"}',
    "a rusty shell, half buried, about 40 cm",
    "near the bus stop in the village",
)


@contextmanager
def own_servers(folder: Path) -> Iterator[Stack]:
    """Rasa (REST channel) and the action server on free ports, app and tracker databases in `folder`."""
    env = {"PSEUDONYM_KEY": "forms-without-action-server-pseudonym-key", "HAZARD_WEBHOOK_URL": ""}
    with server_stack(folder, "rest:\n", env) as stack:
        yield stack


@dataclass
class Transcript:
    """What was answered before and after the action server was killed."""

    up: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    down: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def start(rest: Assistant, language: str, country: str) -> str:
    """A new conversation with its language and country chosen (rules only); its sender id."""
    sender = new_sender("down")
    rest.send(sender, f'/set_language{{"language": "{language}"}}')
    rest.send(sender, f'/set_country{{"country": "{country}"}}')
    return sender


@pytest.fixture(scope="module")
def transcript(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """Every conversation of the tests, run once: forms opened up, the action server killed, then down."""
    result = Transcript()
    folder = tmp_path_factory.mktemp("forms-down")
    with own_servers(folder) as running:  # its own: the action server is killed half-way
        rest = running.rest(folder)
        in_forms: dict[tuple[str, str], str] = {}
        for language, (message, country) in INJURED.items():
            for form, (opening, _) in FORMS.items():
                sender = in_forms[(form, language)] = start(rest, language, country)
                rest.texts(sender, opening)
                result.up[(form, language)] = rest.texts(sender, message)
        at_region = start(rest, "en", "ukraine")
        rest.texts(at_region, "/report_hazard")
        result.up[("region", "en")] = [text for step in REGION_STEPS for text in rest.texts(at_region, step)]
        without_form = start(rest, "fr", "lebanon")

        running.kill_actions()

        for (form, language), sender in in_forms.items():
            result.down[(form, language)] = rest.texts(sender, INJURED[language][0])
        result.down[("region", "en")] = rest.texts(at_region, INJURED["en"][0])
        result.down[("no form", "fr")] = rest.texts(without_form, INJURED["fr"][0])
        for language in ("en", "uk", "km"):
            result.down[("first message", language)] = rest.texts(new_sender("new"), INJURED[language][0])
    return result


@pytest.fixture(scope="module")
def renderer() -> ResponseRenderer:
    return build_renderer(project_paths(PROJECT_ROOT))


@pytest.mark.parametrize("language", list(INJURED))
@pytest.mark.parametrize("form", list(FORMS))
def test_up_the_form_rejects_the_message_the_rules_answer_and_the_question_comes_again(
    transcript: Transcript, renderer: ResponseRenderer, form: str, language: str
) -> None:
    country = INJURED[language][1]
    expected = [
        rest_text(renderer, key, language, country) for key in ("utter_someone_injured", FORMS[form][1])
    ]
    assert transcript.up[(form, language)] == expected


@pytest.mark.parametrize("language", list(INJURED))
@pytest.mark.parametrize("form", list(FORMS))
def test_down_the_same_answer_and_question_come_from_the_rasa_server_alone(
    transcript: Transcript, renderer: ResponseRenderer, form: str, language: str
) -> None:
    country = INJURED[language][1]
    expected = [
        rest_text(renderer, key, language, country) for key in ("utter_someone_injured", FORMS[form][1])
    ]
    assert transcript.down[(form, language)] == expected


def test_down_at_the_region_question_it_is_asked_again_from_its_response(
    transcript: Transcript, renderer: ResponseRenderer
) -> None:
    # Up, the region question came with a button per region (action_ask_hazard_region).
    assert transcript.up[("region", "en")][-1] == rest_text(
        renderer, "utter_ask_hazard_region", "en", "ukraine"
    )
    injured, region = (
        rest_text(renderer, k, "en", "ukraine") for k in ("utter_someone_injured", "utter_ask_hazard_region")
    )
    assert transcript.down[("region", "en")] == [injured, region]


def test_down_without_a_form_the_rule_answers(transcript: Transcript, renderer: ResponseRenderer) -> None:
    assert transcript.down[("no form", "fr")] == [
        rest_text(renderer, "utter_someone_injured", "fr", "lebanon")
    ]


@pytest.mark.parametrize("language", ["en", "uk", "km"])
def test_down_the_first_message_of_a_new_conversation_is_answered(
    transcript: Transcript, renderer: ResponseRenderer, language: str
) -> None:
    message = INJURED[language][0]
    rendered = renderer.render("utter_someone_injured", renderer.context(tracker(message)), "rest", {})
    assert rendered is not None
    assert transcript.down[("first message", language)] == [str(rendered["text"])]

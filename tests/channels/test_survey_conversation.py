"""The KAP survey through the real Rasa and action servers: started by typing in every language
or by a campaign's invitation button, answered by buttons (REST, Telegram fake), typed numbers
and option words (every language), numbered menus on SMS; a safety message in the middle gets
the safety answer and the question again; the menu stops it and keeps nothing; the completed
survey is stored as option ids and a score under the pseudonym only, and "delete my data"
removes it."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import pytest
import sqlalchemy as sa

from bot.nlg import ResponseContext, ResponseRenderer
from bot.outreach.store import survey_answers, survey_responses
from bot.outreach.surveys import load_surveys
from bot.paths import project_paths
from bot.sms.compose import compose
from bot.store.db import Database
from tests.assistant import (
    Assistant,
    at_least,
    callback_data,
    new_chat_id,
    new_number,
    new_sender,
    texts,
    wait_for,
)
from tests.factories import GRENADE, PROJECT_ROOT
from tests.servers import Shared

pytestmark = pytest.mark.server

SURVEY = load_surveys(project_paths(PROJECT_ROOT).surveys)["kap-basic"]
RUN = "campaign:kap-basic:2026-12-04"

START = {
    "en": "I want to take the survey",
    "fr": "je veux répondre au sondage",
    "es": "quiero responder la encuesta",
    "uk": "хочу пройти опитування",
    "ar": "أريد المشاركة في الاستبيان",
    "km": "ខ្ញុំចង់ធ្វើការស្ទង់មតិ",
}
# Typed answers to the six questions (numbers in the language's digits, or an option's words),
# and the options they choose.
TYPED = {
    "en": ["2", "Yes, it can still explode", "1", "agree", "not sure", "always"],
    "fr": ["2", "oui, il peut encore exploser", "2", "d'accord", "pas sûr", "parfois"],
    "es": ["3", "Sí, todavía puede explotar", "2", "en desacuerdo", "de acuerdo", "nunca"],
    "uk": ["2", "Ні, він надто старий", "2", "згоден", "не згоден", "завжди"],
    "ar": ["٢", "نعم، ما زالت قد تنفجر", "2", "أوافق", "لا أوافق", "دائمًا"],
    "km": ["២", "១", "២", "យល់ស្រប", "មិនប្រាកដ", "ជានិច្ច"],
}
CHOSEN = {
    "en": ["keep_away", "yes_explode", "run_help", "agree", "not_sure", "always"],
    "fr": ["keep_away", "yes_explode", "call_help", "agree", "not_sure", "sometimes"],
    "es": ["throw_stone", "yes_explode", "call_help", "disagree", "agree", "never"],
    "uk": ["keep_away", "no_explode", "call_help", "agree", "disagree", "always"],
    "ar": ["keep_away", "yes_explode", "call_help", "agree", "disagree", "always"],
    "km": ["keep_away", "yes_explode", "call_help", "agree", "not_sure", "always"],
}
QUESTION_IDS = [q.id for q in SURVEY.questions]


def score_of(chosen: Sequence[str]) -> int:
    return SURVEY.score(dict(zip(QUESTION_IDS, chosen, strict=True)))


class Expected:
    """What the assistant must say, rendered from the shipped content."""

    def __init__(self, renderer: ResponseRenderer, language: str, channel: str = "rest") -> None:
        self.renderer, self.language, self.channel = renderer, language, channel

    def tr(self, text: str) -> str:
        return self.renderer.catalogs.gettext(self.language, text)

    def rendered(self, key: str, **values: Any) -> dict[str, Any]:
        context = ResponseContext(self.language, self.renderer.profile(None))
        found = self.renderer.render(key, context, self.channel, values)
        assert found is not None
        return found

    def text(self, key: str, **values: Any) -> str:
        return str(self.rendered(key, **values)["text"])

    def intro(self) -> str:
        return self.text(
            "utter_survey_intro", survey_title=self.tr(SURVEY.title), survey_intro=self.tr(SURVEY.intro)
        )

    def question(self, number: int) -> str:
        question = SURVEY.questions[number]
        return self.text(
            "utter_survey_question",
            survey_number=number + 1,
            survey_total=len(SURVEY.questions),
            survey_question=self.tr(question.text),
        )

    def buttons(self, number: int) -> list[dict[str, str]]:
        question = SURVEY.questions[number]
        return [
            {"title": self.tr(o.text), "payload": f'/start_survey{{"survey_option": "{question.id}:{o.id}"}}'}
            for o in question.options
        ]

    def ending(self, score: int) -> list[str]:
        return [
            self.text("utter_survey_score", survey_score=score, survey_knowledge=SURVEY.knowledge_total),
            self.text("utter_survey_closing", survey_closing=self.tr(SURVEY.closing)),
        ]


def stored(assistant: Assistant, conversation: str) -> list[tuple[Any, ...]]:
    """The person's stored responses: (survey, run, language, country, score, answers by question)."""
    pseudonym = assistant.pseudonym(conversation)
    database = Database.from_url(assistant.app_db)
    try:
        with database.sessions.begin() as session:
            responses = session.execute(
                sa.select(survey_responses).where(survey_responses.c.pseudonym == pseudonym)
            ).mappings()
            found = []
            for row in responses:
                answers = session.execute(
                    sa.select(survey_answers.c.question, survey_answers.c.answer).where(
                        survey_answers.c.response_id == row["id"]
                    )
                ).all()
                assert row["completed_at"] is not None and row["started_at"] <= row["completed_at"]
                found.append(
                    (
                        row["survey"],
                        row["run_id"],
                        row["language"],
                        row["country"],
                        row["score"],
                        dict(answers),
                    )
                )
            return found
    finally:
        database.dispose()


def started(rest: Assistant, expected: Expected, message: Optional[str] = None) -> str:
    """A new conversation in the expected language, whose survey was started by typing."""
    sender = new_sender()
    rest.send(sender, f'/set_language{{"language": "{expected.language}"}}')
    replies = rest.send(sender, message or START[expected.language])
    assert texts(replies) == [expected.intro(), expected.question(0)]
    assert replies[-1]["buttons"] == expected.buttons(0)
    return sender


@pytest.fixture()
def renderer(expected: ResponseRenderer) -> ResponseRenderer:
    """The shipped content's renderer (tests/conftest.py)."""
    return expected


# ------------------------------------------------------------------ REST


@pytest.mark.parametrize("language", ["en", "fr", "es", "uk", "ar", "km"])
def test_typed_start_and_typed_answers_in_every_language(rest, renderer, language):
    expected = Expected(renderer, language)
    sender = started(rest, expected)
    for number, typed in enumerate(TYPED[language]):
        replies = texts(rest.send(sender, typed))
        if number + 1 < len(SURVEY.questions):
            assert replies == [expected.question(number + 1)], typed
        else:
            assert replies == expected.ending(score_of(CHOSEN[language]))
    answers = dict(zip(QUESTION_IDS, CHOSEN[language], strict=True))
    assert stored(rest, sender) == [("kap-basic", None, language, None, score_of(CHOSEN[language]), answers)]


def test_buttons_of_a_campaign_invitation_store_the_run(rest, renderer):
    sender = new_sender()
    expected = Expected(renderer, "en")
    invitation = f'/start_survey{{"survey": "kap-basic", "survey_run": "{RUN}"}}'
    replies = rest.send(sender, invitation)
    assert texts(replies) == [expected.intro(), expected.question(0)]
    chosen = ["keep_away", "yes_explode", "call_help", "agree", "disagree", "sometimes"]
    for number, option in enumerate(chosen):
        payload = next(
            b["payload"] for b in expected.buttons(number) if b["payload"].endswith(f':{option}"}}')
        )
        replies = rest.send(sender, payload)
        if number + 1 < len(chosen):
            assert texts(replies) == [expected.question(number + 1)]
            assert replies[-1]["buttons"] == expected.buttons(number + 1)
        else:
            assert texts(replies) == expected.ending(3)
    assert stored(rest, sender) == [
        ("kap-basic", RUN, "en", None, 3, dict(zip(QUESTION_IDS, chosen, strict=True)))
    ]


def test_a_button_of_an_earlier_question_asks_the_current_one_again(rest, renderer):
    expected = Expected(renderer, "en")
    sender = started(rest, expected)
    first = expected.buttons(0)[1]["payload"]
    assert texts(rest.send(sender, first)) == [expected.question(1)]
    assert texts(rest.send(sender, first)) == [expected.question(1)]
    assert texts(rest.send(sender, "maybe later")) == [
        expected.text("utter_survey_choose_one"),
        expected.question(1),
    ]


@pytest.mark.parametrize("language", ["en", "fr", "es", "uk", "ar", "km"])
def test_a_safety_message_in_the_middle_gets_the_safety_answer_then_the_question(rest, renderer, language):
    expected = Expected(renderer, language)
    sender = started(rest, expected)
    assert texts(rest.send(sender, TYPED[language][0])) == [expected.question(1)]
    assert texts(rest.send(sender, GRENADE[language])) == [
        expected.text("utter_found_object"),
        expected.question(1),
    ]
    # The survey goes on where it was.
    assert texts(rest.send(sender, TYPED[language][1])) == [expected.question(2)]


@pytest.mark.parametrize("language", ["en", "uk"])
def test_menu_stops_the_survey_and_keeps_nothing(rest, renderer, language):
    menu = {"en": "menu", "uk": "меню"}[language]
    expected = Expected(renderer, language)
    sender = started(rest, expected)
    rest.send(sender, "1")
    assert texts(rest.send(sender, menu)) == [
        expected.text("utter_survey_stopped"),
        expected.text("utter_help"),
    ]
    assert stored(rest, sender) == []
    # Answer words now are not survey answers.
    assert texts(rest.send(sender, "2")) != [expected.question(2)]


def test_delete_my_data_removes_the_survey_answers(rest, renderer):
    expected = Expected(renderer, "en")
    sender = started(rest, expected)
    for number in range(len(SURVEY.questions)):
        rest.send(sender, expected.buttons(number)[0]["payload"])
    first = ["pick_up", "yes_explode", "run_help", "agree", "agree", "always"]
    assert stored(rest, sender) == [
        ("kap-basic", None, "en", None, 1, dict(zip(QUESTION_IDS, first, strict=True)))
    ]
    # A second response later (the "after" of a before/after comparison) is kept apart.
    rest.send(sender, "/start_survey")
    for number in range(len(SURVEY.questions)):
        rest.send(sender, expected.buttons(number)[1]["payload"])
    assert len(stored(rest, sender)) == 2
    assert texts(rest.send(sender, "/delete_my_data")) == [expected.text("utter_delete_confirm")]
    assert texts(rest.send(sender, "/affirm")) == [expected.text("utter_data_deleted")]
    assert stored(rest, sender) == []


# ------------------------------------------------------------------ Telegram and SMS


def test_telegram_buttons(servers: Shared, renderer):
    telegram, webhook, chat = servers.telegram, servers.webhook, new_chat_id()
    expected = Expected(renderer, "en", "telegram")
    seen = 0

    def sent_after(count: int) -> list[dict[str, Any]]:
        nonlocal seen
        sent = wait_for(at_least(seen + count, lambda: telegram.sent_to(chat)))
        new, seen = sent[seen:], len(sent)
        return new

    webhook.say(chat, "take the survey")
    intro, first = sent_after(2)
    assert [intro["text"], first["text"]] == [expected.intro(), expected.question(0)]
    titles = [[b["text"] for b in row] for row in first["reply_markup"]["inline_keyboard"]]
    assert [t for row in titles for t in row] == [b["title"] for b in expected.buttons(0)]
    chosen = ["keep_away", "no_explode", "call_help", "agree", "disagree", "always"]
    last = first
    for number, option in enumerate(chosen):
        title = next(b["title"] for b in expected.buttons(number) if b["payload"].endswith(f':{option}"}}'))
        webhook.press(chat, callback_data(last, title))
        if number + 1 < len(chosen):
            (last,) = sent_after(1)
            assert last["text"] == expected.question(number + 1)
        else:
            assert [m["text"] for m in sent_after(2)] == expected.ending(2)
    conversation = servers.rest.telegram_conversation(chat)
    answers = dict(zip(QUESTION_IDS, chosen, strict=True))
    assert stored(servers.rest, conversation) == [("kap-basic", None, "en", None, 2, answers)]


def test_sms_numbered_menus(servers: Shared, renderer):
    sms, number = servers.sms, new_number("generic")
    expected = Expected(renderer, "en", "sms")

    def sms_question(index: int) -> str:
        found = expected.rendered(
            "utter_survey_question",
            survey_number=index + 1,
            survey_total=len(SURVEY.questions),
            survey_question=SURVEY.questions[index].text,
        )
        return compose(str(found["text"]), expected.buttons(index), 3).body

    assert sms.say(number, "take the survey", 2) == [expected.intro(), sms_question(0)]
    replies = ["2", "1", "2", "1", "3", "2"]
    for index, reply in enumerate(replies):
        if index + 1 < len(replies):
            assert sms.say(number, reply, 1) == [sms_question(index + 1)]
        else:
            assert sms.say(number, reply, 2) == expected.ending(3)
    chosen = ["keep_away", "yes_explode", "call_help", "agree", "disagree", "sometimes"]
    answers = dict(zip(QUESTION_IDS, chosen, strict=True))
    assert stored(servers.rest, sms.conversation_of(number)) == [("kap-basic", None, "en", None, 3, answers)]


def test_an_invitation_to_a_survey_that_does_not_exist_says_so_and_asks_nothing(rest, renderer):
    sender = new_sender()
    expected = Expected(renderer, "en")
    replies = texts(rest.send(sender, '/start_survey{"survey": "no-such-survey"}'))
    assert replies == [expected.text("utter_survey_unavailable")]
    assert texts(rest.send(sender, GRENADE["en"])) == [expected.text("utter_found_object")]
    assert stored(rest, sender) == []

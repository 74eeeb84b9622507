"""KAP surveys: the shipped file loads and follows the content brief, the check names each
problem with its line, typed answers (numbers, words) are read in every language, the score
counts knowledge questions only, the texts land in the catalogs, and answers are stored
(option ids only), compared first/latest and erased, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.babel_extract import iter_survey_messages
from bot.content.check import check_all
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs
from bot.outreach.feature import FEATURE, erase_surveys
from bot.outreach.store import survey_answers, survey_responses
from bot.outreach.survey_answers import SurveyResponse, before_after, erase_responses, save_response
from bot.outreach.surveys import check_survey_file, check_surveys, load_surveys, typed_option
from bot.paths import ProjectPaths, project_paths
from bot.privacy import SURVEYS, AppData
from bot.reports.spool import Spool
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer
from tests.factories import PROJECT_ROOT, copy_project

SHIPPED = project_paths(PROJECT_ROOT)
CATALOGS = Catalogs.load(SHIPPED.locales)
SURVEY = load_surveys(SHIPPED.surveys)["kap-basic"]

GOOD = """\
title: Test survey
intro: Three questions.
closing: Thank you.
questions:
  - id: see_object
    kind: knowledge
    text: You see a strange object. What should you do?
    options:
      - id: keep_away
        text: Keep away and report it
        correct: true
      - id: touch
        text: Pick it up
  - id: report_matters
    kind: attitude
    text: Reporting is important.
    options:
      - id: agree
        text: Agree
      - id: disagree
        text: Disagree
"""


def write(tmp_path: Path, text: str, name: str = "test.yml") -> Path:
    folder = tmp_path / "content" / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, name: str = "test.yml") -> list[str]:
    return [str(p) for p in check_survey_file(write(tmp_path, text, name), tmp_path)]


# ------------------------------------------------------------------ the shipped survey


def test_the_shipped_survey_has_knowledge_attitude_and_practice_questions():
    assert [(q.id, q.kind) for q in SURVEY.questions] == [
        ("see_object", "knowledge"),
        ("old_rusty", "knowledge"),
        ("injured", "knowledge"),
        ("report_matters", "attitude"),
        ("scrap_risk", "attitude"),
        ("known_paths", "practice"),
    ]
    assert SURVEY.knowledge_total == 3
    # The right answers follow the content brief: keep away and report; old items still
    # explode; do not run to an injured person, call for help.
    right = {q.id: [o.id for o in q.options if o.correct] for q in SURVEY.questions}
    assert right == {
        "see_object": ["keep_away"],
        "old_rusty": ["yes_explode"],
        "injured": ["call_help"],
        "report_matters": [],
        "scrap_risk": [],
        "known_paths": [],
    }


def test_no_survey_text_says_a_place_is_safe_or_cleared():
    said = [t for t in SURVEY.messages() if re.search(r"\b(safe|cleared|free of mines|mine-free)\b", t, re.I)]
    assert said == []


def test_the_shipped_surveys_pass_the_check_and_every_text_is_translated():
    assert check_surveys(SHIPPED) == []
    for language in SUPPORTED_LANGUAGES:
        if language != "en":
            untranslated = [t for t in SURVEY.messages() if CATALOGS.gettext(language, t) == t]
            assert untranslated == [], language


def test_the_survey_texts_are_extracted_for_translators_with_their_place():
    text = (SHIPPED.surveys / "kap-basic.yml").read_text(encoding="utf-8")
    extracted = list(iter_survey_messages(text))
    assert [m for _, _, m in extracted] == SURVEY.messages()
    assert [name for _, name, _ in extracted][:4] == [
        "survey:title",
        "survey:intro",
        "survey:see_object",
        "survey:see_object:pick_up",
    ]
    assert extracted[-1][1] == "survey:closing"
    lines = text.splitlines()
    assert all(message in lines[line - 1] for line, _, message in extracted)
    template = (SHIPPED.locales / "messages.pot").read_text(encoding="utf-8")
    assert all(f'msgid "{m}"' in template for m in SURVEY.messages())


# ------------------------------------------------------------------ scoring and typed answers


def test_the_score_counts_right_knowledge_answers_only():
    all_right = {"see_object": "keep_away", "old_rusty": "yes_explode", "injured": "call_help"}
    opinions = {"report_matters": "disagree", "scrap_risk": "agree", "known_paths": "never"}
    assert SURVEY.score({**all_right, **opinions}) == 3
    assert SURVEY.score({**all_right, "injured": "run_help", **opinions}) == 2
    assert SURVEY.score({"see_object": "pick_up", "old_rusty": "no_explode", "injured": "wait"}) == 0
    assert SURVEY.score({"see_object": "no_such_option"}) == 0


def test_next_question_is_the_first_not_answered():
    assert SURVEY.next_question({}) == SURVEY.questions[0]
    assert SURVEY.next_question({"see_object": "keep_away"}) == SURVEY.questions[1]
    assert SURVEY.next_question({q.id: q.options[0].id for q in SURVEY.questions}) is None


@pytest.mark.parametrize(
    ("language", "typed", "question", "option"),
    [
        ("en", "2", "see_object", "keep_away"),
        ("en", " 3. ", "see_object", "throw_stone"),
        ("ar", "٢", "see_object", "keep_away"),
        ("km", "២", "injured", "call_help"),
        ("en", "Keep away, warn others, report it", "see_object", "keep_away"),
        ("en", "agree", "report_matters", "agree"),
        ("en", "DISAGREE!", "report_matters", "disagree"),
        ("en", "no", "old_rusty", "no_explode"),
        ("fr", "pas d'accord", "report_matters", "disagree"),
        ("fr", "d'accord", "report_matters", "agree"),
        ("fr", "toujours", "known_paths", "always"),
        ("es", "a veces", "known_paths", "sometimes"),
        ("es", "En desacuerdo", "scrap_risk", "disagree"),
        ("uk", "іноді", "known_paths", "sometimes"),
        ("uk", "Не згоден", "report_matters", "disagree"),
        ("ar", "أبدًا", "known_paths", "never"),
        ("ar", "أوافق", "scrap_risk", "agree"),
        ("km", "ពេលខ្លះ", "known_paths", "sometimes"),
        ("km", "មិនយល់ស្រប", "report_matters", "disagree"),
        # English words are read in any language.
        ("uk", "always", "known_paths", "always"),
    ],
)
def test_typed_answers_are_numbers_or_option_words(language, typed, question, option):
    found = SURVEY.question(question)
    assert found is not None
    assert typed_option(found, typed, lambda text: CATALOGS.gettext(language, text)) == option


@pytest.mark.parametrize("typed", ["0", "5", "maybe", "I found a grenade", "", "a"])
def test_other_typed_text_is_not_an_answer(typed):
    question = SURVEY.question("see_object")
    assert question is not None
    assert typed_option(question, typed, lambda text: text) is None


# ------------------------------------------------------------------ the check


def test_a_valid_survey_has_no_problem(tmp_path):
    assert problems(tmp_path, GOOD) == []


def test_each_problem_is_named_with_its_line(tmp_path):
    broken = (
        GOOD.replace("closing: Thank you.\n", "")
        .replace("    kind: attitude", "    kind: opinion")
        .replace("      - id: touch\n", "      - id: keep_away\n")
        .replace("        correct: true\n", "")
        .replace("        text: Agree", "        text: Agree {name}")
    )
    assert problems(tmp_path, broken) == [
        "content/surveys/test.yml:1: `closing` is missing",
        "content/surveys/test.yml:10: option id `keep_away` is used twice in this question",
        "content/surveys/test.yml:7: a knowledge question needs at least one option with `correct: true`",
        "content/surveys/test.yml:13: `kind` is one of knowledge, attitude, practice",
        "content/surveys/test.yml:17: `text` may not use {placeholders} or braces",
    ]


def test_right_answers_only_on_knowledge_questions_and_options_bounded(tmp_path):
    broken = GOOD.replace(
        "        text: Disagree\n", "        text: Disagree\n        correct: true\n"
    ).replace("      - id: touch\n        text: Pick it up\n", "")
    assert problems(tmp_path, broken) == [
        "content/surveys/test.yml:8: `options` must list 2 to 9 answers",
        "content/surveys/test.yml:20: attitude questions have no right answer (no `correct`)",
    ]


def test_bad_ids_names_fields_and_yaml(tmp_path):
    assert problems(tmp_path, GOOD.replace("id: see_object", "id: See Object")) == [
        "content/surveys/test.yml:5: a question needs an `id` of a-z, 0-9 and _ (at most 32)"
    ]
    assert problems(tmp_path, GOOD.replace("id: report_matters", "id: see_object")) == [
        "content/surveys/test.yml:14: question id `see_object` is used twice"
    ]
    assert problems(tmp_path, GOOD + "colour: red\n") == [
        "content/surveys/test.yml:1: unknown field(s): colour"
    ]
    assert problems(tmp_path, GOOD, name="Bad Name.yml") == [
        "content/surveys/Bad Name.yml:1: a survey's file name is a-z, 0-9, - and _ (it is the survey's name)"
    ]
    assert problems(tmp_path, "title: [unclosed\n")[0].startswith(
        "content/surveys/test.yml:2: not valid YAML"
    )
    assert problems(tmp_path, GOOD.replace("questions:\n", "questions: []\nx:\n").split("  - id")[0]) == [
        "content/surveys/test.yml:4: a survey has 1 to 10 questions, not 0",
        "content/surveys/test.yml:1: unknown field(s): x",
    ]


def test_a_broken_file_is_not_loaded(tmp_path):
    write(tmp_path, GOOD, "good.yml")
    write(tmp_path, GOOD.replace("kind: attitude", "kind: opinion"), "broken.yml")
    assert sorted(load_surveys(tmp_path / "content" / "surveys")) == ["good"]


def test_bot_content_check_says_which_survey_texts_are_not_translated(tmp_path):
    paths = copy_project(tmp_path)
    write(tmp_path, GOOD.replace("Thank you.", "Thank you very much."), "kap-extra.yml")
    found = [str(p) for p in check_all(paths) if "kap-extra" in p.path]
    # Sorted by line, then message: the languages in alphabetical order. "Agree" and "Disagree"
    # are translated already (the shipped survey has them).
    untranslated = (
        (1, "Test survey"),
        (2, "Three questions."),
        (3, "Thank you very much."),
        (7, "You see a strange object. What should you do?"),
        (10, "Keep away and report it"),
        (13, "Pick it up"),
        (16, "Reporting is important."),
    )
    assert found == [
        f"content/surveys/kap-extra.yml:{line}: not translated in the {language} catalog "
        f"(not in the catalog; run `bot content update`, then translate): {text!r}"
        for line, text in untranslated
        for language in ("ar", "es", "fr", "km", "uk")
    ]


def test_the_outreach_feature_registers_the_check_the_placeholders_and_the_erase_hook():
    assert check_surveys in FEATURE.checks
    assert FEATURE.erase[SURVEYS] is erase_surveys
    assert {"survey_question", "survey_score", "survey_closing"} <= FEATURE.placeholders


# ------------------------------------------------------------------ storing


def response(id_: str, pseudonym: str, score: int, day: int, answers: dict[str, str]) -> SurveyResponse:
    started = dt.datetime(2026, 12, day, 9, 0, tzinfo=dt.timezone.utc)
    return SurveyResponse(
        id=id_,
        survey="kap-basic",
        pseudonym=pseudonym,
        language="km",
        country="cambodia",
        run_id="campaign:kap:2026-12-01" if day == 1 else None,
        started_at=started,
        completed_at=started + dt.timedelta(minutes=3),
        score=score,
        answers=answers,
    )


def rows(database: Database) -> tuple[list[dict], list[tuple]]:
    with database.sessions.begin() as session:
        responses = [
            dict(r)
            for r in session.execute(survey_responses.select().order_by(survey_responses.c.id)).mappings()
        ]
        answers = session.execute(
            sa.select(
                survey_answers.c.response_id, survey_answers.c.question, survey_answers.c.answer
            ).order_by(survey_answers.c.response_id, survey_answers.c.question)
        ).all()
    return responses, [tuple(a) for a in answers]


def test_a_response_is_stored_once_with_option_ids_only(app_database: Database):
    first = response("r1", "p-a", 1, 1, {"see_object": "keep_away", "old_rusty": "no_explode"})
    with app_database.sessions.begin() as session:
        assert save_response(session, first) is True
    with app_database.sessions.begin() as session:
        assert save_response(session, first) is False  # a retried action stores nothing more
    responses, answers = rows(app_database)
    fields = ("id", "survey", "pseudonym", "run_id", "language", "country", "score")
    assert [tuple(r[f] for f in fields) for r in responses] == [
        ("r1", "kap-basic", "p-a", "campaign:kap:2026-12-01", "km", "cambodia", 1)
    ]
    assert answers == [("r1", "old_rusty", "no_explode"), ("r1", "see_object", "keep_away")]


def test_before_and_after_compares_each_persons_first_and_latest_response(app_database: Database):
    with app_database.sessions.begin() as session:
        save_response(session, response("r2", "p-a", 3, 20, {}))
        save_response(session, response("r1", "p-a", 1, 1, {}))
        save_response(session, response("r3", "p-b", 2, 2, {}))
    with app_database.sessions.begin() as session:
        found = sorted(before_after(session, "kap-basic"), key=lambda b: b.pseudonym)
    assert [(b.pseudonym, b.first_score, b.latest_score, b.first_at.day, b.latest_at.day, b.responses)
            for b in found] == [("p-a", 1, 3, 1, 20, 2), ("p-b", 2, 2, 2, 2, 1)]  # fmt: skip


def test_erasing_removes_only_that_persons_responses_and_answers(app_database: Database, tmp_path: Path):
    with app_database.sessions.begin() as session:
        save_response(session, response("r1", "p-a", 1, 1, {"see_object": "keep_away"}))
        save_response(session, response("r2", "p-a", 2, 2, {"see_object": "keep_away"}))
        save_response(session, response("r3", "p-b", 2, 2, {"see_object": "pick_up"}))
    erase_surveys(AppData(app_database, Spool.for_var(tmp_path), Pseudonymizer(b"k" * 32)), "p-a")
    responses, answers = rows(app_database)
    assert [r["id"] for r in responses] == ["r3"]
    assert answers == [("r3", "see_object", "pick_up")]
    with app_database.sessions.begin() as session:
        assert erase_responses(session, "p-a") == 0


def test_paths_name_the_surveys_folder(tmp_path):
    assert ProjectPaths(tmp_path).surveys == tmp_path / "content" / "surveys"

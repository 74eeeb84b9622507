"""Knowledge/attitude/practice surveys: the content files (content/surveys/<name>.yml), their
check, the typed answers they accept and the knowledge score.

A survey's texts are English here and translated through the catalogs (bot/babel_extract.py
extracts them); what is stored is the option ids only (bot/outreach/survey_answers.py).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

import yaml

from bot.content.problems import Problem, compose, mapping_items, relative
from bot.paths import ProjectPaths
from bot.responses import placeholders
from bot.sms.menu import choose

logger = logging.getLogger(__name__)

KNOWLEDGE = "knowledge"
KINDS = (KNOWLEDGE, "attitude", "practice")
MAX_QUESTIONS = 10
# Numbered 1-9 on SMS: one digit per option.
MAX_OPTIONS = 9
MIN_OPTIONS = 2
MAX_TEXT = 300
MAX_OPTION_TEXT = 60
_ID = re.compile(r"^[a-z0-9_]{1,32}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TEXT_FIELDS = ("title", "intro", "closing")
# The survey started when someone types "survey" with no survey named (the button says which).
DEFAULT_SURVEY = "kap-basic"

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Option:
    """One answer a question offers."""

    id: str
    text: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    """One question: knowledge questions have right answers, attitude and practice none."""

    id: str
    kind: str
    text: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Optional[Option]:
        """The option with this id, if the question has one."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Survey:
    """A survey as its content file defines it."""

    name: str
    title: str
    intro: str
    closing: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Optional[Question]:
        """The question with this id, if any."""
        return next((q for q in self.questions if q.id == question_id), None)

    def next_question(self, answers: Mapping[str, str]) -> Optional[Question]:
        """The first question not answered yet; None when every one is."""
        return next((q for q in self.questions if q.id not in answers), None)

    @property
    def knowledge_total(self) -> int:
        """How many questions count in the score."""
        return sum(q.kind == KNOWLEDGE for q in self.questions)

    def score(self, answers: Mapping[str, str]) -> int:
        """Knowledge questions answered with a right option."""
        right = 0
        for question in self.questions:
            chosen = question.option(answers.get(question.id, ""))
            right += question.kind == KNOWLEDGE and chosen is not None and chosen.correct
        return right

    def messages(self) -> list[str]:
        """Every text staff wrote (the msgids translators see), in file order."""
        texts = [self.title, self.intro]
        for question in self.questions:
            texts.append(question.text)
            texts += [o.text for o in question.options]
        return [*texts, self.closing]


def _normal(text: str) -> str:
    """Case, accents, punctuation and spaces do not matter (the same on both sides of a match)."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^\w]+", " ", unicodedata.normalize("NFC", bare)).split())


def _titles(question: Question, translate: Translate) -> dict[str, set[str]]:
    return {o.id: {_normal(translate(o.text)), _normal(o.text)} for o in question.options}


def exact_option(question: Question, text: str, translate: Translate) -> Optional[str]:
    """The option whose whole text (in the conversation's language or English) was typed."""
    typed = _normal(text)
    exact = [option_id for option_id, names in _titles(question, translate).items() if typed in names]
    return exact[0] if typed and len(exact) == 1 else None


def typed_option(question: Question, text: str, translate: Translate) -> Optional[str]:
    """The option a typed answer names: its number ("2", "٢", "២"), or its text in the
    conversation's language or in English (whole, or words that only one option has)."""
    by_number = choose(text, [o.id for o in question.options])
    if by_number is not None:
        return by_number
    exact = exact_option(question, text, translate)
    if exact is not None:
        return exact
    typed = _normal(text)
    if len(typed) < 2:
        return None
    padded = f" {typed} "
    titles = _titles(question, translate)
    partial = [i for i, names in titles.items() if any(padded in f" {name} " for name in names)]
    return partial[0] if len(partial) == 1 else None


# ------------------------------------------------------------------------- loading


class SurveyError(ValueError):
    """A survey file that cannot be used (the check says where)."""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_survey(name: str, data: Any) -> Survey:
    """A Survey from a file's parsed YAML; raises SurveyError when it is not usable."""
    if not isinstance(data, dict):
        raise SurveyError(f"{name}: not a mapping")
    questions = []
    for raw in data.get("questions") or []:
        if not isinstance(raw, dict):
            raise SurveyError(f"{name}: a question is not a mapping")
        options = tuple(
            Option(str(o.get("id", "")), _text(o.get("text")), o.get("correct") is True)
            for o in raw.get("options") or []
            if isinstance(o, dict)
        )
        questions.append(
            Question(str(raw.get("id", "")), str(raw.get("kind", "")), _text(raw.get("text")), options)
        )
    survey = Survey(
        name=name,
        title=_text(data.get("title")),
        intro=_text(data.get("intro")),
        closing=_text(data.get("closing")),
        questions=tuple(questions),
    )
    problems = _survey_problems(survey)
    if problems:
        raise SurveyError(f"{name}: {problems[0]}")
    return survey


def survey_files(folder: Path) -> list[Path]:
    """The survey files of the folder (none when it does not exist)."""
    return sorted(folder.glob("*.yml")) if folder.is_dir() else []


def load_surveys(folder: Path) -> dict[str, Survey]:
    """Every usable survey by name; a broken file is logged and left out (`bot content check`
    says why)."""
    surveys: dict[str, Survey] = {}
    for path in survey_files(folder):
        if check_survey_file(path, folder):
            logger.error("Survey file %s is not usable (run `bot content check`)", path.name)
            continue
        try:
            surveys[path.stem] = parse_survey(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError, SurveyError):
            logger.error("Survey file %s is not usable (run `bot content check`)", path.name)
    return surveys


# ------------------------------------------------------------------------- the check


def _survey_problems(survey: Survey) -> list[str]:
    """What is wrong with a parsed survey, as messages (the check adds the lines)."""
    problems: list[str] = []
    for field in TEXT_FIELDS:
        if not getattr(survey, field):
            problems.append(f"`{field}` is missing")
    if not 1 <= len(survey.questions) <= MAX_QUESTIONS:
        problems.append(f"a survey has 1 to {MAX_QUESTIONS} questions, not {len(survey.questions)}")
    return problems


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text_problems(where: str, line: int, field: str, node: yaml.Node, limit: int) -> list[Problem]:
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, str) or not value.strip():
        return [Problem(where, line, f"`{field}` must be a text")]
    problems = []
    if placeholders(value) or "{" in value or "}" in value:
        problems.append(Problem(where, line, f"`{field}` may not use {{placeholders}} or braces"))
    if len(value) > limit:
        problems.append(Problem(where, line, f"`{field}` is {len(value)} characters (at most {limit})"))
    return problems


def _option_problems(where: str, kind: str, node: yaml.Node, line: int) -> list[Problem]:
    if not isinstance(node, yaml.SequenceNode) or not MIN_OPTIONS <= len(node.value) <= MAX_OPTIONS:
        return [Problem(where, line, f"`options` must list {MIN_OPTIONS} to {MAX_OPTIONS} answers")]
    problems: list[Problem] = []
    seen: set[str] = set()
    correct = 0
    for option in node.value:
        fields = {key: (value, at) for key, value, at in mapping_items(option)}
        at = _line(option)
        option_id = (
            fields["id"][0].value if "id" in fields and isinstance(fields["id"][0], yaml.ScalarNode) else ""
        )
        if not _ID.match(str(option_id)):
            problems.append(Problem(where, at, "an option needs an `id` of a-z, 0-9 and _ (at most 32)"))
        elif option_id in seen:
            problems.append(Problem(where, at, f"option id `{option_id}` is used twice in this question"))
        seen.add(str(option_id))
        if "text" in fields:
            problems += _text_problems(where, fields["text"][1], "text", fields["text"][0], MAX_OPTION_TEXT)
        else:
            problems.append(Problem(where, at, "an option needs a `text`"))
        if "correct" in fields:
            value = fields["correct"][0]
            is_true = isinstance(value, yaml.ScalarNode) and value.value in ("true", "True")
            if kind != KNOWLEDGE:
                problems.append(
                    Problem(
                        where, fields["correct"][1], f"{kind} questions have no right answer (no `correct`)"
                    )
                )
            elif not is_true:
                problems.append(Problem(where, fields["correct"][1], "`correct` is true or left out"))
            correct += is_true
        unknown = sorted(set(fields) - {"id", "text", "correct"})
        if unknown:
            problems.append(Problem(where, at, f"unknown option field(s): {', '.join(unknown)}"))
    if kind == KNOWLEDGE and correct == 0:
        problems.append(
            Problem(where, line, "a knowledge question needs at least one option with `correct: true`")
        )
    return problems


def _question_problems(where: str, node: yaml.Node, seen: set[str]) -> list[Problem]:
    fields = {key: (value, at) for key, value, at in mapping_items(node)}
    line = _line(node)
    problems: list[Problem] = []
    raw_id = fields["id"][0] if "id" in fields else None
    question_id = raw_id.value if isinstance(raw_id, yaml.ScalarNode) else ""
    if not _ID.match(str(question_id)):
        problems.append(Problem(where, line, "a question needs an `id` of a-z, 0-9 and _ (at most 32)"))
    elif question_id in seen:
        problems.append(Problem(where, line, f"question id `{question_id}` is used twice"))
    seen.add(str(question_id))
    raw_kind = fields["kind"][0] if "kind" in fields else None
    kind = raw_kind.value if isinstance(raw_kind, yaml.ScalarNode) else ""
    if kind not in KINDS:
        at = fields["kind"][1] if "kind" in fields else line
        problems.append(Problem(where, at, f"`kind` is one of {', '.join(KINDS)}"))
    if "text" in fields:
        problems += _text_problems(where, fields["text"][1], "text", fields["text"][0], MAX_TEXT)
    else:
        problems.append(Problem(where, line, "a question needs a `text`"))
    if "options" in fields:
        problems += _option_problems(where, kind, fields["options"][0], fields["options"][1])
    else:
        problems.append(Problem(where, line, "a question needs `options`"))
    unknown = sorted(set(fields) - {"id", "kind", "text", "options"})
    if unknown:
        problems.append(Problem(where, line, f"unknown question field(s): {', '.join(unknown)}"))
    return problems


def check_survey_file(path: Path, root: Path) -> list[Problem]:
    """Every problem of one survey file, with its line."""
    where = relative(path, root)
    if not _NAME.match(path.stem):
        return [Problem(where, 1, "a survey's file name is a-z, 0-9, - and _ (it is the survey's name)")]
    node, problems = compose(path, where)
    if problems:
        return problems
    if not isinstance(node, yaml.MappingNode):
        return [Problem(where, 1, "a survey file is a mapping (title, intro, closing, questions)")]
    fields = {key: (value, at) for key, value, at in mapping_items(node)}
    for field in TEXT_FIELDS:
        if field in fields:
            problems += _text_problems(where, fields[field][1], field, fields[field][0], MAX_TEXT)
        else:
            problems.append(Problem(where, 1, f"`{field}` is missing"))
    questions = fields.get("questions")
    if questions is None or not isinstance(questions[0], yaml.SequenceNode):
        problems.append(Problem(where, questions[1] if questions else 1, "`questions` must be a list"))
    else:
        count = len(questions[0].value)
        if not 1 <= count <= MAX_QUESTIONS:
            problems.append(
                Problem(where, questions[1], f"a survey has 1 to {MAX_QUESTIONS} questions, not {count}")
            )
        seen: set[str] = set()
        for question in questions[0].value:
            problems += _question_problems(where, question, seen)
    unknown = sorted(set(fields) - {*TEXT_FIELDS, "questions"})
    if unknown:
        problems.append(Problem(where, 1, f"unknown field(s): {', '.join(unknown)}"))
    return problems


def check_translations(path: Path, paths: ProjectPaths, languages: Sequence[str]) -> list[Problem]:
    """Every text of a (valid) survey translated in each language's catalog."""
    from bot.babel_extract import iter_survey_messages
    from bot.content.translations import MISSING, language_status

    where = relative(path, paths.root)
    messages = list(iter_survey_messages(path.read_text(encoding="utf-8")))
    lines = {message: line for line, _, message in reversed(messages)}
    problems: list[Problem] = []
    for language in languages:
        status = language_status(paths.locales, language, [m for _, _, m in messages])
        for entry in status.entries:
            if entry.status == MISSING:
                problems.append(
                    Problem(
                        where,
                        lines[entry.msgid],
                        f"not translated in the {language} catalog ({entry.reason}; run "
                        f"`bot content update`, then translate): {entry.msgid[:50]!r}",
                    )
                )
    return problems


def check_surveys(paths: ProjectPaths) -> list[Problem]:
    """The `Feature.checks` entry: every survey file's fields, then its translations."""
    from bot.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES

    languages = [code for code in SUPPORTED_LANGUAGES if code != SOURCE_LANGUAGE]
    problems: list[Problem] = []
    for path in survey_files(paths.surveys):
        found = check_survey_file(path, paths.root)
        problems += found
        if not found:
            problems += check_translations(path, paths, languages)
    return problems

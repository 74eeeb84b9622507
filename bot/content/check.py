"""`bot content check`: validate what NGO staff edit, with file:line messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, TextIO

import yaml
from babel.messages.pofile import PoFileError

from bot.babel_extract import iter_response_messages
from bot.content.countries import GENERIC_PROFILE, NUMBER_KINDS, PROFILE_RESPONSES, load_profiles
from bot.content.phones import phone_number_problem
from bot.content.translations import REVIEW, TRANSLATED, language_status, read_catalog
from bot.i18n import CATALOG_DOMAIN, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES
from bot.nlu.safety_terms import TERM_KEYS
from bot.paths import ProjectPaths
from bot.quiz import QUIZ_PLACEHOLDERS
from bot.responses import placeholders


@dataclass(frozen=True)
class Problem:
    """One thing to fix, located in a file."""

    path: str
    line: int
    message: str
    # A warning is shown but does not stop `bot serve` (e.g. a translation under review).
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


NUMBER_PLACEHOLDERS = frozenset(f"{kind}_number" for kind in NUMBER_KINDS)
# cards: the country's own lessons; warning_pictures: the warning-signs lesson's pictures on
# Telegram; PROFILE_RESPONSES: a country's own version of a response.
PROFILE_KEYS = {
    "name",
    "iso2",
    "default_language",
    "languages",
    "safe_distance_m",
    "numbers",
    "cards",
    "warning_pictures",
} | set(PROFILE_RESPONSES)
NUMBER_KEYS = {"number", "verified", "source"}


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _compose(path: Path, where: str) -> tuple[Optional[yaml.Node], list[Problem]]:
    """The file's YAML node tree (with line numbers), or the syntax problem."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [Problem(where, (mark.line + 1) if mark else 1, f"not valid YAML: {error}")]


# -------------------------------------------------------------- country profiles


def _mapping_items(node: yaml.Node) -> Iterator[tuple[str, yaml.Node, int]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield str(key.value), value, key.start_mark.line + 1


def _number_problems(
    where: str, line: int, kind: str, node: yaml.Node, iso2: Optional[str]
) -> Iterator[Problem]:
    entry = {key: (value, ln) for key, value, ln in _mapping_items(node)}
    for key in sorted(set(entry) - NUMBER_KEYS):
        yield Problem(where, entry[key][1], f"unknown field '{key}' in number '{kind}'")
    if "number" not in entry or not isinstance(entry["number"][0], yaml.ScalarNode):
        yield Problem(where, line, f"number '{kind}' has no 'number'")
        return
    raw, number_line = str(entry["number"][0].value), entry["number"][1]
    if "verified" not in entry or entry["verified"][0].value not in ("true", "false"):
        yield Problem(where, line, f"number '{kind}' must say verified: true or false")
    problem = phone_number_problem(raw, iso2)
    if problem:
        yield Problem(where, number_line, problem)


def check_profile(path: Path, root: Path) -> tuple[list[Problem], Optional[str]]:
    """Problems of one country profile, and its country code when it has a valid one."""
    where = _relative(path, root)
    node, syntax = _compose(path, where)
    if syntax:
        return syntax, None
    if not isinstance(node, yaml.MappingNode):
        return [Problem(where, 1, "a country profile must be a mapping of fields")], None
    fields = {key: (value, line) for key, value, line in _mapping_items(node)}
    problems = [
        Problem(where, line, f"unknown field '{key}'")
        for key, (_, line) in fields.items()
        if key not in PROFILE_KEYS
    ]
    for required in ("name", "default_language", "numbers"):
        if required not in fields:
            problems.append(Problem(where, 1, f"missing field '{required}'"))
    iso2 = fields["iso2"][0].value if "iso2" in fields else None
    if iso2 is not None and (len(str(iso2)) != 2 or not str(iso2).isalpha()):
        problems.append(Problem(where, fields["iso2"][1], f"iso2 '{iso2}' is not a 2-letter country code"))
        iso2 = None
    if "default_language" in fields:
        value, line = fields["default_language"]
        if value.value not in SUPPORTED_LANGUAGES:
            problems.append(
                Problem(
                    where,
                    line,
                    f"default_language '{value.value}' is not one of {', '.join(SUPPORTED_LANGUAGES)}",
                )
            )
    if "languages" in fields:
        value, line = fields["languages"]
        for item in value.value if isinstance(value, yaml.SequenceNode) else []:
            if item.value not in SUPPORTED_LANGUAGES:
                problems.append(
                    Problem(where, item.start_mark.line + 1, f"language '{item.value}' is not supported")
                )
    if "numbers" in fields:
        numbers_node, _ = fields["numbers"]
        for kind, number_node, line in _mapping_items(numbers_node):
            if kind not in NUMBER_KINDS:
                problems.append(
                    Problem(where, line, f"unknown number kind '{kind}' (use {', '.join(NUMBER_KINDS)})")
                )
            problems.extend(_number_problems(where, line, kind, number_node, iso2))
        if path.stem == GENERIC_PROFILE and list(_mapping_items(numbers_node)):
            problems.append(Problem(where, fields["numbers"][1], "the generic profile must have no numbers"))
    return problems, iso2


def check_profiles(paths: ProjectPaths) -> tuple[list[Problem], set[str]]:
    """Problems of all profiles, and the ids of profiles with a country code."""
    problems: list[Problem] = []
    with_iso2: set[str] = set()
    files = sorted(paths.countries.glob("*.yml"))
    if not any(f.stem == GENERIC_PROFILE for f in files):
        problems.append(
            Problem(_relative(paths.countries, paths.root), 0, f"missing the '{GENERIC_PROFILE}.yml' profile")
        )
    for path in files:
        found, iso2 = check_profile(path, paths.root)
        problems.extend(found)
        if iso2:
            with_iso2.add(path.stem)
    return problems, with_iso2


def check_profile_responses(paths: ProjectPaths, responses: set[str]) -> list[Problem]:
    """A profile field that names a response (survivor_entitlements...) must name one of domain.yml."""
    problems: list[Problem] = []
    for path in sorted(paths.countries.glob("*.yml")):
        node, syntax = _compose(path, _relative(path, paths.root))
        if syntax or node is None:
            continue
        for key, value, line in _mapping_items(node):
            if key not in PROFILE_RESPONSES:
                continue
            if not isinstance(value, yaml.ScalarNode) or str(value.value) not in responses:
                problems.append(
                    Problem(
                        _relative(path, paths.root),
                        line,
                        f"{key}: '{getattr(value, 'value', '')}' is not a response of domain.yml "
                        f"(it is sent instead of {PROFILE_RESPONSES[key]})",
                    )
                )
    return problems


# -------------------------------------------------------------- responses


def known_placeholders(profile_ids: set[str]) -> set[str]:
    """Every {placeholder} the NLG can fill."""
    names = set(NUMBER_PLACEHOLDERS) | {"safe_distance", "country_name"}
    names |= {f"language_name_{code}" for code in SUPPORTED_LANGUAGES}
    names |= {f"country_name_{pid}" for pid in profile_ids}
    # --- hazard reports: the report number, passed by action_submit_hazard_report ---
    names.add("reference")
    # --- services directory: a service's fields, passed by action_show_services ---
    names |= {"organisation", "service", "address", "phone", "hours", "languages", "accessibility"}
    # --- quiz: the score, counted by the NLG (bot/quiz.py) ---
    names |= set(QUIZ_PLACEHOLDERS)
    return names


Messages = list[tuple[int, str, str]]


def check_domain(paths: ProjectPaths, text: str, messages: Messages, profile_ids: set[str]) -> list[Problem]:
    """Unknown placeholders, and responses whose last variation needs a phone number."""
    where = _relative(paths.domain, paths.root)
    known = known_placeholders(profile_ids)
    problems = [
        Problem(where, line, f"{name}: unknown placeholder {{{field}}}")
        for line, name, message in messages
        for field in sorted(placeholders(message) - known)
    ]
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    responses = (yaml.safe_load(text) or {}).get("responses") or {}
    lines = {key: line for key, _, line in _mapping_items(_child(node, "responses"))}
    for name, variations in responses.items():
        # The NLG falls back to the last variation of the channel's group, so in
        # each group (general, sms, ...) the last one must work without numbers.
        groups: dict[Optional[str], list[dict[str, Any]]] = {}
        for variation in variations or []:
            groups.setdefault(variation.get("channel"), []).append(variation)
        for channel, group in groups.items():
            if placeholders(_all_text(group[-1])) & NUMBER_PLACEHOLDERS:
                label = f" ({channel})" if channel else ""
                problems.append(
                    Problem(
                        where,
                        lines.get(name, 1),
                        f"{name}{label}: the last variation must need no phone number "
                        "(it is used where the country has none)",
                    )
                )
    return problems


def _child(node: Optional[yaml.Node], key: str) -> yaml.Node:
    for name, value, _ in _mapping_items(node) if node is not None else ():
        if name == key:
            return value
    return yaml.MappingNode(tag="tag:yaml.org,2002:map", value=[])


def _all_text(variation: dict[str, Any]) -> str:
    titles = [b.get("title", "") for b in variation.get("buttons") or []]
    return " ".join([str(variation.get("text", ""))] + [str(t) for t in titles])


# -------------------------------------------------------------- country cards


def check_cards(paths: ProjectPaths, messages: Messages) -> list[Problem]:
    """Every card a profile lists (`cards:`) is a response of domain.yml translated in every language."""
    texts: dict[str, list[str]] = {}
    for _, name, message in messages:
        texts.setdefault(name, []).append(message)
    missing: dict[str, set[str]] = {}
    for language in SUPPORTED_LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        msgids = {m for _, _, m in messages}
        status = language_status(paths.locales, language, msgids)
        served = {e.msgid for e in status.entries if e.status in (TRANSLATED, REVIEW)}
        missing[language] = msgids - served
    problems: list[Problem] = []
    for path in sorted(paths.countries.glob("*.yml")):
        where = _relative(path, paths.root)
        node, _ = _compose(path, where)  # a syntax error is reported by check_profile
        fields = {key: (value, line) for key, value, line in _mapping_items(node)} if node is not None else {}
        if "cards" not in fields:
            continue
        value, line = fields["cards"]
        if not isinstance(value, yaml.SequenceNode):
            problems.append(Problem(where, line, "'cards' must be a list of response keys"))
            continue
        for item in value.value:
            item_line = item.start_mark.line + 1
            key = str(item.value) if isinstance(item, yaml.ScalarNode) else ""
            if key not in texts:
                problems.append(Problem(where, item_line, f"card '{key}' is not a response in domain.yml"))
                continue
            for language, untranslated in missing.items():
                if any(text in untranslated for text in texts[key]):
                    problems.append(
                        Problem(where, item_line, f"card '{key}' is not translated in {language}")
                    )
    return problems


# -------------------------------------------------------------- catalogs


def catalog_path(paths: ProjectPaths, language: str) -> Path:
    """The .po file of one language."""
    return paths.locales / language / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


def check_catalog(paths: ProjectPaths, messages: Messages, language: str) -> list[Problem]:
    """Every domain message translated with the same placeholders; a fuzzy entry is a warning
    when its previous translation is served, an error when it is another message's."""
    po_path = catalog_path(paths, language)
    where = _relative(po_path, paths.root)
    if not po_path.exists():
        return [Problem(where, 0, "catalog missing (run `make messages`)")]
    try:
        read_catalog(po_path)
    except (PoFileError, ValueError, UnicodeDecodeError) as error:
        return [Problem(where, 0, f"cannot read catalog: {error}")]
    lines = {message: line for line, _, message in reversed(messages)}
    status = language_status(paths.locales, language, (m for _, _, m in messages))
    problems: list[Problem] = []
    domain_where = _relative(paths.domain, paths.root)
    for entry in status.entries:
        short = repr(entry.msgid[:50])
        if entry.status == REVIEW:
            problems.append(
                Problem(
                    where,
                    entry.line,
                    f"fuzzy (needs review): the English text changed; the previous {language} "
                    f"translation is served until a reviewer confirms it: {short}",
                    warning=True,
                )
            )
        elif entry.status == TRANSLATED:
            if entry.served is not None and placeholders(entry.served) != placeholders(entry.msgid):
                problems.append(_placeholder_problem(where, entry.line, entry.served, entry.msgid))
        elif entry.reason == "not in the catalog":
            problems.append(
                Problem(
                    domain_where,
                    lines[entry.msgid],
                    f"not in the {language} catalog (run `make messages`): {short}",
                )
            )
        elif entry.reason == "untranslated":
            problems.append(Problem(where, entry.line, f"untranslated: {short}"))
        elif entry.reason.startswith("fuzzy"):
            problems.append(
                Problem(where, entry.line, f"fuzzy, and {entry.reason} (English is served): {short}")
            )
        else:
            translated = _catalog_string(po_path, entry.msgid)
            problems.append(_placeholder_problem(where, entry.line, translated, entry.msgid))
    return problems


def _placeholder_problem(where: str, line: int, translated: str, source: str) -> Problem:
    return Problem(
        where,
        line,
        f"placeholders {sorted(placeholders(translated))} "
        f"differ from the source's {sorted(placeholders(source))}",
    )


def _catalog_string(po_path: Path, msgid: str) -> str:
    message = read_catalog(po_path).get(msgid)
    return str(message.string) if message is not None and message.string else ""


# -------------------------------------------------------------- safety net


def check_safety_net(paths: ProjectPaths) -> list[Problem]:
    """Every language has a term file with lists of terms for the three safety intents."""
    problems: list[Problem] = []
    for language in SUPPORTED_LANGUAGES:
        path = paths.safety_net / f"{language}.yml"
        where = _relative(path, paths.root)
        if not path.exists():
            problems.append(Problem(where, 0, "missing: every language needs urgent terms"))
            continue
        node, syntax = _compose(path, where)
        if syntax:
            problems += syntax
            continue
        found = set()
        for key, value, line in _mapping_items(node) if node is not None else ():
            found.add(key)
            if key not in TERM_KEYS:
                problems.append(Problem(where, line, f"unknown key '{key}' (use {', '.join(TERM_KEYS)})"))
            elif not isinstance(value, yaml.SequenceNode) or not value.value:
                problems.append(Problem(where, line, f"'{key}' must be a list of terms"))
            else:
                for item in value.value:
                    if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                        problems.append(Problem(where, item.start_mark.line + 1, "empty or non-text term"))
        for missing in sorted(set(TERM_KEYS) - found):
            problems.append(Problem(where, 1, f"no terms for '{missing}'"))
    return problems


# -------------------------------------------------------------- sms keywords


def check_sms_keywords(paths: ProjectPaths) -> list[Problem]:
    """Every SMS keyword has words per language, all of them text (YAML reads a bare yes as true)."""
    from bot.sms.keywords import KEYWORDS

    path = paths.sms_keywords
    where = _relative(path, paths.root)
    if not path.exists():
        return [Problem(where, 0, "missing: SMS keywords")]
    node, problems = _compose(path, where)
    if problems:
        return problems
    found = set()
    for key, value, line in _mapping_items(node) if node is not None else ():
        found.add(key)
        if key not in KEYWORDS:
            problems.append(Problem(where, line, f"unknown keyword '{key}' (use {', '.join(KEYWORDS)})"))
            continue
        if not isinstance(value, yaml.MappingNode) or not value.value:
            problems.append(Problem(where, line, f"'{key}' needs words per language (en: [...], fr: [...])"))
            continue
        for language, words, language_line in _mapping_items(value):
            if language not in SUPPORTED_LANGUAGES:
                problems.append(Problem(where, language_line, f"'{language}' is not a supported language"))
            items = words.value if isinstance(words, yaml.SequenceNode) else []
            if not items:
                problems.append(Problem(where, language_line, f"'{key}' / '{language}' needs words"))
            for item in items:
                if not isinstance(item, yaml.ScalarNode) or item.tag != "tag:yaml.org,2002:str":
                    problems.append(
                        Problem(
                            where,
                            item.start_mark.line + 1,
                            f"'{item.value}' is not read as text: put it in quotes",
                        )
                    )
    for missing in sorted(set(KEYWORDS) - found):
        problems.append(Problem(where, 1, f"no words for the '{missing}' keyword"))
    return problems


def unverified_lines(paths: ProjectPaths) -> list[str]:
    """`file:line: kind number (source)` for every profile number marked verified: false.

    People are given these numbers (a safety answer must give one); staff see the list in
    `bot content check`, `bot content status`, the server's start-up log and the exports.
    """
    lines: list[str] = []
    for path in sorted(paths.countries.glob("*.yml")):
        where = _relative(path, paths.root)
        node, syntax = _compose(path, where)
        if syntax or node is None:
            continue
        numbers = _child(node, "numbers")
        for kind, number_node, line in _mapping_items(numbers):
            entry = {key: value for key, value, _ in _mapping_items(number_node)}
            verified, number = entry.get("verified"), entry.get("number")
            if number is None or (verified is not None and verified.value == "true"):
                continue
            source = entry.get("source")
            detail = f" (source: {source.value})" if source is not None and source.value else ""
            lines.append(f"{where}:{line}: unverified: {path.stem} {kind} {number.value}{detail}")
    return lines


def print_unverified(paths: ProjectPaths, out: TextIO) -> None:
    """The unverified numbers section of `bot content check` and `bot content status`."""
    lines = unverified_lines(paths)
    if not lines:
        print("All profile numbers are verified.", file=out)
        return
    print(
        f"{len(lines)} number(s) are NOT verified: people are given them, but nobody has confirmed "
        "them yet (confirm with the national authority, then set verified: true):",
        file=out,
    )
    for line in lines:
        print(line, file=out)


# -------------------------------------------------------------- pictures


def check_pictures(paths: ProjectPaths, text: str, messages: Messages) -> list[Problem]:
    """Every picture a profile lists or a card asks for has its SVG, and an alt text in every language."""
    from bot.content.pictures import PICTURES_KEY, alt_key, sources_dir

    sources = sources_dir(paths.root)
    responses = (yaml.safe_load(text) or {}).get("responses") or {}
    domain_where = _relative(paths.domain, paths.root)
    problems: list[Problem] = []
    # The names lesson cards ask for (metadata: {pictures: [...]}), with their lines in domain.yml.
    card_names: dict[str, int] = {}
    for name, _, line in _mapping_items(_child(yaml.compose(text, Loader=yaml.SafeLoader), "responses")):
        for variation in responses.get(name) or []:
            metadata = variation.get("metadata") if isinstance(variation, dict) else None
            for picture in (metadata or {}).get(PICTURES_KEY) or []:
                card_names.setdefault(str(picture), line)
    statuses = {
        language: {
            e.msgid: e.status
            for e in language_status(paths.locales, language, (m for _, _, m in messages)).entries
        }
        for language in SUPPORTED_LANGUAGES
        if language != SOURCE_LANGUAGE
    }

    def picture_problems(where: str, line: int, picture: str) -> Iterator[Problem]:
        svg = sources / f"{picture}.svg"
        if not svg.is_file():
            yield Problem(where, line, f"picture '{picture}': no drawing {_relative(svg, paths.root)}")
        alt = responses.get(alt_key(picture)) or []
        english = alt[0].get("text") if alt and isinstance(alt[0], dict) else None
        if not isinstance(english, str) or not english.strip():
            yield Problem(
                where,
                line,
                f"picture '{picture}': no alt text (add the response {alt_key(picture)} to domain.yml)",
            )
            return
        for language, status in statuses.items():
            if status.get(english) not in (TRANSLATED, REVIEW):
                yield Problem(
                    where,
                    line,
                    f"picture '{picture}': no {language} alt text "
                    f"({alt_key(picture)} in {_relative(catalog_path(paths, language), paths.root)})",
                )

    for picture, line in sorted(card_names.items()):
        problems += picture_problems(domain_where, line, picture)
    for path in sorted(paths.countries.glob("*.yml")):
        where = _relative(path, paths.root)
        node, syntax = _compose(path, where)
        if syntax:
            continue  # reported by the profile check
        for key, value, line in _mapping_items(node) if node is not None else ():
            if key != "warning_pictures":
                continue
            if not isinstance(value, yaml.SequenceNode):
                problems.append(Problem(where, line, "warning_pictures must be a list of picture names"))
                continue
            for item in value.value:
                picture, item_line = str(item.value), item.start_mark.line + 1
                problems += picture_problems(where, item_line, picture)
                if picture not in card_names:
                    problems.append(
                        Problem(
                            where, item_line, f"picture '{picture}' is shown by no lesson card", warning=True
                        )
                    )
    return problems


# -------------------------------------------------------------- sms budget


def check_sms_budget(paths: ProjectPaths, text: str) -> list[Problem]:
    """Every response, in every language with every profile, keeps the SMS budget (bot/sms/budget.py):
    pages of at most 3 segments with no option dropped, a safety answer one SMS of 2 segments."""
    # Imported here: only this check renders responses (the others read the files themselves).
    from bot.i18n import Catalogs, LanguageDetector
    from bot.nlg import ResponseRenderer, load_responses
    from bot.sms.budget import sms_forms

    lines = {
        name: line
        for name, _, line in _mapping_items(_child(yaml.compose(text, Loader=yaml.SafeLoader), "responses"))
    }
    where = _relative(paths.domain, paths.root)
    broken: dict[tuple[str, str], set[str]] = {}
    # Rendering never decides a language: a detector without models (no files read) is enough.
    renderer = ResponseRenderer(
        responses=load_responses(paths, None),
        catalogs=Catalogs.load(paths.locales),
        profiles=load_profiles(paths.countries),
        detector=LanguageDetector(),
    )
    # A message the catalogs lack is reported by check_catalog; the renderer's own warning
    # about it ("using English") would only repeat it here.
    i18n_log = logging.getLogger("bot.i18n")
    level = i18n_log.level
    i18n_log.setLevel(logging.ERROR)
    try:
        for form in sms_forms(renderer):
            for problem in form.problems:
                broken.setdefault((form.key, problem), set()).add(f"{form.language}/{form.country}")
    finally:
        i18n_log.setLevel(level)
    return [
        Problem(where, lines.get(key, 1), f"{key} by SMS: {problem} ({', '.join(sorted(cases))})")
        for (key, problem), cases in sorted(broken.items())
    ]


def check_all(paths: ProjectPaths) -> list[Problem]:
    """Every content problem of the project, sorted by file and line."""
    problems, profile_ids = check_profiles(paths)
    text = paths.domain.read_text(encoding="utf-8")
    messages = list(iter_response_messages(text))
    problems += check_domain(paths, text, messages, profile_ids)
    problems += check_cards(paths, messages)
    problems += check_profile_responses(paths, set((yaml.safe_load(text) or {}).get("responses") or {}))
    problems += check_safety_net(paths)
    problems += check_sms_keywords(paths)
    # --- services directory and regions ---
    from bot.services.check import check_services

    problems += check_services(paths)
    # --- gendered forms and numbers outside the profiles, in every language ---
    from bot.content.wording import check_wording

    problems += check_wording(paths, messages)
    # --- pictures ---
    problems += check_pictures(paths, text, messages)
    for language in SUPPORTED_LANGUAGES:
        if language != SOURCE_LANGUAGE:
            problems += check_catalog(paths, messages, language)
    # The SMS budget needs a domain and catalogs that load: measured only when nothing else is wrong.
    if not any(not p.warning for p in problems):
        problems += check_sms_budget(paths, text)
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))

"""`bot content check`: validate what NGO staff edit, with file:line messages.

check_all runs the checks every registered feature exports (bot/features.py) and
knows the placeholders they pass; the core content checks (profiles, domain,
cards, catalogs, pictures) live here and are registered by bot/content/feature.py.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, TextIO

import yaml
from babel.messages.pofile import PoFileError

from bot.babel_extract import iter_response_messages
from bot.content.countries import GENERIC_PROFILE, NUMBER_KINDS, PROFILE_RESPONSES, load_profiles
from bot.content.pictures import PICTURES_KEY, alt_key
from bot.content.problems import Problem, child, compose, mapping_items, phone_problem, relative
from bot.content.translations import REVIEW, TRANSLATED, language_status, read_catalog
from bot.features import Feature, load_features
from bot.i18n import CATALOG_DOMAIN, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES, Catalogs, LanguageDetector
from bot.paths import ProjectPaths
from bot.responses import placeholders

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


# -------------------------------------------------------------- country profiles


def _number_problems(
    where: str, line: int, kind: str, node: yaml.Node, iso2: Optional[str]
) -> Iterator[Problem]:
    entry = {key: (value, ln) for key, value, ln in mapping_items(node)}
    for key in sorted(set(entry) - NUMBER_KEYS):
        yield Problem(where, entry[key][1], f"unknown field '{key}' in number '{kind}'")
    if "number" not in entry or not isinstance(entry["number"][0], yaml.ScalarNode):
        yield Problem(where, line, f"number '{kind}' has no 'number'")
        return
    raw, number_line = str(entry["number"][0].value), entry["number"][1]
    if "verified" not in entry or entry["verified"][0].value not in ("true", "false"):
        yield Problem(where, line, f"number '{kind}' must say verified: true or false")
    problem = phone_problem(where, number_line, raw, iso2)
    if problem:
        yield problem


# Fields of a profile mapping: key -> (value node, 1-based line of the key).
Fields = dict[str, tuple[yaml.Node, int]]


def check_profile(path: Path, root: Path) -> tuple[list[Problem], Optional[str]]:
    """Problems of one country profile, and its country code when it has a valid one."""
    where = relative(path, root)
    node, syntax = compose(path, where)
    if syntax:
        return syntax, None
    if not isinstance(node, yaml.MappingNode):
        return [Problem(where, 1, "a country profile must be a mapping of fields")], None
    fields: Fields = {key: (value, line) for key, value, line in mapping_items(node)}
    problems = _field_name_problems(where, fields)
    iso2, iso2_problems = _profile_iso2(where, fields)
    problems += iso2_problems
    problems += _profile_language_problems(where, fields)
    if "numbers" in fields:
        problems += _profile_numbers_problems(where, fields["numbers"], iso2, path.stem == GENERIC_PROFILE)
    return problems, iso2


def _field_name_problems(where: str, fields: Fields) -> list[Problem]:
    """Unknown fields, then missing required fields, of a profile."""
    problems = [
        Problem(where, line, f"unknown field '{key}'")
        for key, (_, line) in fields.items()
        if key not in PROFILE_KEYS
    ]
    for required in ("name", "default_language", "numbers"):
        if required not in fields:
            problems.append(Problem(where, 1, f"missing field '{required}'"))
    return problems


def _profile_iso2(where: str, fields: Fields) -> tuple[Optional[str], list[Problem]]:
    """A profile's country code (None when absent or invalid) and the problem of an invalid one."""
    iso2 = fields["iso2"][0].value if "iso2" in fields else None
    if iso2 is not None and (len(str(iso2)) != 2 or not str(iso2).isalpha()):
        return None, [Problem(where, fields["iso2"][1], f"iso2 '{iso2}' is not a 2-letter country code")]
    return iso2, []


def _profile_language_problems(where: str, fields: Fields) -> list[Problem]:
    """A default_language or languages entry that is not a supported language."""
    problems = []
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
    return problems


def _profile_numbers_problems(
    where: str, numbers: tuple[yaml.Node, int], iso2: Optional[str], generic: bool
) -> list[Problem]:
    """Problems of a profile's numbers; the generic profile must have none."""
    numbers_node, numbers_line = numbers
    problems = []
    for kind, number_node, line in mapping_items(numbers_node):
        if kind not in NUMBER_KINDS:
            problems.append(
                Problem(where, line, f"unknown number kind '{kind}' (use {', '.join(NUMBER_KINDS)})")
            )
        problems.extend(_number_problems(where, line, kind, number_node, iso2))
    if generic and list(mapping_items(numbers_node)):
        problems.append(Problem(where, numbers_line, "the generic profile must have no numbers"))
    return problems


def check_profiles(paths: ProjectPaths) -> tuple[list[Problem], set[str]]:
    """Problems of all profiles, and the ids of profiles with a country code."""
    problems: list[Problem] = []
    with_iso2: set[str] = set()
    files = sorted(paths.countries.glob("*.yml"))
    if not any(f.stem == GENERIC_PROFILE for f in files):
        problems.append(
            Problem(relative(paths.countries, paths.root), 0, f"missing the '{GENERIC_PROFILE}.yml' profile")
        )
    for path in files:
        found, iso2 = check_profile(path, paths.root)
        problems.extend(found)
        if iso2:
            with_iso2.add(path.stem)
    return problems, with_iso2


def check_profile_files(paths: ProjectPaths) -> list[Problem]:
    """Problems of all profiles (the content check)."""
    return check_profiles(paths)[0]


def profile_ids_with_iso2(paths: ProjectPaths) -> set[str]:
    """The ids of the profiles with a valid country code (their {country_name_<id>} exists)."""
    return check_profiles(paths)[1]


def check_profile_responses(paths: ProjectPaths) -> list[Problem]:
    """A profile field that names a response (survivor_entitlements...) must name one of domain.yml."""
    text = paths.domain.read_text(encoding="utf-8")
    responses = set((yaml.safe_load(text) or {}).get("responses") or {})
    problems: list[Problem] = []
    for path in sorted(paths.countries.glob("*.yml")):
        node, syntax = compose(path, relative(path, paths.root))
        if syntax or node is None:
            continue
        for key, value, line in mapping_items(node):
            if key not in PROFILE_RESPONSES:
                continue
            if not isinstance(value, yaml.ScalarNode) or str(value.value) not in responses:
                problems.append(
                    Problem(
                        relative(path, paths.root),
                        line,
                        f"{key}: '{getattr(value, 'value', '')}' is not a response of domain.yml "
                        f"(it is sent instead of {PROFILE_RESPONSES[key]})",
                    )
                )
    return problems


# -------------------------------------------------------------- responses


def known_placeholders(profile_ids: set[str], features: Sequence[Feature]) -> set[str]:
    """Every {placeholder} the NLG can fill: the features' own, and each profile's country name."""
    names = {f"country_name_{pid}" for pid in profile_ids}
    for feature in features:
        names |= feature.placeholders
    return names


Messages = list[tuple[int, str, str]]


def domain_messages(paths: ProjectPaths) -> tuple[str, Messages]:
    """domain.yml's text and its response messages (line, response, English text)."""
    text = paths.domain.read_text(encoding="utf-8")
    return text, list(iter_response_messages(text))


def check_placeholders(paths: ProjectPaths, messages: Messages, known: set[str]) -> list[Problem]:
    """Every {placeholder} of a response is one the NLG or an action fills."""
    where = relative(paths.domain, paths.root)
    return [
        Problem(where, line, f"{name}: unknown placeholder {{{field}}}")
        for line, name, message in messages
        for field in sorted(placeholders(message) - known)
    ]


def check_number_fallbacks(paths: ProjectPaths) -> list[Problem]:
    """Responses whose last variation needs a phone number."""
    where = relative(paths.domain, paths.root)
    text = paths.domain.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    responses = (yaml.safe_load(text) or {}).get("responses") or {}
    lines = {key: line for key, _, line in mapping_items(child(node, "responses"))}
    problems: list[Problem] = []
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


def _all_text(variation: dict[str, Any]) -> str:
    titles = [b.get("title", "") for b in variation.get("buttons") or []]
    return " ".join([str(variation.get("text", ""))] + [str(t) for t in titles])


# -------------------------------------------------------------- country cards


def check_cards(paths: ProjectPaths) -> list[Problem]:
    """Every card a profile lists (`cards:`) is a response of domain.yml translated in every language."""
    _, messages = domain_messages(paths)
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
        where = relative(path, paths.root)
        node, _ = compose(path, where)  # a syntax error is reported by check_profile
        fields = {key: (value, line) for key, value, line in mapping_items(node)} if node is not None else {}
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


def check_catalogs(paths: ProjectPaths) -> list[Problem]:
    """Every translated language's catalog (check_catalog)."""
    _, messages = domain_messages(paths)
    problems: list[Problem] = []
    for language in SUPPORTED_LANGUAGES:
        if language != SOURCE_LANGUAGE:
            problems += check_catalog(paths, messages, language)
    return problems


def check_catalog(paths: ProjectPaths, messages: Messages, language: str) -> list[Problem]:
    """Every domain message translated with the same placeholders; a fuzzy entry is a warning
    when its previous translation is served, an error when it is another message's."""
    po_path = catalog_path(paths, language)
    where = relative(po_path, paths.root)
    if not po_path.exists():
        return [Problem(where, 0, "catalog missing (run `make messages`)")]
    try:
        read_catalog(po_path)
    except (PoFileError, ValueError, UnicodeDecodeError) as error:
        return [Problem(where, 0, f"cannot read catalog: {error}")]
    lines = {message: line for line, _, message in reversed(messages)}
    status = language_status(paths.locales, language, (m for _, _, m in messages))
    problems: list[Problem] = []
    domain_where = relative(paths.domain, paths.root)
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


# -------------------------------------------------------------- unverified numbers


def unverified_lines(paths: ProjectPaths) -> list[str]:
    """`file:line: kind number (source)` for every profile number marked verified: false.

    People are given these numbers (a safety answer must give one); staff see the list in
    `bot content check`, `bot content status`, the server's start-up log and the exports.
    """
    lines: list[str] = []
    for path in sorted(paths.countries.glob("*.yml")):
        where = relative(path, paths.root)
        node, syntax = compose(path, where)
        if syntax or node is None:
            continue
        numbers = child(node, "numbers")
        for kind, number_node, line in mapping_items(numbers):
            entry = {key: value for key, value, _ in mapping_items(number_node)}
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


# msgid -> translation status, per language other than the source language.
AltStatuses = dict[str, dict[str, str]]


def check_pictures(paths: ProjectPaths) -> list[Problem]:
    """Every picture a profile lists or a card asks for has its SVG, and an alt text in every language."""
    text, messages = domain_messages(paths)
    responses = (yaml.safe_load(text) or {}).get("responses") or {}
    domain_where = relative(paths.domain, paths.root)
    problems: list[Problem] = []
    card_names = _card_pictures(text, responses)
    statuses = _alt_statuses(paths, messages)
    for picture, line in sorted(card_names.items()):
        problems += _picture_problems(paths, responses, statuses, domain_where, line, picture)
    for path in sorted(paths.countries.glob("*.yml")):
        problems += _warning_picture_problems(paths, path, responses, statuses, card_names)
    return problems


def _card_pictures(text: str, responses: dict[str, Any]) -> dict[str, int]:
    """The names lesson cards ask for (metadata: {pictures: [...]}), with their lines in domain.yml."""
    card_names: dict[str, int] = {}
    for name, _, line in mapping_items(child(yaml.compose(text, Loader=yaml.SafeLoader), "responses")):
        for variation in responses.get(name) or []:
            metadata = variation.get("metadata") if isinstance(variation, dict) else None
            for picture in (metadata or {}).get(PICTURES_KEY) or []:
                card_names.setdefault(str(picture), line)
    return card_names


def _alt_statuses(paths: ProjectPaths, messages: Messages) -> AltStatuses:
    """The catalogs' translation status of every domain message, per translated language."""
    return {
        language: {
            e.msgid: e.status
            for e in language_status(paths.locales, language, (m for _, _, m in messages)).entries
        }
        for language in SUPPORTED_LANGUAGES
        if language != SOURCE_LANGUAGE
    }


def _picture_problems(
    paths: ProjectPaths,
    responses: dict[str, Any],
    statuses: AltStatuses,
    where: str,
    line: int,
    picture: str,
) -> Iterator[Problem]:
    """A picture's missing drawing, then its missing English alt text or missing translations of it."""
    svg = paths.pictures / f"{picture}.svg"
    if not svg.is_file():
        yield Problem(where, line, f"picture '{picture}': no drawing {relative(svg, paths.root)}")
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
                f"({alt_key(picture)} in {relative(catalog_path(paths, language), paths.root)})",
            )


def _warning_picture_problems(
    paths: ProjectPaths,
    path: Path,
    responses: dict[str, Any],
    statuses: AltStatuses,
    card_names: dict[str, int],
) -> list[Problem]:
    """Problems of one profile's warning_pictures, and pictures that no lesson card shows."""
    where = relative(path, paths.root)
    node, syntax = compose(path, where)
    if syntax:
        return []  # reported by the profile check
    problems: list[Problem] = []
    for key, value, line in mapping_items(node) if node is not None else ():
        if key != "warning_pictures":
            continue
        if not isinstance(value, yaml.SequenceNode):
            problems.append(Problem(where, line, "warning_pictures must be a list of picture names"))
            continue
        for item in value.value:
            picture, item_line = str(item.value), item.start_mark.line + 1
            problems += _picture_problems(paths, responses, statuses, where, item_line, picture)
            if picture not in card_names:
                problems.append(
                    Problem(where, item_line, f"picture '{picture}' is shown by no lesson card", warning=True)
                )
    return problems


# -------------------------------------------------------------- sms budget


def check_sms_budget(paths: ProjectPaths) -> list[Problem]:
    """Every response, in every language with every profile, keeps the SMS budget (bot/sms/budget.py):
    pages of at most 3 segments with no option dropped, a safety answer one SMS of 2 segments."""
    # Imported here: only this check renders responses, with the NLG that loads Rasa
    # (the others read the files themselves).
    from bot.nlg import ResponseRenderer, load_responses
    from bot.sms.budget import sms_forms

    text = paths.domain.read_text(encoding="utf-8")
    lines = {
        name: line
        for name, _, line in mapping_items(child(yaml.compose(text, Loader=yaml.SafeLoader), "responses"))
    }
    where = relative(paths.domain, paths.root)
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


def check_all(paths: ProjectPaths, features: Optional[Sequence[Feature]] = None) -> list[Problem]:
    """Every content problem of the project (the registered features' checks), sorted by file and line."""
    features = load_features() if features is None else features
    _, messages = domain_messages(paths)
    known = known_placeholders(profile_ids_with_iso2(paths), features)
    problems = check_placeholders(paths, messages, known)
    for feature in features:
        for check in feature.checks:
            problems += check(paths)
    # The SMS budget renders every response with every profile, so it needs a domain, catalogs
    # and profiles that load: measured only when nothing else is wrong.
    if not any(not p.warning for p in problems):
        problems += check_sms_budget(paths)
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))

"""The directory's own text in the reader's language: content/services/translations/<file>.yml.

One YAML file per directory file (ukraine.yml for ukraine.csv), keyed by service id, then by
language code, then by field:

    ua-001:
      uk:
        organisation: Приклад лікарні швидкої допомоги
        service: Невідкладна допомога при травмах
        hours: Цілодобово
        accessibility: Вхід без сходинок

A field or a language left out shows the CSV's own text, as it is (the message claims no
translation). `bot content check` reports, as `file:line`, a file with no directory file, an
unknown service id, language or field, an empty value and a {placeholder} (errors); and a
language of the country profile (other than ORIGINAL_LANGUAGE) with no translation of a
service's text (warnings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

import yaml

from bot.content.problems import Problem, mapping_items, relative
from bot.i18n import SUPPORTED_LANGUAGES
from bot.services.directory import DirectoryFile, Reference, Service

# The CSV columns a translation may replace (names, not numbers or places: those stay as written).
FIELDS: tuple[str, ...] = ("organisation", "service", "hours", "accessibility")
# The language the CSV files are written in: no translation is expected into it.
ORIGINAL_LANGUAGE = "en"
FOLDER = "translations"

# (directory file stem, service id) -> language -> field -> text
Translations = Mapping[tuple[str, str], Mapping[str, Mapping[str, str]]]


def translations_dir(services_dir: Path) -> Path:
    """content/services/translations."""
    return services_dir / FOLDER


def load_translations(services_dir: Path) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """Every translation that can be used (what the check rejects is left out, never guessed)."""
    found: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for path in sorted(translations_dir(services_dir).glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        for service_id, languages in data.items():
            if not isinstance(languages, dict):
                continue
            for language, fields in languages.items():
                if language not in SUPPORTED_LANGUAGES or not isinstance(fields, dict):
                    continue
                usable = {
                    field: text.strip()
                    for field, text in fields.items()
                    if field in FIELDS and isinstance(text, str) and _usable(text)
                }
                if usable:
                    found.setdefault((path.stem, str(service_id)), {})[language] = usable
    return found


def translated(translations: Translations, source: str, service_id: str, language: str) -> Mapping[str, str]:
    """The translated fields of one service for a reader of `language` (empty when none)."""
    return translations.get((source, service_id), {}).get(language, {})


def _usable(text: str) -> bool:
    return bool(text.strip()) and "{" not in text and "}" not in text


def check_translation_file(
    path: Path, where: str, directory: Optional[DirectoryFile], reference: Reference
) -> list[Problem]:
    """Problems of one translations file, checked against its directory file's rows."""
    node, unreadable = _compose_translations(path, where)
    if unreadable:
        return unreadable
    if directory is None:
        return [Problem(where, 1, f"no directory file content/services/{path.stem}.csv")]
    if node is not None and not isinstance(node, yaml.MappingNode):
        return [Problem(where, 1, "the file must map service ids to languages")]
    services = {service.id: service for service in directory.services}
    problems: list[Problem] = []
    given: dict[str, set[str]] = {}
    id_lines: dict[str, int] = {}
    for service_id, languages, line in mapping_items(node):
        id_lines.setdefault(service_id, line)
        if service_id not in services:
            problems.append(
                Problem(where, line, f"unknown service id '{service_id}' (not in {path.stem}.csv)")
            )
            continue
        if not isinstance(languages, yaml.MappingNode):
            problems.append(Problem(where, line, f"'{service_id}' must map language codes to fields"))
            continue
        problems += _service_problems(where, service_id, languages, given.setdefault(service_id, set()))
    problems += _missing_text_warnings(
        where, _expected_languages(directory, reference), services, given, id_lines
    )
    return problems


def _compose_translations(path: Path, where: str) -> tuple[Optional[yaml.Node], list[Problem]]:
    """The file's YAML node tree, or the problem that stops reading it."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), []
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(where, 1, f"cannot read the file as UTF-8: {error}")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [Problem(where, (mark.line + 1) if mark else 1, f"not valid YAML: {error}")]


def _service_problems(
    where: str, service_id: str, languages: yaml.MappingNode, given: set[str]
) -> list[Problem]:
    """Problems of one service's languages; adds each usable `language.field` to `given`."""
    problems: list[Problem] = []
    for language, fields, language_line in mapping_items(languages):
        if language not in SUPPORTED_LANGUAGES:
            known = ", ".join(SUPPORTED_LANGUAGES)
            problems.append(
                Problem(where, language_line, f"'{service_id}': unknown language '{language}' (use {known})")
            )
            continue
        if not isinstance(fields, yaml.MappingNode):
            problems.append(Problem(where, language_line, f"'{service_id}' {language}: give fields"))
            continue
        for field, value, field_line in mapping_items(fields):
            message = _field_problem(field, value)
            if message:
                problems.append(Problem(where, field_line, f"'{service_id}' {language} {field}: {message}"))
            else:
                given.add(f"{language}.{field}")
    return problems


def _field_problem(field: str, value: yaml.Node) -> Optional[str]:
    """What is wrong with one translated field (None when it is usable)."""
    if field not in FIELDS:
        return f"unknown field (use {', '.join(FIELDS)})"
    if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
        return "empty"
    if "{" in str(value.value) or "}" in str(value.value):
        return "no {placeholders} here"
    return None


def _missing_text_warnings(
    where: str,
    languages: list[str],
    services: Mapping[str, Service],
    given: Mapping[str, set[str]],
    id_lines: Mapping[str, int],
) -> list[Problem]:
    """Warnings for each expected language and service whose text is not (fully) translated."""
    problems = []
    for language in languages:
        for service_id in services:
            missing = [f for f in FIELDS if f"{language}.{f}" not in given.get(service_id, set())]
            if missing:
                problems.append(
                    Problem(
                        where,
                        id_lines.get(service_id, 1),
                        f"'{service_id}': no {language} text for {', '.join(missing)} "
                        "(the CSV's text is shown)",
                        warning=True,
                    )
                )
    return problems


def _expected_languages(directory: DirectoryFile, reference: Reference) -> list[str]:
    """The supported languages of the country profiles of a file's rows, but the original."""
    languages: list[str] = []
    for service in directory.services:
        profile = reference.profiles.get(service.country)
        for language in profile.languages if profile else ():
            if (
                language in SUPPORTED_LANGUAGES
                and language != ORIGINAL_LANGUAGE
                and language not in languages
            ):
                languages.append(language)
    return languages


def check_translations(
    services_dir: Path, directory_files: list[DirectoryFile], reference: Reference, root: Path
) -> list[Problem]:
    """Every problem of content/services/translations/*.yml, and warnings for directory files
    whose profile languages have no translations file at all."""
    by_stem = {f.path.stem: f for f in directory_files}
    problems: list[Problem] = []
    seen = set()
    for path in sorted(translations_dir(services_dir).glob("*.yml")):
        seen.add(path.stem)
        problems += check_translation_file(path, relative(path, root), by_stem.get(path.stem), reference)
    for stem, directory in sorted(by_stem.items()):
        languages = _expected_languages(directory, reference)
        if stem not in seen and languages and directory.services:
            where = relative(translations_dir(services_dir) / f"{stem}.yml", root)
            problems.append(
                Problem(
                    where, 1, f"no translations for {', '.join(languages)} (the CSV's text is shown)", True
                )
            )
    return problems

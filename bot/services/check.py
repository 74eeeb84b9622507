"""Checks of the survivor-assistance content: region files and the services directory.

`bot content check` and `bot services import` run the same validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import yaml

from bot.content.problems import Problem, mapping_items, relative
from bot.i18n import SUPPORTED_LANGUAGES
from bot.paths import ProjectPaths
from bot.services.directory import DirectoryFile, load_reference, read_directory
from bot.services.regions import ID_PATTERN, ambiguous_forms, regions_from_dict
from bot.services.translations import check_translations

AREA_KEYS = {"name", "aliases", "districts"}


def _area_problems(where: str, area_id: str, node: yaml.Node, line: int, district: bool) -> list[Problem]:
    label = ("district" if district else "region") + f" '{area_id}'"
    if not ID_PATTERN.match(area_id):
        return [Problem(where, line, f"{label}: ids use only a-z, 0-9 and _")]
    if not isinstance(node, yaml.MappingNode):
        return [Problem(where, line, f"{label} must have 'name' and 'aliases'")]
    problems = []
    fields = {key: (value, ln) for key, value, ln in mapping_items(node)}
    for key in sorted(set(fields) - AREA_KEYS) + (
        ["districts"] if district and "districts" in fields else []
    ):
        problems.append(Problem(where, fields[key][1], f"{label}: unexpected field '{key}'"))
    names = {key: value for key, value, _ in mapping_items(fields["name"][0])} if "name" in fields else {}
    for language in SUPPORTED_LANGUAGES:
        value = names.get(language)
        if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
            problems.append(
                Problem(where, fields.get("name", (None, line))[1], f"{label}: no name in {language}")
            )
    if "aliases" in fields:
        aliases, aliases_line = fields["aliases"]
        if not isinstance(aliases, yaml.SequenceNode):
            problems.append(Problem(where, aliases_line, f"{label}: 'aliases' must be a list"))
        else:
            for item in aliases.value:
                if not isinstance(item, yaml.ScalarNode) or item.tag != "tag:yaml.org,2002:str":
                    problems.append(
                        Problem(
                            where, item.start_mark.line + 1, f"{label}: alias is not text: put it in quotes"
                        )
                    )
    if not district and "districts" in fields:
        for key, value, ln in mapping_items(fields["districts"][0]):
            problems += _area_problems(where, key, value, ln, district=True)
    return problems


def check_region_file(path: Path, root: Path, profile_ids: set[str]) -> list[Problem]:
    """Problems of one content/regions/<country>.yml."""
    where = relative(path, root)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return [Problem(where, (mark.line + 1) if mark else 1, f"not valid YAML: {error}")]
    problems = []
    if path.stem not in profile_ids:
        problems.append(Problem(where, 1, f"no country profile content/countries/{path.stem}.yml"))
    top = {key: (value, line) for key, value, line in mapping_items(node)}
    if "regions" not in top:
        return problems + [Problem(where, 1, "missing 'regions'")]
    for key, value, line in mapping_items(top["regions"][0]):
        problems += _area_problems(where, key, value, line, district=False)
    if not problems:
        for form, owners in sorted(ambiguous_forms(regions_from_dict(yaml.safe_load(text))).items()):
            problems.append(Problem(where, 1, f"'{form}' names several places: {', '.join(sorted(owners))}"))
    return problems


def read_services(paths: ProjectPaths, files: Optional[list[Path]] = None) -> list[DirectoryFile]:
    """Read and validate the given CSV files (default: every content/services/*.csv)."""
    chosen = files if files is not None else sorted(paths.services.glob("*.csv"))
    return read_directory(chosen, load_reference(paths), paths.root)


def check_services(paths: ProjectPaths) -> list[Problem]:
    """Every problem of the region files and of the services directory."""
    profile_ids = {p.stem for p in paths.countries.glob("*.yml")}
    problems: list[Problem] = []
    for path in sorted(paths.regions.glob("*.yml")):
        problems += check_region_file(path, paths.root, profile_ids)
    if problems:
        # Rows are checked against the regions: fix the region files first.
        return problems
    try:
        reference = load_reference(paths)
    except (yaml.YAMLError, KeyError, TypeError, ValueError):
        # A broken country profile is reported by the profile check; rows need it.
        return problems
    chosen = sorted(paths.services.glob("*.csv"))
    directory_files = read_directory(chosen, reference, paths.root)
    for directory_file in directory_files:
        problems += directory_file.problems
    problems += check_translations(paths.services, directory_files, reference, paths.root)
    return problems

"""After an English edit, a person keeps getting the previous translation, never English,
and never the translation of another message; counts and `bot content status` say so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.cli import main
from bot.i18n import Catalogs
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project

OLD = (
    "STOP. Do not touch or move it. Warn others, keep away. "
    "Go back the way you came. From far away, call {emergency_number}."
)
NEW = OLD.replace("Warn others, keep away.", "Warn others and keep them away.")
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    return copy_project(tmp_path, files=("domain.yml", "babel.cfg"))


def edit_english(paths: ProjectPaths, old: str, new: str) -> None:
    """What NGO staff do: edit domain.yml, then the pybabel extract/update of `make messages`."""
    text = paths.domain.read_text(encoding="utf-8")
    assert text.count(old) == 1
    paths.domain.write_text(text.replace(old, new), encoding="utf-8")
    update_messages(paths)


def update_messages(paths: ProjectPaths) -> None:
    """The pybabel extract and update that common instructions give (without our notes step):
    the domain, the campaign and the survey files (babel.cfg maps each to its extractor)."""
    campaigns = sorted(str(path.relative_to(paths.root)) for path in paths.campaigns.glob("*.yml"))
    surveys = sorted(str(path.relative_to(paths.root)) for path in paths.surveys.glob("*.yml"))
    subprocess.run(
        [PYBABEL, "extract", "-F", "babel.cfg", "-o", "locales/messages.pot", "--no-wrap", "--omit-header",
         "--add-comments", "", "domain.yml", *campaigns, *surveys],
        cwd=paths.root, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [PYBABEL, "update", "-i", "locales/messages.pot", "-d", "locales", "-D", "messages", "--no-wrap",
         "--ignore-obsolete"],
        cwd=paths.root, check=True, capture_output=True,
    )  # fmt: skip


def po_line(paths: ProjectPaths, language: str, msgid: str) -> int:
    po = paths.locales / language / "LC_MESSAGES" / "messages.po"
    for number, line in enumerate(po.read_text(encoding="utf-8").splitlines(), 1):
        if line == f"msgid {msgid!r}".replace("'", '"'):
            return number
    raise AssertionError(msgid)


def entries(paths: ProjectPaths) -> int:
    """How many messages the shipped template has (each language has them all)."""
    with (paths.locales / "messages.pot").open("rb") as template:
        return sum(1 for message in read_po(template) if message.id)


def test_an_edited_safety_text_keeps_its_previous_khmer_translation_until_reviewed(project, capsys):
    before = Catalogs.load(project.locales).gettext("km", OLD)
    assert before.startswith("ឈប់! កុំប៉ះ ឬរើវា។") and before != OLD
    edit_english(project, OLD, NEW)
    catalogs = Catalogs.load(project.locales)
    for language in ("fr", "es", "uk", "ar", "km"):
        previous = Catalogs.load(PROJECT_ROOT / "locales").gettext(language, OLD)
        assert catalogs.gettext(language, NEW) == previous
    assert main(["--root", str(project.root), "content", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    total = entries(project)
    assert out[4] == (
        f"km: {total - 1} translated, 1 need review (previous translation served), "
        f"0 missing (English served) of {total}"
    )
    line = po_line(project, "km", NEW)
    where = f"locales/km/LC_MESSAGES/messages.po:{line}"
    assert f"{where}: needs review (the English text changed): {NEW[:60]!r}" in out
    # `bot content check` says so, as a warning that does not stop `bot serve`.
    assert main(["--root", str(project.root), "content", "check"]) == 0
    check = capsys.readouterr().out.splitlines()
    assert check[-1] == "Content OK, 5 warning(s)"
    assert (
        f"{where}: warning: fuzzy (needs review): the English text changed; "
        f"the previous km translation is served until a reviewer confirms it: {NEW[:50]!r}"
    ) in check


def test_a_fuzzy_match_with_another_message_is_missing_not_served(project, capsys):
    # A new text close to another, still-used message: pybabel copies that message's translation.
    other = OLD.replace("{emergency_number}", "{report_number}")
    fresh = other.replace("call {report_number}", "call {report_number} now")
    text = project.domain.read_text(encoding="utf-8")
    project.domain.write_text(
        text.replace(f'      text: "{OLD}"', f'      text: "{OLD}"\n    - text: "{fresh}"'), encoding="utf-8"
    )
    update_messages(project)
    po = (project.locales / "km" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert f'#, fuzzy, python-brace-format\nmsgid "{fresh}"' in po  # pybabel did attach a translation
    assert Catalogs.load(project.locales).gettext("km", fresh) == fresh  # ... which is not served
    assert main(["--root", str(project.root), "content", "check"]) == 1
    line = po_line(project, "km", fresh)
    assert (
        f"locales/km/LC_MESSAGES/messages.po:{line}: fuzzy, and fuzzy translation of another message "
        f"(English is served): {fresh[:50]!r}"
    ) in capsys.readouterr().out.splitlines()


def test_the_build_prints_honest_counts(project, capsys):
    edit_english(project, OLD, NEW)
    assert main(["--root", str(project.root), "content", "compile"]) == 0
    total = entries(project)
    assert capsys.readouterr().out.splitlines() == [
        f"{language}: {total - 1} translated, 1 need review (previous translation served), "
        f"0 missing (English served) of {total}"
        for language in ("fr", "es", "uk", "ar", "km")
    ]
    assert (project.locales / "km" / "LC_MESSAGES" / "messages.mo").exists()

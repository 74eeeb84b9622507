"""`bot content check`: gendered forms from content/gendered_forms.yml and numbers outside the
profiles, in every language, each reported with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_all
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project

STRAY = "numbers come only from the country profiles (use a {placeholder} such as {emergency_number})"


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    """A copy of the project's content that a test may break."""
    return copy_project(tmp_path)


def messages(paths: ProjectPaths) -> list[str]:
    return [str(p) for p in check_all(paths)]


def wording(paths: ProjectPaths) -> list[str]:
    """The problems of this check (an English edit also leaves the catalogs behind)."""
    return [m for m in messages(paths) if "gendered form" in m or STRAY in m]


def replace(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in `path`; the line number of the change."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def po(paths: ProjectPaths, language: str) -> Path:
    return paths.locales / language / "LC_MESSAGES" / "messages.po"


def test_the_shipped_catalogs_have_no_listed_gendered_form_and_no_stray_number():
    found = [m for m in messages(ProjectPaths(PROJECT_ROOT)) if "gendered form" in m or STRAY in m]
    assert found == []


def test_a_masculine_only_form_is_reported_with_file_and_line(project):
    line = replace(po(project, "uk"), 'msgstr "Знайдено предмет"', 'msgstr "Знайшов предмет"')
    why = (
        "masculine-only past tense: use the present tense or an impersonal form "
        '("Знайдено предмет", "Бачу щось підозріле"), or both ("знайшов(ла)")'
    )
    assert messages(project) == [
        f"locales/uk/LC_MESSAGES/messages.po:{line}: gendered form 'Знайшов' (uk): {why}"
    ]


def test_both_forms_together_are_not_reported(project):
    replace(po(project, "uk"), 'msgstr "Знайдено предмет"', 'msgstr "Я знайшов(ла) предмет"')
    replace(po(project, "es"), "No está solo ni sola", "No está solo ni sola")
    assert messages(project) == []


def test_the_english_example_and_every_language_list_are_checked(project):
    domain_line = replace(project.domain, "call a family member on ...", "call my brother on ...")
    fr_line = replace(po(project, "fr"), 'msgstr "Quelqu\'un est blessé"', 'msgstr "Vous êtes seul ?"')
    ar_line = replace(po(project, "ar"), "ومن حقك الأمان", "ومن حقك أن تكون بأمان")
    found = wording(project)
    assert f"domain.yml:{domain_line}: gendered form 'my brother' (en): " in "\n".join(found)
    assert any(
        m.startswith(f"locales/fr/LC_MESSAGES/messages.po:{fr_line}: gendered form 'êtes seul'")
        for m in found
    )
    assert any(
        m.startswith(f"locales/ar/LC_MESSAGES/messages.po:{ar_line}: gendered form 'من حقك أن تكون'")
        for m in found
    )
    assert len(found) == 3


def test_a_number_in_a_translation_or_a_response_is_reported_with_file_and_line(project):
    fr_line = replace(
        po(project, "fr"), "Appelez le {emergency_number} maintenant.", "Appelez le 117 maintenant."
    )
    # Khmer digits are digits too.
    km_line = replace(po(project, "km"), "ទូរសព្ទទៅលេខ {emergency_number}", "ទូរសព្ទទៅលេខ ១១៧")
    domain_line = replace(
        project.domain, "Call {emergency_number} now.\n", "Call {emergency_number} or 0441234567 now.\n"
    )
    assert wording(project) == sorted(
        [
            # A multi-line text is reported at its `text: |-` line, as every domain.yml problem.
            f"domain.yml:{domain_line - 1}: number '0441234567' in the text: {STRAY}",
            f"locales/fr/LC_MESSAGES/messages.po:{fr_line}: number '117' in the text: {STRAY}",
            f"locales/km/LC_MESSAGES/messages.po:{km_line}: number '១១៧' in the text: {STRAY}",
        ]
    )


def test_placeholders_short_numbers_and_times_are_not_numbers(project):
    replace(
        po(project, "fr"),
        "Appelez le {emergency_number} maintenant.",
        "Appelez le {emergency_number} à 9:00, étape 12.",
    )
    assert messages(project) == []


def test_a_broken_form_list_is_reported_and_the_cli_fails(project, capsys):
    path = project.gendered_forms
    line = replace(path, "  - form: '\\bêtes (seul|", "  - form: '(\\bêtes (seul|")
    assert main(["--root", str(project.root), "content", "check"]) == 1
    out = capsys.readouterr().out
    assert f"content/gendered_forms.yml:{line}: 'form' is not a valid expression: " in out

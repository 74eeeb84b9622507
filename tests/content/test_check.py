from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_all
from bot.paths import ProjectPaths
from tests.factories import PROJECT_ROOT, copy_project


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    """A copy of the project's content that a test may break."""
    return copy_project(tmp_path)


def messages(paths: ProjectPaths) -> list[str]:
    return [str(p) for p in check_all(paths)]


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_shipped_content_is_clean():
    assert messages(ProjectPaths(PROJECT_ROOT)) == []


def test_cli_exit_codes(project, capsys):
    assert main(["--root", str(project.root), "content", "check"]) == 0
    replace(project.countries / "colombia.yml", '"123"', '"12x"')
    assert main(["--root", str(project.root), "content", "check"]) == 1
    assert "content/countries/colombia.yml:" in capsys.readouterr().out


def test_bad_phone_number_is_reported_with_its_line(project):
    path = project.countries / "ukraine.yml"
    replace(path, 'number: "102"', 'number: "1o2"')
    line = line_of(path, '"1o2"')
    assert f"content/countries/ukraine.yml:{line}: '1o2' is not a valid phone number for UA" in messages(
        project
    )


def test_profile_problems(project):
    path = project.countries / "lebanon.yml"
    replace(path, "default_language: ar", "default_language: de")
    replace(path, "    verified: false\n", "", 1)
    replace(path, "  ambulance:", "  firemen:")
    found = "\n".join(messages(project))
    assert f"lebanon.yml:{line_of(path, 'default_language')}: default_language 'de' is not one of" in found
    assert "number 'emergency' must say verified: true or false" in found
    assert f"lebanon.yml:{line_of(path, 'firemen')}: unknown number kind 'firemen'" in found


def test_broken_yaml_is_reported(project):
    (project.countries / "colombia.yml").write_text("name: [unclosed\n", encoding="utf-8")
    assert any(
        m.startswith("content/countries/colombia.yml:") and "not valid YAML" in m for m in messages(project)
    )


def test_generic_profile_is_required_and_has_no_numbers(project):
    replace(
        project.countries / "generic.yml",
        "numbers: {}",
        'numbers:\n  emergency: {number: "+33123456789", verified: false}',
    )
    assert any("the generic profile must have no numbers" in m for m in messages(project))
    (project.countries / "generic.yml").unlink()
    assert any("missing the 'generic.yml' profile" in m for m in messages(project))


def test_untranslated_and_fuzzy_messages_are_reported(project):
    po = project.locales / "km" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgid "Next"')
    end = text.index("\n\n", start)
    po.write_text(text[:start] + 'msgid "Next"\nmsgstr ""' + text[end:], encoding="utf-8")
    line = line_of(po, 'msgid "Next"')
    assert f"locales/km/LC_MESSAGES/messages.po:{line}: untranslated: 'Next'" in messages(project)


def test_placeholder_mismatch_in_a_translation_is_reported(project):
    po = project.locales / "es" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    marker = "{emergency_number}"
    msgstr_at = text.index("msgstr", text.index("I am an automatic assistant, not a person"))
    fixed = text[:msgstr_at] + text[msgstr_at:].replace(marker, "{numero}", 1)
    po.write_text(fixed, encoding="utf-8")
    assert any("messages.po:" in m and "placeholders ['numero'] differ" in m for m in messages(project))


def test_unknown_placeholder_and_unsafe_last_variation_in_the_domain(project):
    replace(project.domain, 'call the police or local emergency services."', 'call {fire_number}."')
    found = "\n".join(messages(project))
    assert "unknown placeholder {fire_number}" in found
    replace(project.domain, "tell the police or the local authorities.", "call {emergency_number}.")
    assert "utter_found_object: the last variation must need no phone number" in "\n".join(messages(project))


def test_message_missing_from_a_catalog_points_at_the_domain(project):
    replace(project.domain, '"Quiz: answer yes or no."', '"Quiz time: answer yes or no."')
    line = line_of(project.domain, "Quiz time")
    assert any(m.startswith(f"domain.yml:{line}: not in the fr catalog") for m in messages(project))


def test_unreadable_catalog_is_reported(project):
    po = project.locales / "ar" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "dangling\n', encoding="utf-8")
    assert any(
        m.startswith("locales/ar/LC_MESSAGES/messages.po:") and "cannot read" in m for m in messages(project)
    )


def test_safety_net_files_are_checked(project):
    path = project.safety_net / "fr.yml"
    path.write_text("found_object:\n  - grenade\nsomeone_hurt:\n  - blesse\n", encoding="utf-8")
    found = "\n".join(messages(project))
    assert "content/safety_net/fr.yml:3: unknown key 'someone_hurt'" in found
    assert "content/safety_net/fr.yml:1: no terms for 'someone_injured'" in found
    (project.safety_net / "km.yml").unlink()
    assert "content/safety_net/km.yml:0: missing: every language needs urgent terms" in "\n".join(
        messages(project)
    )


def test_sms_keywords_that_yaml_reads_as_booleans_are_reported(project):
    path = project.sms_keywords
    text = path.read_text(encoding="utf-8").replace('"yes"', "yes")
    path.write_text(text, encoding="utf-8")
    line = line_of(path, "en: [start, yes")
    assert f"content/sms_keywords.yml:{line}: 'yes' is not read as text: put it in quotes" in messages(
        project
    )


def test_last_sms_variation_must_work_without_a_number(project):
    replace(project.domain, 'away, tell the police."', 'away, call {police_number}."')
    assert "utter_found_object (sms): the last variation must need no phone number" in "\n".join(
        messages(project)
    )


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("+380 44 123 4567", "'+380 44 123 4567' is a number of UA, not of KH"),
        ("CMAC hotline 012-800", "'CMAC hotline 012-800' is not a valid phone number for KH"),
        ("012-800", "'012-800' is not a valid phone number for KH"),
    ],
)
def test_a_profile_number_must_be_a_number_of_its_own_country(project, number, problem):
    path = project.countries / "cambodia.yml"
    replace(path, 'number: "117"', f'number: "{number}"')
    assert [m for m in messages(project) if "cambodia.yml" in m] == [
        f"content/countries/cambodia.yml:{line_of(path, number)}: {problem}"
    ]


@pytest.mark.parametrize("number", ["1414", "+855 23 216 400"])
def test_short_codes_and_numbers_with_the_countrys_own_code_pass(project, number):
    replace(project.countries / "cambodia.yml", 'number: "117"', f'number: "{number}"')
    # (A long number may push a safety answer over the SMS budget: reported at domain.yml, not here.)
    assert [m for m in messages(project) if "cambodia.yml" in m] == []


def test_a_response_over_the_sms_budget_is_reported_at_its_line(project):
    # Before: only tests/sms/test_sms_budget.py measured it; `bot content check` said "Content OK".
    po = project.locales / "fr" / "LC_MESSAGES" / "messages.po"
    english = (
        "STOP. Do not touch or move it. Warn others, keep away. Go back the way you came. "
        "From far away, tell the police."
    )
    text = po.read_text(encoding="utf-8")
    start = text.index(f'msgid "{english}"')
    msgstr_at = text.index("msgstr ", start)
    end = text.index("\n", msgstr_at)
    long = "ARRÊTEZ-VOUS. " * 30
    po.write_text(text[:msgstr_at] + f'msgstr "{long}"' + text[end:], encoding="utf-8")
    line = line_of(project.domain, "  utter_found_object:")
    assert messages(project) == [
        f"domain.yml:{line}: utter_found_object by SMS: a safety answer must be 1 SMS of at most 2 segments "
        "(fr/generic)",
    ]

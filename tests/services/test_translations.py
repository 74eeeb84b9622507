"""The directory's own text in the reader's language (content/services/translations/*.yml), and
the rule that an example row carries no phone: what `bot content check` reports, file:line."""

from __future__ import annotations

from bot.paths import project_paths
from bot.services.check import check_services
from bot.services.translations import load_translations, translated
from tests.factories import PROJECT_ROOT
from tests.services.helpers import csv_text, project, row, write

TRANSLATION = """\
# a comment
a1:
  uk:
    organisation: Приклад центру
    service: Протези
    hours: Пн-Пт 9-17
    accessibility: Без сходинок
"""


def messages(paths) -> list[str]:
    return [str(problem) for problem in check_services(paths)]


def write_translation(paths, name: str, text: str) -> None:
    folder = paths.services_translations
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_an_example_row_with_a_phone_is_rejected_at_its_line(tmp_path):
    # Before: example rows pointed at the profile's emergency number (a real national line).
    paths = project(tmp_path)
    write(
        paths,
        "ua.csv",
        csv_text(
            row("a1", phone=""),  # line 3: an example without a phone
            row("a2", phone="profile:emergency"),  # 4: a real national number
            row("a3", phone="+380 44 123 4567"),  # 5: a real-looking number
            row("a4", phone="+380 44 123 4567", example="false"),  # 6: a real service may have one
        ),
    )
    write_translation(paths, "ua.yml", "")
    found = [m for m in messages(paths) if "warning" not in m]
    assert found == [
        "content/services/ua.csv:4: phone 'profile:emergency' on an example row: "
        "leave the phone of an example empty",
        "content/services/ua.csv:5: phone '+380 44 123 4567' on an example row: "
        "leave the phone of an example empty",
    ]


def test_an_unknown_id_language_field_or_a_placeholder_in_the_translations_is_rejected(tmp_path):
    paths = project(tmp_path)
    write(paths, "ua.csv", csv_text(row("a1"), row("a2")))
    write_translation(
        paths,
        "ua.yml",
        TRANSLATION
        + "a9:\n  uk:\n    service: Невідома\n"  # line 8: no such row
        + "a2:\n  xx:\n    service: x\n"  # 11-12: no such language
        + "  uk:\n    service: Протези {phone}\n"  # 14-15: a placeholder
        + "    address: Вулиця\n"  # 16: not a translatable field
        + "    hours: ''\n",  # 17: empty
    )
    write_translation(paths, "narnia.yml", TRANSLATION)
    where = "content/services/translations/ua.yml"
    assert messages(paths) == [
        "content/services/translations/narnia.yml:1: no directory file content/services/narnia.csv",
        f"{where}:8: unknown service id 'a9' (not in ua.csv)",
        f"{where}:12: 'a2': unknown language 'xx' (use en, fr, es, uk, ar, km)",
        f"{where}:15: 'a2' uk service: no {{placeholders}} here",
        f"{where}:16: 'a2' uk address: unknown field (use organisation, service, hours, accessibility)",
        f"{where}:17: 'a2' uk hours: empty",
        f"{where}:11: warning: 'a2': no uk text for organisation, service, hours, accessibility "
        "(the CSV's text is shown)",
    ]
    # What the check rejects is never shown; the rest is.
    loaded = load_translations(paths.services)
    assert translated(loaded, "ua", "a1", "uk")["organisation"] == "Приклад центру"
    assert translated(loaded, "ua", "a2", "uk") == {}
    assert translated(loaded, "ua", "a1", "ar") == {}


def test_a_directory_file_without_translations_is_a_warning(tmp_path):
    paths = project(tmp_path)
    write(paths, "ua.csv", csv_text(row("a1")))
    assert messages(paths) == [
        "content/services/translations/ua.yml:1: warning: no translations for uk (the CSV's text is shown)"
    ]


def test_the_shipped_directory_and_translations_are_complete():
    # Every example row of every country, in every language of its profile, no warning.
    assert messages(project_paths(PROJECT_ROOT)) == []

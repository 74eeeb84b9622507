"""Country cards (issue 14): each profile lists its own, `bot content check` verifies them."""

from __future__ import annotations

from bot.content.countries import load_profiles
from bot.paths import ProjectPaths
from tests.content.test_check import line_of, messages, replace
from tests.content.test_check import project as project  # noqa: F401  (the fixture)
from tests.factories import PROJECT_ROOT


def test_each_country_lists_its_cards_and_the_generic_profile_none():
    profiles = load_profiles(ProjectPaths(PROJECT_ROOT).countries)
    assert {pid: list(p.cards) for pid, p in profiles.items()} == {
        "ukraine": ["utter_card_ukraine_1", "utter_card_ukraine_2", "utter_card_ukraine_3"],
        "lebanon": ["utter_card_lebanon_1", "utter_card_lebanon_2"],
        "cambodia": ["utter_card_cambodia_1", "utter_card_cambodia_2"],
        "colombia": ["utter_card_colombia_1", "utter_card_colombia_2"],
        "generic": [],
    }


def test_a_profile_listing_a_missing_card_is_reported_with_its_line(project):  # noqa: F811
    path = project.countries / "ukraine.yml"
    replace(path, "  - utter_card_ukraine_2\n", "  - utter_card_ukraine_2\n  - utter_card_ukraine_9\n")
    line = line_of(path, "utter_card_ukraine_9")
    assert messages(project) == [
        f"content/countries/ukraine.yml:{line}: card 'utter_card_ukraine_9' is not a response in domain.yml"
    ]


def test_a_card_without_a_translation_is_reported_on_the_profile(project):  # noqa: F811
    po = project.locales / "ar" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgid "In the south of Lebanon')
    begin = text.index("msgstr ", start)
    end = text.index("\n\n", begin)
    po.write_text(text[:begin] + 'msgstr ""' + text[end:], encoding="utf-8")
    line = line_of(project.countries / "lebanon.yml", "utter_card_lebanon_1")
    found = messages(project)
    assert (
        f"content/countries/lebanon.yml:{line}: card 'utter_card_lebanon_1' is not translated in ar" in found
    )
    assert [m for m in found if "countries/" in m] == [
        f"content/countries/lebanon.yml:{line}: card 'utter_card_lebanon_1' is not translated in ar"
    ]


def test_cards_must_be_a_list(project):  # noqa: F811
    path = project.countries / "generic.yml"
    replace(path, "cards: []", "cards: utter_card_ukraine_1")
    line = line_of(path, "cards:")
    assert f"content/countries/generic.yml:{line}: 'cards' must be a list of response keys" in messages(
        project
    )

"""A country profile names its own "Your rights" card (survivor_entitlements); its text stays in
domain.yml and the catalogs, and `bot content check` refuses a name that is not a response."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.check import check_all
from bot.content.countries import load_profiles, profile_from_dict
from bot.nlg import ResponseContext, build_renderer
from bot.paths import ProjectPaths, project_paths
from tests.factories import PROJECT_ROOT, copy_project, renderer

RESPONSES = {
    "utter_survivor_entitlements": [{"text": "Ask the social services office."}],
    "utter_survivor_entitlements_testland": [{"text": "In Testland: a disability pension."}],
}


def test_a_profile_field_names_the_response_sent_instead_of_the_general_card():
    testland = profile_from_dict(
        "testland",
        {
            "name": "Testland",
            "default_language": "en",
            "numbers": {},
            "survivor_entitlements": "utter_survivor_entitlements_testland",
        },
    )
    assert testland.response_key("utter_survivor_entitlements") == "utter_survivor_entitlements_testland"
    assert testland.response_key("utter_help") == "utter_help"
    nlg = renderer(RESPONSES, profiles=[testland])
    own = nlg.render("utter_survivor_entitlements", ResponseContext("en", testland), "rest", {})
    general = nlg.render("utter_survivor_entitlements", ResponseContext("en", nlg.profile(None)), "rest", {})
    assert (own["text"], general["text"]) == (
        "In Testland: a disability pension.",
        "Ask the social services office.",
    )


def test_a_profile_naming_a_missing_response_gets_the_general_card():
    broken = profile_from_dict(
        "broken",
        {"name": "B", "default_language": "en", "numbers": {}, "survivor_entitlements": "utter_nope"},
    )
    nlg = renderer(RESPONSES, profiles=[broken])
    rendered = nlg.render("utter_survivor_entitlements", ResponseContext("en", broken), "rest", {})
    assert rendered["text"] == "Ask the social services office."


def test_the_shipped_profiles_ukraine_has_its_card_and_generic_has_none():
    profiles = load_profiles(PROJECT_ROOT / "content" / "countries")
    assert (
        profiles["ukraine"].response_key("utter_survivor_entitlements")
        == "utter_survivor_entitlements_ukraine"
    )
    assert profiles["generic"].response_key("utter_survivor_entitlements") == "utter_survivor_entitlements"
    shipped = build_renderer(project_paths(PROJECT_ROOT))
    ukraine = shipped.render(
        "utter_survivor_entitlements", ResponseContext("uk", profiles["ukraine"]), "rest", {}
    )
    assert ukraine["text"].startswith("В Україні")


@pytest.fixture()
def project(tmp_path: Path) -> ProjectPaths:
    return copy_project(tmp_path)


def test_content_check_refuses_a_survivor_entitlements_that_is_not_a_response(project):
    assert [str(p) for p in check_all(project) if not p.warning] == []
    path = project.countries / "ukraine.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("utter_survivor_entitlements_ukraine", "utter_rights_ukrain"), encoding="utf-8"
    )
    line = next(
        n
        for n, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "survivor_" in ln and ":" in ln and not ln.startswith("#")
    )
    assert [str(p) for p in check_all(project) if not p.warning] == [
        f"content/countries/ukraine.yml:{line}: survivor_entitlements: 'utter_rights_ukrain' "
        "is not a response of domain.yml (it is sent instead of utter_survivor_entitlements)"
    ]

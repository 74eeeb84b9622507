"""bot.conversation: the one decision of a conversation's language and country."""

from bot.conversation import country_hint, decide
from bot.i18n import LanguageDetector
from tests.factories import generic_profile, profile

PROFILES = {
    "generic": generic_profile(),
    "ukraine": profile("ukraine", iso2="UA", default_language="uk"),
    "colombia": profile("colombia", iso2="CO", default_language="es"),
}
DETECTOR = LanguageDetector.offline()


def context(slots: dict, *messages: tuple) -> tuple[str, str]:
    decided = decide(slots, list(messages), PROFILES, DETECTOR)
    return decided.language, decided.profile.id


def test_nothing_known_is_english_and_generic():
    assert context({}) == ("en", "generic")
    assert context({}, ("/help", None)) == ("en", "generic")


def test_country_hint_gives_profile_and_default_language():
    assert context({}, ("/help", {"country": "colombia"})) == ("es", "colombia")


def test_chosen_slots_win_over_hints():
    hinted = ("/help", {"country": "colombia", "language": "fr"})
    assert context({"country": "ukraine"}, hinted) == ("fr", "ukraine")
    assert context({"country": "ukraine", "language": "en"}, hinted) == ("en", "ukraine")


def test_typed_text_wins_over_hints_and_defaults():
    typed = ("I found something that looks like a grenade", {"country": "colombia"})
    assert context({}, typed) == ("en", "colombia")


def test_latest_country_hint_counts():
    assert (
        country_hint([("a", {"country": "ukraine"}), ("b", {"country": "colombia"}), ("c", {})]) == "colombia"
    )
    assert country_hint([("a", "not a mapping"), ("b", {"country": 5})]) is None

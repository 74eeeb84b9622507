"""bot.conversation: the one decision of a conversation's language and country."""

from bot.conversation import country_hint, decide
from bot.i18n import LanguageDetector
from tests.factories import PROJECT_ROOT, generic_profile, profile

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


SHORT = LanguageDetector.offline(PROJECT_ROOT)


def decided(slots: dict, *messages: tuple) -> str:
    return decide(slots, list(messages), PROFILES, SHORT).language


def test_a_country_default_does_not_change_the_language_the_person_wrote_in():
    assert (
        decided({"country": "ukraine"}, ("hello", None), ('/set_country{"country": "ukraine"}', None)) == "en"
    )
    # Before anything is written the country's language applies.
    assert decided({"country": "ukraine"}, ('/set_country{"country": "ukraine"}', None)) == "uk"


def test_a_later_confident_message_in_another_language_does_not_switch():
    assert (
        decided({}, ("hi", None), ("yes, delete it", None), ("encontré una mina en la finca", None)) == "en"
    )


def test_no_hablo_ingles_chooses_spanish_over_the_english_the_nlu_read_in_it():
    assert decided({"language": "en"}, ("I found a mine", None), ("no hablo ingles", None)) == "es"
    # "en inglés por favor" is a choice of English; a later button is a choice too.
    assert decided({"language": "en"}, ("no hablo ingles", None), ("en inglés por favor", None)) == "en"
    pressed = ('/set_language{"language": "en"}', None)
    assert decided({"language": "en"}, ("no hablo ingles", None), pressed) == "en"


def test_short_messages_lean_on_the_channel_hint():
    assert decided({}, ("ok", {"language": "fr"})) == "fr"
    assert decided({}, ("no", {"language": "en"})) == "en"
    assert decided({}, ("ana la2et 2onbole", {"language": "en"})) == "ar"

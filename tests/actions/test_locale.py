"""The action server decides language and country exactly as the NLG does (bot.conversation)."""

from typing import Optional

from rasa_sdk import Tracker

from actions.locale import conversation_context
from tests.factories import generic_profile, profile

PROFILES = {
    "generic": generic_profile(),
    "lebanon": profile("lebanon", iso2="LB", default_language="ar"),
    "cambodia": profile("cambodia", iso2="KH", default_language="km"),
}


def sdk_tracker(events: list[dict], language: Optional[str] = None, country: Optional[str] = None) -> Tracker:
    slots = {"language": language, "country": country}
    return Tracker("t", slots, {}, events, False, None, {}, "action_listen")


def decided(tracker: Tracker) -> tuple[str, str]:
    context = conversation_context(tracker, PROFILES)
    return context.language, context.profile.id


def test_chosen_language_wins_then_typed_text_then_country():
    typed = [{"event": "user", "text": "Я знайшов щось схоже на гранату"}]
    assert decided(sdk_tracker(typed, language="km", country="lebanon")) == ("km", "lebanon")
    assert decided(sdk_tracker(typed, country="lebanon")) == ("uk", "lebanon")
    assert decided(sdk_tracker([{"event": "user", "text": "/help"}], country="lebanon")) == ("ar", "lebanon")


def test_the_channels_country_hint_counts_until_a_country_is_chosen():
    hinted = [{"event": "user", "text": "/help", "metadata": {"country": "cambodia"}}]
    assert decided(sdk_tracker(hinted)) == ("km", "cambodia")
    assert decided(sdk_tracker(hinted, country="lebanon")) == ("ar", "lebanon")
    unknown = [{"event": "user", "text": "/help", "metadata": {"country": "atlantis"}}]
    assert decided(sdk_tracker(unknown)) == ("en", "generic")

from __future__ import annotations

import pytest

from bot.content.countries import load_profiles
from bot.sms.senders import parse_sender, profile_for_sender
from tests.factories import PROJECT_ROOT


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(PROJECT_ROOT / "content" / "countries")


@pytest.mark.parametrize(
    ("number", "profile", "language"),
    [
        ("+85512345678", "cambodia", "km"),
        ("+380501234567", "ukraine", "uk"),
        ("+573001234567", "colombia", "es"),
        ("+9613123456", "lebanon", "ar"),
    ],
)
def test_country_and_language_from_the_number(profiles, number, profile, language):
    found = profile_for_sender(number, profiles)
    assert found is not None and found.id == profile and found.default_language == language


@pytest.mark.parametrize("number", ["+33612345678", "12345", "not a number", "", "+"])
def test_other_or_invalid_numbers_have_no_profile(profiles, number):
    assert profile_for_sender(number, profiles) is None


def test_invalid_numbers_do_not_parse():
    assert parse_sender("abc") is None
    assert parse_sender("+85512345678") is not None

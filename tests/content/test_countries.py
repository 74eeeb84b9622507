from __future__ import annotations

from bot.content.countries import load_profiles
from tests.factories import PROJECT_ROOT


def test_shipped_profiles_load_with_their_numbers():
    profiles = load_profiles(PROJECT_ROOT / "content" / "countries")
    assert {"ukraine", "cambodia", "colombia", "lebanon", "generic"} <= set(profiles)
    assert profiles["ukraine"].numbers["emergency"].number == "101"
    assert profiles["ukraine"].numbers["emergency"].verified is True
    assert profiles["colombia"].numbers["emergency"].verified is False
    assert profiles["generic"].numbers == {}
    assert profiles["cambodia"].default_language == "km"


def test_placeholders_leave_out_missing_numbers():
    profiles = load_profiles(PROJECT_ROOT / "content" / "countries")
    assert profiles["colombia"].placeholders() == {"safe_distance": "100", "emergency_number": "123"}
    assert "emergency_number" not in profiles["generic"].placeholders()

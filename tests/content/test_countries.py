from __future__ import annotations

from bot.content.countries import load_profiles, profile_from_dict
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


def test_a_protection_hotline_is_given_only_once_verified():
    unverified = {"number": "1288", "verified": False, "source": "news report"}
    verified = {**unverified, "verified": True, "source": "confirmed with the ministry"}
    base = {"name": "Cambodia", "iso2": "KH", "default_language": "km", "safe_distance_m": 100}
    numbers = {"emergency": {"number": "117", "verified": False}}
    hidden = profile_from_dict("cambodia", {**base, "numbers": {**numbers, "protection": unverified}})
    given = profile_from_dict("cambodia", {**base, "numbers": {**numbers, "protection": verified}})
    # an unverified emergency number is still given; an unverified hotline is not
    assert hidden.placeholders() == {"safe_distance": "100", "emergency_number": "117"}
    assert given.placeholders() == {
        "safe_distance": "100",
        "emergency_number": "117",
        "protection_number": "1288",
    }

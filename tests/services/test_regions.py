"""Region names as people type them, in any language or script."""

import pytest

from bot.services.regions import RegionIndex, RegionMatch, load_regions
from tests.factories import PROJECT_ROOT

REGIONS = load_regions(PROJECT_ROOT / "content" / "regions")


@pytest.mark.parametrize(
    ("country", "typed", "expected"),
    [
        ("ukraine", "Kharkiv", RegionMatch("kharkiv")),
        ("ukraine", "харківська область", RegionMatch("kharkiv")),
        ("ukraine", "Я живу в Харків", RegionMatch("kharkiv")),
        ("ukraine", "JÁRKOV", RegionMatch("kharkiv")),
        ("ukraine", "izyum", RegionMatch("kharkiv", "izium")),
        ("ukraine", "Куп’янськ", RegionMatch("kharkiv", "kupiansk")),
        ("ukraine", "خاركيف", RegionMatch("kharkiv")),
        ("cambodia", "បាត់ដំបង", RegionMatch("battambang")),
        ("cambodia", "ខ្ញុំនៅខេត្តបាត់ដំបង", RegionMatch("battambang")),
        ("cambodia", "bat dambang", RegionMatch("battambang")),
        ("colombia", "narino", RegionMatch("narino")),
        ("colombia", "Vivo en Nariño", RegionMatch("narino")),
        ("lebanon", "Beyrouth", RegionMatch("beirut")),
        ("lebanon", "بَيْرُوت", RegionMatch("beirut")),
        ("lebanon", "Trablous", RegionMatch("north", "tripoli")),
        ("lebanon", "Mont-Liban", RegionMatch("mount_lebanon")),
    ],
)
def test_typed_region_is_found(country, typed, expected):
    assert RegionIndex(REGIONS[country]).match(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "somewhere", "Paris"])
def test_unknown_place_is_none(typed):
    assert RegionIndex(REGIONS["ukraine"]).match(typed) is None


def test_every_region_has_a_name_in_each_language():
    for regions in REGIONS.values():
        for region in regions.values():
            assert {"en", "fr", "es", "uk", "ar", "km"} <= set(region.names)

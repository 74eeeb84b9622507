"""The report itself: references, validation, the JSON form used by the spool."""

from datetime import datetime

import pytest

from bot.references import REFERENCE_ALPHABET, new_reference
from bot.reports.model import HazardReport
from tests.factories import hazard_report


def test_reference_is_six_unambiguous_characters():
    references = {new_reference() for _ in range(500)}
    assert len(references) > 490
    for reference in references:
        assert len(reference) == 6
        assert not set(reference) & set("0O1IL")
        assert set(reference) <= set(REFERENCE_ALPHABET)


def test_every_report_has_its_own_uuid():
    first, second = hazard_report(), hazard_report()
    assert first.id != second.id and len(first.id) == 36


def test_json_round_trip_keeps_everything():
    report = hazard_report(latitude=49.98, longitude=36.25, contact_consent=True, contact="+380501234567")
    assert HazardReport.from_json(report.to_json()) == report


def test_contact_without_consent_is_dropped_by_the_builder():
    assert hazard_report(contact="+380501234567", contact_consent=False).contact is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"hazard_type": "banana"}, "unknown hazard type"),
        ({"seen": "tomorrow"}, "unknown 'seen' value"),
        ({"latitude": 10.0}, "latitude and longitude go together"),
        ({"latitude": 95.0, "longitude": 10.0}, "coordinates out of range"),
        ({"created_at": datetime(2026, 1, 1)}, "must be timezone-aware"),  # noqa: DTZ001  (naive on purpose: refused)
    ],
)
def test_invalid_reports_are_refused(changes, reason):
    with pytest.raises(ValueError, match=reason):
        hazard_report(**changes)

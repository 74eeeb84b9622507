"""Reference codes: one alphabet without look-alikes; typed references match stored ones, old ones too."""

import pytest
import sqlalchemy as sa

from bot.clock import utc_now
from bot.references import REFERENCE_ALPHABET, clean_reference, new_reference
from bot.reports import store
from bot.services.referrals import close_referral
from bot.services.store import referrals
from bot.store.db import Database
from tests.factories import hazard_report


def test_the_alphabet_has_no_look_alikes():
    assert REFERENCE_ALPHABET == "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    assert not set("0O1IL") & set(REFERENCE_ALPHABET)


@pytest.mark.parametrize("length", [1, 6, 10])
def test_new_reference_has_the_length_asked_and_only_alphabet_characters(length: int):
    references = {new_reference(length) for _ in range(300)}
    assert {len(r) for r in references} == {length}
    assert set("".join(references)) <= set(REFERENCE_ALPHABET)


def test_references_are_random_and_six_long_by_default():
    references = {new_reference() for _ in range(500)}
    assert len(references) > 490 and {len(r) for r in references} == {6}


def test_a_reference_needs_at_least_one_character():
    with pytest.raises(ValueError, match="at least one character, not 0"):
        new_reference(0)


def test_typed_references_are_cleaned_not_rejected():
    assert clean_reference(" 7kq-4xh ") == "7KQ4XH"
    # A report reference made before the shared alphabet could contain L: it stays typeable.
    assert clean_reference("k7l 2qx") == "K7L2QX"


def test_an_old_report_reference_with_l_is_still_found(app_database: Database):
    old = hazard_report(reference="K7L2QX")
    with app_database.migrate().sessions.begin() as session:
        store.insert_report(session, old, old.created_at)
    with app_database.sessions.begin() as session:
        assert store.reference_taken(session, clean_reference("k7l-2qx"))
        assert not store.reference_taken(session, "K7M2QX")


def test_staff_close_a_referral_typed_in_lower_case_with_separators(app_database: Database):
    app_database.migrate()
    row = {
        "reference": "7KQ4XH",
        "conversation": "c" * 64,
        "contact": "+380501234567",
        "category": "medical",
        "country": "UA",
        "region": None,
        "district": None,
        "language": "uk",
        "consent_at": utc_now(),
        "status": "open",
    }
    with app_database.sessions.begin() as session:
        session.execute(sa.insert(referrals).values(**row))
    assert close_referral(app_database, " 7kq-4xh ")
    assert not close_referral(app_database, "7KQ4XH")  # closed already

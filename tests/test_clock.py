"""The one clock: aware UTC times, and the stores use it."""

from datetime import datetime, timedelta, timezone

from bot import clock
from bot.inbox import store as inbox_store
from bot.reports import model
from bot.services import referrals
from bot.services import store as services_store
from bot.sms import store as sms_store
from tests.factories import hazard_report


def test_utc_now_is_aware_utc_and_current():
    before = datetime.now(timezone.utc)
    now = clock.utc_now()
    after = datetime.now(timezone.utc)
    assert now.tzinfo is timezone.utc and now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_the_stores_share_the_one_clock():
    # The modules that stamp rows call bot.clock.utc_now, not copies of their own.
    users = (model, referrals, services_store, sms_store, inbox_store)
    assert all(module.utc_now is clock.utc_now for module in users)


def test_a_new_report_is_stamped_in_utc():
    report = hazard_report()
    assert report.created_at.tzinfo is timezone.utc
    assert abs(clock.utc_now() - report.created_at) < timedelta(seconds=5)

"""How long each kind of stored data is kept (RETAIN_*_DAYS; None: kept until erased on request).

A leaf module: bot.settings builds a `Retention` from the environment, and
bot.retention.expire applies it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

CONVERSATIONS = "conversations"
SMS_STATE = "sms state"
REPORT_CONTACTS = "report contacts"
CLOSED_REFERRALS = "closed referrals"
OUTREACH_MESSAGES = "outreach messages"
SURVEY_ANSWERS = "survey answers"
# The kinds, in the order `bot data expire` reports them.
KINDS = (CONVERSATIONS, SMS_STATE, REPORT_CONTACTS, CLOSED_REFERRALS, OUTREACH_MESSAGES, SURVEY_ANSWERS)


@dataclass(frozen=True)
class Retention:
    """Days each kind is kept after its last use (None: never expires)."""

    # RETAIN_CONVERSATIONS_DAYS: a conversation's events, counted from its last event.
    conversations_days: Optional[int] = 365
    # RETAIN_SMS_STATE_DAYS: a number's last menu, and answered inbox rows (ids kept for dedupe).
    sms_state_days: Optional[int] = 30
    # RETAIN_REPORT_CONTACTS_DAYS: a hazard report's contact, counted from the report (the hazard stays).
    report_contacts_days: Optional[int] = 90
    # RETAIN_CLOSED_REFERRALS_DAYS: a closed or cancelled referral, counted from its closing.
    closed_referrals_days: Optional[int] = 365
    # RETAIN_OUTREACH_MESSAGES_DAYS: a sent, failed or stopped alert/campaign/follow-up message
    # (who got what; the address went when it was final), counted from when it was queued.
    outreach_messages_days: Optional[int] = 90
    # RETAIN_SURVEY_ANSWERS_DAYS: a survey response and its chosen options (pseudonymous), counted
    # from when it was started; two years, so that a later answer can be compared with a first.
    survey_answers_days: Optional[int] = 730

    def days(self, kind: str) -> Optional[int]:
        """The period of `kind` (one of KINDS) in days; None when it never expires."""
        return {
            CONVERSATIONS: self.conversations_days,
            SMS_STATE: self.sms_state_days,
            REPORT_CONTACTS: self.report_contacts_days,
            CLOSED_REFERRALS: self.closed_referrals_days,
            OUTREACH_MESSAGES: self.outreach_messages_days,
            SURVEY_ANSWERS: self.survey_answers_days,
        }[kind]

    def cutoff(self, kind: str, now: dt.datetime) -> Optional[dt.datetime]:
        """What of `kind` was last used before this time expires; None when it never does."""
        days = self.days(kind)
        return None if days is None else now - dt.timedelta(days=days)

"""The reports slice's "delete my data" hook: contact details go, the hazards stay.

A report's contact is erased in the app database and in the spool (reports
waiting there while the database was down). The hazard itself (what, where,
when) is public-safety data the mine action authority needs, and holds nothing
that identifies the person once the contact is gone.
"""

from __future__ import annotations

import logging

from bot.privacy import AppData
from bot.reports import store

logger = logging.getLogger(__name__)


def erase_report_contacts(data: AppData, conversation: str) -> int:
    """Remove the contact details of the conversation's reports, in the spool and the database;
    returns how many changed. Both are tried; the first failure is raised after that."""
    changed = 0
    failure: BaseException | None = None
    try:
        changed += data.spool.erase_contacts(conversation)
    except OSError as error:
        logger.exception("Could not erase the contacts of spooled reports now")
        failure = error
    try:
        with data.database.sessions.begin() as session:
            changed += store.erase_contacts(session, conversation)
    except Exception as error:  # noqa: BLE001  (raised below, once the spool part was tried too)
        logger.exception("Could not erase the contacts of stored reports now")
        failure = failure or error
    if failure is not None:
        raise failure
    return changed


def erase(data: AppData, conversation: str) -> None:
    """The `Feature.erase` hook (bot.features): raises when something could not be erased."""
    erase_report_contacts(data, conversation)

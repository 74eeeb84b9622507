"""What the actions share, built once when the action server starts and passed to each action.

`build_runtime` does all the I/O (content files, the pseudonym key, the app database's
migrations) before the server accepts a request; actions receive the `Runtime` in their
constructor (`actions.server` constructs and registers them), so no action reaches for a
module-level singleton and no action's `run` ever migrates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.content.countries import GENERIC_PROFILE, CountryProfile, hotlines_by_country
from bot.i18n import Catalogs
from bot.nlu.safety_terms import SafetyTerms
from bot.outreach.surveys import Survey, load_surveys
from bot.paths import ProjectPaths
from bot.privacy import AppData
from bot.reports.forward import ReportsWorker, webhook_url
from bot.reports.spool import Spool
from bot.services.conversation import ServicesContext
from bot.services.partners import Partner, load_partners
from bot.services.regions import Region
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.pseudonym import Pseudonymizer, load_key

logger = logging.getLogger(__name__)

# Seconds between the reports worker's passes when no new report wakes it.
BACKGROUND_EVERY_S = 300.0


@dataclass
class Runtime:
    """The app database, spool, pseudonyms, content and background worker of one action server."""

    paths: ProjectPaths
    database: Database
    spool: Spool
    pseudonyms: Pseudonymizer
    terms: SafetyTerms
    services: ServicesContext
    reports: Optional[ReportsWorker] = None
    # Referral partners (content/services/partners.yml, webhook URLs from the settings).
    partners: Mapping[str, Partner] = field(default_factory=dict)
    # KAP surveys by name (content/surveys), and the catalogs their texts are translated with.
    surveys: Mapping[str, Survey] = field(default_factory=dict)
    catalogs: Catalogs = field(default_factory=lambda: Catalogs({}))

    @property
    def profiles(self) -> Mapping[str, CountryProfile]:
        """Country profiles by id."""
        return self.services.reference.profiles

    @property
    def regions(self) -> Mapping[str, Mapping[str, Region]]:
        """Regions by country profile id, then region id."""
        return self.services.reference.regions

    @property
    def app_data(self) -> AppData:
        """Where a person's data lives outside the conversation (for "delete my data")."""
        return AppData(self.database, self.spool, self.pseudonyms)

    def profile(self, country: Optional[str]) -> CountryProfile:
        """The conversation's country profile; the generic one when unknown."""
        return self.profiles.get(country or "", self.profiles[GENERIC_PROFILE])

    def notify_partners(self) -> int:
        """Open the partner notifications of new referrals (the outbox; the queue's sweep sends
        them); how many rows wait. Blocking: run it off the event loop."""
        from bot.outreach.outbox import Outbox  # lazy: only referrals need it
        from bot.outreach.referrals import notify_new_referrals

        outbox = Outbox.sealed_with(self.database, self.pseudonyms)
        return len(notify_new_referrals(self.database, outbox, self.partners))

    def report_saved(self, where: str) -> None:
        """A report was stored (in the "database" or the "spool"): once the database works, ask
        the worker to replay the spool and forward now rather than at its next pass."""
        if where == "database" and self.reports is not None:
            self.reports.wake()


def build_runtime(
    paths: ProjectPaths, database: Optional[Database] = None, settings: Optional[Settings] = None
) -> Runtime:
    """Read the content and the key, open and migrate the app database, and build the reports
    worker (not started: the server starts it)."""
    settings = settings or load_settings()
    database = database or Database.for_project(paths, settings)
    migrate_at_start(database)
    pseudonyms = Pseudonymizer(load_key(paths.var, settings))
    services = ServicesContext.for_project(paths, database, pseudonyms)
    spool = Spool.for_var(paths.var)
    worker = ReportsWorker(
        database=database,
        spool=spool,
        hotlines=hotlines_by_country(services.reference.profiles),
        url=webhook_url(settings),
        every=BACKGROUND_EVERY_S,
    )
    return Runtime(
        paths=paths,
        database=database,
        spool=spool,
        pseudonyms=pseudonyms,
        terms=SafetyTerms.load(paths.safety_net),
        services=services,
        reports=worker,
        partners=load_partners(paths.partners, settings.partner_webhooks),
        surveys=load_surveys(paths.surveys),
        catalogs=Catalogs.load(paths.locales),
    )


def migrate_at_start(database: Database) -> bool:
    """Bring the app database to head; when it is down, say so and serve anyway: reports go to the
    spool and other actions answer "unavailable" until the reports worker's next pass migrates it."""
    try:
        database.migrate()
    except SQLAlchemyError:
        logger.exception("The app database could not be migrated at start; the reports worker will retry")
        return False
    return True


class UsesRuntime:
    """Mixin for an action that needs the runtime: `actions.server` constructs it with the
    server's one Runtime (rasa-sdk's own package scan, which constructs without arguments,
    is not used)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

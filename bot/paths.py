"""Where the project's files live: one place, overridable for tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.settings import Settings, load_settings


@dataclass(frozen=True)
class ProjectPaths:
    """Locations of the files the assistant reads."""

    root: Path

    @property
    def domain(self) -> Path:
        """The domain with the English source text of every response."""
        return self.root / "domain.yml"

    @property
    def config(self) -> Path:
        """The NLU pipeline and policies."""
        return self.root / "config.yml"

    @property
    def data(self) -> Path:
        """Training data: NLU examples, rules and stories."""
        return self.root / "data"

    @property
    def locales(self) -> Path:
        """Gettext catalogs, one folder per language."""
        return self.root / "locales"

    @property
    def content(self) -> Path:
        """Everything NGO staff edit."""
        return self.root / "content"

    @property
    def countries(self) -> Path:
        """Country profiles NGO staff edit."""
        return self.content / "countries"

    @property
    def regions(self) -> Path:
        """Regions and districts per country, with their names and aliases."""
        return self.content / "regions"

    @property
    def services(self) -> Path:
        """The services directory: one CSV file per country."""
        return self.content / "services"

    @property
    def partners(self) -> Path:
        """Referral partners: who is told of referrals, by webhook or e-mail."""
        return self.services / "partners.yml"

    @property
    def services_translations(self) -> Path:
        """Translations of the directory's fields, one file per CSV file."""
        return self.services / "translations"

    @property
    def service_needs(self) -> Path:
        """The words people use for each kind of survivor help."""
        return self.content / "service_needs.yml"

    @property
    def pictures(self) -> Path:
        """The SVG pictures lesson cards show (NGO staff may replace them)."""
        return self.content / "pictures"

    @property
    def lesson_topics(self) -> Path:
        """The words of each lesson topic."""
        return self.content / "lesson_topics.yml"

    @property
    def gendered_forms(self) -> Path:
        """Gendered forms per language that `bot content check` flags."""
        return self.content / "gendered_forms.yml"

    @property
    def language_evidence(self) -> Path:
        """Words several languages share and negations, for short messages' language."""
        return self.content / "language_evidence.yml"

    @property
    def yes_no(self) -> Path:
        """The yes and no words per language."""
        return self.content / "yes_no.yml"

    @property
    def safety_net(self) -> Path:
        """Urgent terms per language, for the NLU safety net."""
        return self.content / "safety_net"

    @property
    def sms_keywords(self) -> Path:
        """SMS keywords (HELP, STOP ...) and their local-language aliases."""
        return self.content / "sms_keywords.yml"

    @property
    def campaigns(self) -> Path:
        """Outreach campaigns NGO staff write: one content/campaigns/<name>.yml each."""
        return self.content / "campaigns"

    @property
    def surveys(self) -> Path:
        """Knowledge/attitude/practice surveys, one file each (content/surveys/<name>.yml)."""
        return self.content / "surveys"

    @property
    def models(self) -> Path:
        """Trained models, named by the fingerprint of their inputs."""
        return self.root / "models"

    @property
    def var(self) -> Path:
        """Runtime state: SQLite databases, logs."""
        return self.root / "var"

    @property
    def outreach_queue(self) -> Path:
        """The outreach job queue's SQLite file (when OUTREACH_QUEUE is sqlite)."""
        return self.var / "outreach-queue.db"

    @property
    def picture_builds(self) -> Path:
        """The PNGs rendered from the SVG pictures (not committed)."""
        return self.var / "pictures"


def project_paths(
    root: str | os.PathLike[str] | None = None, settings: Optional[Settings] = None
) -> ProjectPaths:
    """Return the project's paths: `root`, else BOT_HOME (the settings'), else the current directory."""
    chosen = root or (settings or load_settings()).home or os.getcwd()
    return ProjectPaths(Path(chosen).resolve())

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
    def countries(self) -> Path:
        """Country profiles NGO staff edit."""
        return self.root / "content" / "countries"

    @property
    def safety_net(self) -> Path:
        """Urgent terms per language, for the NLU safety net."""
        return self.root / "content" / "safety_net"

    @property
    def sms_keywords(self) -> Path:
        """SMS keywords (HELP, STOP ...) and their local-language aliases."""
        return self.root / "content" / "sms_keywords.yml"

    @property
    def models(self) -> Path:
        """Trained models, named by the fingerprint of their inputs."""
        return self.root / "models"

    @property
    def var(self) -> Path:
        """Runtime state: SQLite databases, logs."""
        return self.root / "var"


def project_paths(
    root: str | os.PathLike[str] | None = None, settings: Optional[Settings] = None
) -> ProjectPaths:
    """Return the project's paths: `root`, else BOT_HOME (the settings'), else the current directory."""
    chosen = root or (settings or load_settings()).home or os.getcwd()
    return ProjectPaths(Path(chosen).resolve())

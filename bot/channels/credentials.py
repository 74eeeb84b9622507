"""Which channels to serve: those of credentials.yml whose ${VARS} are all set.

Rasa refuses to start on an unset ${VAR}, so `bot serve` writes the enabled
subset (secrets still as ${VARS}, expanded by Rasa) to var/credentials.active.yml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def variables(entry: Any) -> set[str]:
    """The ${VARS} an entry's values refer to."""
    if isinstance(entry, dict):
        return set().union(*(variables(v) for v in entry.values())) if entry else set()
    return set(_VARIABLE.findall(entry)) if isinstance(entry, str) else set()


def enabled_channels(channels: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The channels whose every ${VAR} is set (a channel with none is always on)."""
    return {name: entry for name, entry in channels.items() if all(environ.get(v) for v in variables(entry))}


def _expand(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, environ) for k, v in value.items()}
    if isinstance(value, str):
        return _VARIABLE.sub(lambda found: environ.get(found.group(1), ""), value)
    return value


def configured_channels(source: Path, environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The entries of `source` whose ${VARS} are all set in `environ`, with them expanded (what
    Rasa gives each channel; the outreach worker sends with the same credentials)."""
    channels = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    return {
        name: dict(_expand(entry, environ) or {})
        for name, entry in enabled_channels(channels, environ).items()
    }


def write_active_credentials(source: Path, var: Path, environ: Mapping[str, str]) -> Path:
    """Write var/credentials.active.yml for the channels configured in `environ` (the process's,
    passed by `bot serve`: Rasa expands the same ${VARS} from it)."""
    channels = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    active = enabled_channels(channels, environ)
    var.mkdir(parents=True, exist_ok=True)
    path = var / "credentials.active.yml"
    header = f"# Written by `bot serve` from {source.name}: the channels configured in the environment.\n"
    path.write_text(header + yaml.safe_dump(active, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path

"""Referral partners (content/services/partners.yml): who is told of referrals, and how.

A partner is told of each new referral of its countries (and needs, if it lists some), and of
the referrals staff assign to it, by a JSON POST to its webhook (the URL from the
PARTNER_WEBHOOKS setting: URLs may hold secrets) and/or an e-mail. Notifications go through the
outreach outbox (bot/outreach/referrals.py), retried until delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from bot.content.problems import Problem, child, compose, mapping_items, relative
from bot.paths import ProjectPaths
from bot.services.categories import CATEGORIES

ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBHOOK = "webhook"
EMAIL = "email"


@dataclass(frozen=True)
class Partner:
    """One partner organisation and where it is told of referrals."""

    id: str
    name: str
    countries: tuple[str, ...]
    categories: tuple[str, ...] = ()  # empty: every need
    email: Optional[str] = None
    webhook_url: Optional[str] = None

    def takes(self, country: str, category: str) -> bool:
        """True when the partner is told of new referrals of this country and need."""
        return country in self.countries and (not self.categories or category in self.categories)

    def addresses(self) -> list[tuple[str, str]]:
        """(channel, address) it is notified on: its webhook, its e-mail."""
        found = [(WEBHOOK, self.webhook_url)] if self.webhook_url else []
        return found + ([(EMAIL, self.email)] if self.email else [])


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def load_partners(path: Path, webhooks: Mapping[str, str]) -> dict[str, Partner]:
    """The partners of the file (none when it is absent), with their webhook URLs from
    `webhooks` (the PARTNER_WEBHOOKS setting); a partner without a URL there is mailed only."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    partners = {}
    for partner_id, entry in (data.get("partners") or {}).items():
        entry = entry or {}
        partners[str(partner_id)] = Partner(
            id=str(partner_id),
            name=str(entry.get("name") or partner_id),
            countries=_strings(entry.get("countries")),
            categories=_strings(entry.get("categories")),
            email=str(entry["email"]) if entry.get("email") else None,
            webhook_url=webhooks.get(str(partner_id)) if entry.get("webhook") is True else None,
        )
    return partners


def check_partners(paths: ProjectPaths) -> list[Problem]:
    """Problems of content/services/partners.yml (none when there is no such file)."""
    path = paths.partners
    if not path.exists():
        return []
    where = relative(path, paths.root)
    root, problems = compose(path, where)
    if problems:
        return problems
    countries = {p.stem for p in paths.countries.glob("*.yml")}
    for partner_id, entry, line in mapping_items(child(root, "partners")):
        fields = {name: value for name, value, _ in mapping_items(entry)}
        problems += [
            Problem(where, line, f"partner '{partner_id}' {m}")
            for m in _partner(partner_id, fields, countries)
        ]
    return problems


def _names(node: Optional[yaml.Node]) -> list[str]:
    return [str(n.value) for n in node.value] if isinstance(node, yaml.SequenceNode) else []


def _partner(partner_id: str, fields: Mapping[str, yaml.Node], countries: set[str]) -> list[str]:
    """What is wrong with one partner's entry."""
    found = []
    if not ID_PATTERN.match(partner_id):
        found.append("has an id that is not lowercase letters, digits and _")
    name = fields.get("name")
    if not isinstance(name, yaml.ScalarNode) or not str(name.value).strip():
        found.append("has no name")
    named = _names(fields.get("countries"))
    if not named:
        found.append("lists no countries")
    found += [f"lists an unknown country '{c}'" for c in named if c not in countries]
    found += [
        f"lists an unknown category '{c}'" for c in _names(fields.get("categories")) if c not in CATEGORIES
    ]
    email = fields.get("email")
    if email is not None and not EMAIL_PATTERN.match(str(getattr(email, "value", ""))):
        found.append("has an email that is not an e-mail address")
    webhook = fields.get("webhook")
    if email is None and not (isinstance(webhook, yaml.ScalarNode) and str(webhook.value).lower() == "true"):
        found.append("needs email or webhook: true")
    return found

"""Tables of the services directory and referrals, and the directory's repository functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.clock import utc_now
from bot.services.directory import LIST_SEPARATOR, DirectoryFile, Service
from bot.store.db import Database
from bot.store.schema import metadata

services = sa.Table(
    "services",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("service_id", sa.String(64), nullable=False),
    sa.Column("organisation", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("country", sa.String(64), nullable=False),
    sa.Column("region", sa.String(64), nullable=True),
    sa.Column("district", sa.String(64), nullable=True),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("phone", sa.String(64), nullable=False),
    sa.Column("hours", sa.Text, nullable=False),
    sa.Column("languages", sa.Text, nullable=False),
    sa.Column("accessibility", sa.Text, nullable=False),
    sa.Column("cost", sa.String(16), nullable=False),
    sa.Column("last_verified", sa.Date, nullable=False),
    sa.Column("example", sa.Boolean, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source", "service_id", name="uq_services_source"),
    sa.Index("ix_services_country", "country"),
)

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    # Keyed hash of the sender id (bot.store.pseudonym): never the raw chat id or phone number.
    sa.Column("conversation", sa.String(64), nullable=False),
    # What the person chose to give so an organisation can reach them; erased on close/cancel.
    sa.Column("contact", sa.Text, nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("country", sa.String(64), nullable=False),
    sa.Column("region", sa.String(64), nullable=True),
    sa.Column("district", sa.String(64), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    # Staff assign a referral to a partner and keep a note (migration 0007).
    sa.Column("partner", sa.String(64), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
    # As on hazard reports: the channel and sealed address for follow-up messages.
    sa.Column("follow_up_channel", sa.String(16), nullable=True),
    sa.Column("follow_up_address", sa.Text(), nullable=True),
    sa.Index("ix_referrals_conversation", "conversation"),
    sa.Index("ix_referrals_status", "status"),
)

# Columns compared to decide whether an import changed a row.
_CONTENT = tuple(
    c.name
    for c in services.columns
    if c.name not in ("pk", "source", "service_id", "retired", "retired_at", "updated_at")
)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def _row(service: Service) -> dict[str, Any]:
    return {
        "source": service.source,
        "service_id": service.id,
        "organisation": service.organisation,
        "name": service.name,
        "categories": LIST_SEPARATOR.join(service.categories),
        "country": service.country,
        "region": service.region,
        "district": service.district,
        "address": service.address,
        "phone": service.phone,
        "hours": service.hours,
        "languages": LIST_SEPARATOR.join(service.languages),
        "accessibility": service.accessibility,
        "cost": service.cost,
        "last_verified": service.last_verified,
        "example": service.example,
    }


def import_directory(
    database: Database,
    files: Sequence[DirectoryFile],
    complete: bool = False,
    now: Optional[dt.datetime] = None,
) -> ImportSummary:
    """Load validated files in one transaction: add, update, and retire rows no longer listed.

    Rows of an imported file that the file no longer has are retired (kept, not
    shown). With `complete`, the files are the whole directory, so rows of files
    that are gone are retired too. Raises ValueError if any file has problems:
    nothing is written then.
    """
    if any(f.problems for f in files):
        raise ValueError("the directory has problems; nothing was imported")
    now = now or utc_now()
    added = updated = unchanged = retired = 0
    sources = {f.path.stem for f in files}
    with database.sessions.begin() as session:
        existing = {
            (r.source, r.service_id): r for r in session.execute(sa.select(services)).mappings().all()
        }
        listed = set()
        for directory_file in files:
            for service in directory_file.services:
                key = (service.source, service.id)
                listed.add(key)
                row = _row(service)
                old = existing.get(key)
                if old is None:
                    session.execute(
                        sa.insert(services).values(**row, retired=False, retired_at=None, updated_at=now)
                    )
                    added += 1
                elif old["retired"] or any(old[c] != row[c] for c in _CONTENT):
                    session.execute(
                        sa.update(services)
                        .where(services.c.pk == old["pk"])
                        .values(**row, retired=False, retired_at=None, updated_at=now)
                    )
                    updated += 1
                else:
                    unchanged += 1
        for key, old in existing.items():
            if key in listed or old["retired"] or (key[0] not in sources and not complete):
                continue
            session.execute(
                sa.update(services)
                .where(services.c.pk == old["pk"])
                .values(retired=True, retired_at=now, updated_at=now)
            )
            retired += 1
    return ImportSummary(added, updated, unchanged, retired)


@dataclass(frozen=True)
class ServiceRecord(Service):
    """A service as stored (active or retired)."""

    retired: bool


def _record(row: Any) -> ServiceRecord:
    return ServiceRecord(
        source=row["source"],
        id=row["service_id"],
        organisation=row["organisation"],
        name=row["name"],
        categories=tuple(c for c in row["categories"].split(LIST_SEPARATOR) if c),
        country=row["country"],
        region=row["region"],
        district=row["district"],
        address=row["address"],
        phone=row["phone"],
        hours=row["hours"],
        languages=tuple(x for x in row["languages"].split(LIST_SEPARATOR) if x),
        accessibility=row["accessibility"],
        cost=row["cost"],
        last_verified=row["last_verified"],
        example=bool(row["example"]),
        retired=bool(row["retired"]),
    )


def list_services(
    session: Session, country: Optional[str] = None, include_retired: bool = False
) -> list[ServiceRecord]:
    """Stored services, optionally of one country, in a stable order."""
    query = sa.select(services).order_by(services.c.source, services.c.service_id)
    if country is not None:
        query = query.where(services.c.country == country)
    if not include_retired:
        query = query.where(services.c.retired.is_(False))
    return [_record(row) for row in session.execute(query).mappings().all()]


def all_services(database: Database, include_retired: bool = False) -> list[ServiceRecord]:
    """Every stored service (one unit of work)."""
    with database.sessions.begin() as session:
        return list_services(session, include_retired=include_retired)


def services_of(rows: Iterable[ServiceRecord], category: str) -> list[ServiceRecord]:
    """The services that offer `category`."""
    return [row for row in rows if category in row.categories]

"""The tables casedesk keeps. Every time is stored in UTC.

Naming: an *observation* is what a report said; a *state* is what casedesk believes now about an
(asset, finding); a *state change* is a move from one state to another; a *drift event* is a change
from a known good state to a bad one (DESIGN.md rules 1-4).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite has no time zones and PostgreSQL converts to the session zone; normalising here means
    the rest of the code only ever sees aware UTC values, whatever ``TZ`` the process runs under.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        value = value.astimezone(UTC)
        # SQLite keeps text without a zone; PostgreSQL's timestamptz needs the zone, or it
        # would read a naive value in the session's time zone.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Space(SQLModel, table=True):
    """An isolated set of assets, cases, integrations, settings and members."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(sa_column=utc_column())
    created_by: str = Field(max_length=200)
    # Random, so ticket markers differ between databases even for spaces of the same name and
    # creation time (two installs backfilled from the same --at). Empty in spaces made before
    # it existed: their markers keep the older formula, so tickets in flight are still found.
    marker_seed: str = Field(
        default_factory=lambda: secrets.token_hex(16),
        max_length=64,
        sa_column_kwargs={"server_default": ""},
    )


class Member(SQLModel, table=True):
    """A user's role in a space: viewer, editor or owner."""

    __table_args__ = (UniqueConstraint("space_id", "user"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    user: str = Field(max_length=200)
    role: str = Field(max_length=20)


class Asset(SQLModel, table=True):
    """Something scanned, known in its space by a stable key."""

    __table_args__ = (UniqueConstraint("space_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    key: str = Field(max_length=1000)
    name: str = Field(default="", max_length=1000)
    platform: str = Field(default="", max_length=1000)
    first_seen_at: datetime = Field(sa_column=utc_column())
    # The scan time of the newest report applied to this asset: an older report never moves it back.
    last_observed_at: datetime = Field(sa_column=utc_column())
    # That report: an undated report identical to it is a repeat, not a new observation (rule 5).
    last_report_id: int | None = Field(default=None, foreign_key="report.id", nullable=True)


class Finding(SQLModel, table=True):
    """A check or a vulnerability, known in its space by a stable key."""

    __table_args__ = (UniqueConstraint("space_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    key: str = Field(max_length=1000)
    kind: str = Field(max_length=20)  # check | vulnerability
    title: str = Field(default="", max_length=2000)
    severity: str | None = Field(
        default=None, max_length=20
    )  # critical | high | medium | low | none
    score: float | None = None
    description: str = ""
    remediation: str = ""
    source: str = Field(default="", max_length=1000)


class Report(SQLModel, table=True):
    """One ingested report file."""

    __table_args__ = (Index("ix_report_space_assets", "space_id", "assets_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    content_hash: str = Field(max_length=64, index=True)  # sha256 of the file's bytes
    assets_hash: str = Field(max_length=64)  # sha256 of its sorted asset keys
    format: str = Field(max_length=20)
    file_name: str = Field(default="", max_length=1000)
    # When the scan ran: the report's own time when it has one (dated), else --at or now.
    scanned_at: datetime = Field(sa_column=utc_column())
    dated: bool
    partial: bool = False
    ingested_at: datetime = Field(sa_column=utc_column())
    ingested_by: str = Field(default="", max_length=200)
    asset_count: int = 0
    result_count: int = 0
    drift_count: int = 0
    fixed_count: int = 0


class ResultState(SQLModel, table=True):
    """What casedesk believes now about one finding on one asset, and which report said so."""

    __tablename__ = "result_state"

    asset_id: int = Field(foreign_key="asset.id", primary_key=True, ondelete="CASCADE")
    finding_id: int = Field(foreign_key="finding.id", primary_key=True, ondelete="CASCADE")
    status: str = Field(max_length=20)
    # Not indexed on purpose: this table takes every result of every first scan, and nothing
    # looks states up by report.
    report_id: int = Field(foreign_key="report.id")


class Coverage(SQLModel, table=True):
    """The newest complete scan of one kind on one asset (DESIGN.md rule 3)."""

    asset_id: int = Field(foreign_key="asset.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=20, primary_key=True)
    complete_at: datetime = Field(sa_column=utc_column())
    report_id: int = Field(foreign_key="report.id")


class StateChange(SQLModel, table=True):
    """History: one (asset, finding) moved from one status to another.

    ``old_status`` is None for nothing-known-before; ``implied`` marks a status that no report
    wrote but a complete scan implied (a finding it did not list is good).
    """

    __tablename__ = "state_change"
    __table_args__ = (Index("ix_state_change_pair", "asset_id", "finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(foreign_key="asset.id", ondelete="CASCADE")
    finding_id: int = Field(foreign_key="finding.id", ondelete="CASCADE")
    report_id: int = Field(foreign_key="report.id", index=True)
    old_status: str | None = Field(default=None, max_length=20)
    new_status: str = Field(max_length=20)
    implied: bool = False


class DriftEvent(SQLModel, table=True):
    """A finding went from a known good state to a bad one on an asset."""

    __tablename__ = "drift_event"
    __table_args__ = (Index("ix_drift_event_space_time", "space_id", "detected_at"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    asset_id: int = Field(foreign_key="asset.id", ondelete="CASCADE")
    finding_id: int = Field(foreign_key="finding.id", ondelete="CASCADE")
    report_id: int = Field(foreign_key="report.id")
    detected_at: datetime = Field(sa_column=utc_column())
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)


class SpaceSettings(SQLModel, table=True):
    """A space's case settings, with Mondoo's defaults (one row per space)."""

    __tablename__ = "space_settings"

    space_id: int = Field(foreign_key="space.id", primary_key=True, ondelete="CASCADE")
    auto_create_drift_cases: bool = True
    aggregation_window_hours: int = 4  # 0 = no aggregation
    auto_close_cases_when_fixed: bool = True
    default_role: str = Field(default="viewer", max_length=20)


class Case(SQLModel, table=True):
    """Work to fix findings on a set of assets: pending → open → closed (or error)."""

    __table_args__ = (
        Index("ix_case_space_status", "space_id", "status"),
        Index("ix_case_pending_finding", "space_id", "finding_id", "status"),
        # The case list's order (newest first): its pages walk this index instead of
        # sorting every case of the space for each page.
        Index("ix_case_space_created", "space_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)  # drift | manual
    status: str = Field(max_length=20)  # pending | open | closed | error
    # The finding a drift case is about (a manual case may hold several; this is its first).
    finding_id: int = Field(foreign_key="finding.id")
    title: str = Field(max_length=2000)
    notes: str = ""
    created_at: datetime = Field(sa_column=utc_column())
    created_by: str | None = Field(default=None, max_length=200)  # None: casedesk (automatic)
    updated_at: datetime = Field(sa_column=utc_column())
    # A pending case collects drift until this moment (UTC), then it is finalized.
    window_closes_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finalized_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_by: str | None = Field(default=None, max_length=200)
    close_reason: str = Field(default="", max_length=2000)
    # A manual case names where its ticket goes; drift cases follow the integrations' settings.
    integration: str | None = Field(default=None, max_length=200)
    destination: str | None = Field(default=None, max_length=1000)
    error_message: str = Field(default="", max_length=2000)


class CaseItem(SQLModel, table=True):
    """One (asset, finding) a case tracks: open until fixed."""

    __tablename__ = "case_item"
    __table_args__ = (
        UniqueConstraint("case_id", "asset_id", "finding_id"),
        Index("ix_case_item_pair", "asset_id", "finding_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", ondelete="CASCADE")
    asset_id: int = Field(foreign_key="asset.id", ondelete="CASCADE")
    finding_id: int = Field(foreign_key="finding.id", ondelete="CASCADE")
    status: str = Field(max_length=20)  # open | fixed
    added_at: datetime = Field(sa_column=utc_column())
    fixed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AuditEvent(SQLModel, table=True):
    """Who did what, when and why: a case's history, and changes to settings and members."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    case_id: int | None = Field(default=None, foreign_key="case.id", ondelete="CASCADE")
    asset_id: int | None = Field(default=None, foreign_key="asset.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column())
    actor: str = Field(max_length=200)  # a user, or "casedesk" for automatic work
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=2000)


class Integration(SQLModel, table=True):
    """A ticket system configured in a space. Never holds a token: only where to find one."""

    __table_args__ = (UniqueConstraint("space_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="space.id", ondelete="CASCADE")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # jira | github | gitlab | email | webhook
    url: str = Field(default="", max_length=1000)
    flavor: str = Field(default="", max_length=20)  # jira: cloud | datacenter
    email: str = Field(default="", max_length=300)  # jira cloud account
    token_env: str = Field(default="", max_length=200)
    token_file: str = Field(default="", max_length=1000)
    project: str = Field(default="", max_length=1000)
    issue_type: str = Field(default="Task", max_length=200)
    auto_close_tickets: bool = True
    create_drift_tickets: bool = True
    drift_destination: str = Field(default="", max_length=1000)
    options: str = Field(default="{}")  # JSON: kind-specific settings (SMTP, extra fields…)


class Ticket(SQLModel, table=True):
    """The external issue or e-mail made for one case in one integration."""

    __table_args__ = (UniqueConstraint("case_id", "integration_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    destination: str = Field(max_length=1000)
    key: str = Field(max_length=300)
    url: str = Field(default="", max_length=2000)
    state: str = Field(default="open", max_length=20)  # open | closed
    created_at: datetime = Field(sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class OutboxJob(SQLModel, table=True):
    """A ticket action to perform, written in the transaction that caused it (rule 14)."""

    __tablename__ = "outbox_job"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", ondelete="CASCADE", index=True)
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    action: str = Field(max_length=20)  # create | close
    destination: str = Field(default="", max_length=1000)
    status: str = Field(default="pending", max_length=20)  # pending | done | failed | cancelled
    attempts: int = 0
    due_at: datetime = Field(sa_column=utc_column())
    # A claimed job is leased to one worker until this time; a crashed worker's lease expires.
    lease_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    leased_by: str = Field(default="", max_length=200)
    # True once a create may have reached the tracker: search for the marker before resending.
    maybe_sent: bool = False
    last_error: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())

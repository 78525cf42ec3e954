"""What the case services return: plain, frozen rows for the command line and the terminal app.

Kept apart from :mod:`worker.case_service` and free of SQLAlchemy, so the terminal app can
draw its first screen before the data layer has loaded (docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATUS_FILTERS = ("active", "open", "closed", "pending", "error", "all")
STATUS_SETS = {
    "active": ("pending", "open", "error"),
    "open": ("open",),
    "closed": ("closed",),
    "pending": ("pending",),
    "error": ("error",),
}


@dataclass(frozen=True, slots=True)
class TicketInfo:
    integration: str
    key: str
    url: str
    state: str


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One row of the case list."""

    id: int
    title: str
    status: str
    kind: str
    rating: str
    finding: str
    assets: int
    fixed: int
    created_at: datetime
    tickets: tuple[TicketInfo, ...] = ()

    @property
    def percent(self) -> int:
        return 100 * self.fixed // self.assets if self.assets else 0

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "kind": self.kind,
            "assets": self.assets,
            "fixed": self.fixed,
            "finding": self.finding,
            "created_at": self.created_at.isoformat(),
            "tickets": [
                {"integration": t.integration, "key": t.key, "url": t.url, "state": t.state}
                for t in self.tickets
            ],
        }


@dataclass(frozen=True, slots=True)
class CaseAsset:
    key: str
    name: str
    platform: str
    status: str  # open | fixed
    fixed_at: datetime | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    asset: str
    detail: str


@dataclass(frozen=True, slots=True)
class FindingInfo:
    key: str
    kind: str
    title: str
    severity: str | None
    score: float | None
    description: str
    remediation: str
    source: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything the case page shows."""

    summary: CaseSummary
    space: str
    notes: str
    created_by: str | None
    updated_at: datetime
    window_closes_at: datetime | None
    finalized_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str
    error_message: str
    findings: tuple[FindingInfo, ...]
    assets: tuple[CaseAsset, ...]
    history: tuple[HistoryEntry, ...]
    can_edit: bool = field(default=False)

    def as_json(self) -> dict[str, object]:
        document = self.summary.as_json()
        document.update(
            {
                "space": self.space,
                "notes": self.notes,
                "created_by": self.created_by or "casedesk (automatic)",
                "updated_at": self.updated_at.isoformat(),
                "window_closes_at": _iso(self.window_closes_at),
                "finalized_at": _iso(self.finalized_at),
                "closed_at": _iso(self.closed_at),
                "closed_by": self.closed_by,
                "close_reason": self.close_reason,
                "error": self.error_message,
                "findings": [vars_of(f) for f in self.findings],
                "items": [{**vars_of(a), "fixed_at": _iso(a.fixed_at)} for a in self.assets],
                "history": [{**vars_of(h), "at": h.at.isoformat()} for h in self.history],
            }
        )
        return document


def vars_of(value: object) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__slots__}  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


#: Orders of the paged queries; keyset paging follows the first two.
PAGE_ORDERS = ("created", "rating", "progress")
KEYSET_ORDERS = ("created", "rating")
#: Most severe first; an unknown or missing severity sorts with "none".
RATING_RANKS = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4}

"""Cases: drift gathered in aggregation windows, fixes, finalizing and closing (rules 7-13).

Everything here runs inside a transaction its caller owns: ingest applies drift and fixes in the
same transaction that stored them, the worker finalizes and closes in its own. Every close path
goes through :func:`close_case`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from store.models import AuditEvent, Case, CaseItem, Finding
from store.settings import load_settings
from store.spaces import lock_space
from worker.outbox import queue_close_tickets, queue_create_tickets

ACTIVE = ("pending", "open", "error")  # statuses whose items still follow the scans
AUTOMATIC = "casedesk"


@dataclass(slots=True)
class CaseCounts:
    """What happened to cases; the ``cases`` object of ``--ingest --json``."""

    created: int = 0
    joined: int = 0
    finalized: int = 0
    closed: int = 0

    def add(self, other: CaseCounts) -> None:
        self.created += other.created
        self.joined += other.joined
        self.finalized += other.finalized
        self.closed += other.closed

    def as_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "joined": self.joined,
            "finalized": self.finalized,
            "closed": self.closed,
        }


class CaseError(ValueError):
    """A case action that cannot be done as asked (a closed case, an unknown id)."""


def case_title(*, kind: str, key: str, title: str, severity: str | None, assets: int) -> str:
    """The title a case gets when it is finalized (REFERENCE.md, Mondoo's ticket titles).

    ``[HIGH] <check title> on 3 assets``; ``[CRITICAL] Mitigate vulnerability CVE-… on 1 asset``.
    """
    rating = (severity or "none").upper()
    # A check title written as a sentence ("… must be on.") would read "… on. on 3 assets".
    check_subject = title.rstrip(" .") or key
    subject = f"Mitigate vulnerability {key}" if kind == "vulnerability" else check_subject
    noun = "asset" if assets == 1 else "assets"
    return f"[{rating}] {subject} on {assets} {noun}"


def _title_for(session: Session, case: Case) -> str:
    finding = session.get(Finding, case.finding_id)
    assert finding is not None
    assets = session.scalar(
        select(func.count(func.distinct(CaseItem.asset_id))).where(CaseItem.case_id == case.id)
    )
    return case_title(
        kind=finding.kind,
        key=finding.key,
        title=finding.title,
        severity=finding.severity,
        assets=assets or 0,
    )


def _audit(
    session: Session,
    case: Case,
    action: str,
    at: datetime,
    *,
    actor: str = AUTOMATIC,
    asset_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEvent(
            space_id=case.space_id,
            case_id=case.id,
            asset_id=asset_id,
            at=at,
            actor=actor,
            action=action,
            detail=detail[:2000],
        )
    )


def apply_drift(
    session: Session, space_id: int, drift: Iterable[tuple[int, int]], at: datetime
) -> CaseCounts:
    """Rule 7 for each (asset id, finding id) that drifted at ``at``.

    Works in bulk (a fleet rescan can drift thousands of results at once): decide in memory,
    then insert cases, items and history with one statement per table.
    """
    counts = CaseCounts()
    drift = list(dict.fromkeys(drift))
    settings = load_settings(session, space_id)
    if not drift or not settings.auto_create_drift_cases:
        return counts
    finding_ids = sorted({finding_id for _, finding_id in drift})
    tracked = _active_items(session, space_id, finding_ids)
    pending = {
        finding: case.id
        for finding, case in _open_windows(session, space_id, finding_ids, at).items()
    }
    window = timedelta(hours=settings.aggregation_window_hours)
    history: list[dict[str, object]] = []
    joins: list[tuple[int, int, int]] = []  # (case id, asset id, finding id) into existing cases
    new_cases: list[list[tuple[int, int]]] = []  # the (asset, finding) pairs of each new case
    new_case_of: dict[int, int] = {}  # finding → index into new_cases (aggregating windows)
    for asset_id, finding_id in drift:
        item = tracked.get((asset_id, finding_id))
        if item is not None:
            # A regression inside a case that still tracks this pair: its progress goes down.
            if item.status == "fixed":
                item.status, item.fixed_at = "open", None
                history.append(_event(space_id, item.case_id, "regression", at, asset_id=asset_id))
            continue
        tracked[(asset_id, finding_id)] = _SEEN
        if finding_id in pending:
            joins.append((pending[finding_id], asset_id, finding_id))
            counts.joined += 1
        elif window and finding_id in new_case_of:
            new_cases[new_case_of[finding_id]].append((asset_id, finding_id))
            counts.joined += 1
        else:
            if window:
                new_case_of[finding_id] = len(new_cases)
            new_cases.append([(asset_id, finding_id)])
            counts.created += 1
    case_ids = _insert_cases(session, space_id, [pairs[0][1] for pairs in new_cases], at, window)
    for case_id, pairs in zip(case_ids, new_cases, strict=True):
        history.append(_event(space_id, case_id, "created", at, detail="drift case"))
        joins.extend((case_id, asset_id, finding_id) for asset_id, finding_id in pairs)
    if joins:
        session.execute(
            insert(CaseItem),
            [
                {"case_id": c, "asset_id": a, "finding_id": f, "status": "open", "added_at": at}
                for c, a, f in joins
            ],
        )
        history.extend(_event(space_id, c, "drift", at, asset_id=a) for c, a, _ in joins)
    if history:
        session.execute(insert(AuditEvent), history)
    session.flush()
    touched = sorted({case_id for case_id, _, _ in joins})
    if window:
        _retitle_pending(session, touched, at)
    else:
        # "No aggregation": one case per (asset, drift), finalized at once.
        for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
            _finalize(session, case, at)
            counts.finalized += 1
    return counts


#: Marks a pair that already got its case in this batch (a report lists each pair once, but
#: a caller may pass repeats).
_SEEN = CaseItem(case_id=0, asset_id=0, finding_id=0, status="open")


def _event(
    space_id: int,
    case_id: int,
    action: str,
    at: datetime,
    *,
    asset_id: int | None = None,
    detail: str = "",
) -> dict[str, object]:
    return {
        "space_id": space_id,
        "case_id": case_id,
        "asset_id": asset_id,
        "at": at,
        "actor": AUTOMATIC,
        "action": action,
        "detail": detail,
    }


def _insert_cases(
    session: Session, space_id: int, finding_ids: list[int], at: datetime, window: timedelta
) -> list[int]:
    """Insert one pending drift case per finding id (in order); returns their ids."""
    if not finding_ids:
        return []
    rows = [
        {
            "space_id": space_id,
            "kind": "drift",
            "status": "pending",
            "finding_id": finding_id,
            "title": "",
            "notes": "",
            "created_at": at,
            "updated_at": at,
            "window_closes_at": at + window,
            "close_reason": "",
            "error_message": "",
        }
        for finding_id in finding_ids
    ]
    result = session.execute(insert(Case).returning(Case.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _retitle_pending(session: Session, case_ids: list[int], at: datetime) -> None:
    """Pending cases show their title as it stands ("… on 3 assets") while they collect."""
    if not case_ids:
        return
    updates = []
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        rows = session.execute(
            select(
                Case.id,
                Finding.kind,
                Finding.key,
                Finding.title,
                Finding.severity,
                func.count(func.distinct(CaseItem.asset_id)),
            )
            .join(Finding, Finding.id == Case.finding_id)
            .join(CaseItem, CaseItem.case_id == Case.id)
            .where(Case.id.in_(chunk), Case.status == "pending")
            .group_by(Case.id, Finding.kind, Finding.key, Finding.title, Finding.severity)
        )
        for case_id, kind, key, title, severity, assets in rows:
            updates.append(
                {
                    "case_id": case_id,
                    "new_title": case_title(
                        kind=kind, key=key, title=title, severity=severity, assets=assets
                    ),
                }
            )
    if updates:
        session.execute(
            update(Case.__table__)
            .where(Case.__table__.c.id == bindparam("case_id"))
            .values(title=bindparam("new_title"), updated_at=at),
            updates,
        )
    session.expire_all()  # the ORM copies of these cases are stale now


def apply_fixes(
    session: Session, space_id: int, fixed: Iterable[tuple[int, int]], at: datetime
) -> CaseCounts:
    """Mark the items of active cases fixed; auto-close cases with nothing left to fix."""
    counts = CaseCounts()
    fixed = set(fixed)
    if not fixed:
        return counts
    finding_ids = sorted({finding_id for _, finding_id in fixed})
    touched: set[int] = set()
    for (asset_id, finding_id), item in _active_items(session, space_id, finding_ids).items():
        if (asset_id, finding_id) in fixed and item.status == "open":
            item.status, item.fixed_at = "fixed", at
            case = _case(session, item.case_id)
            case.updated_at = at
            _audit(session, case, "fixed", at, asset_id=asset_id)
            touched.add(case.id)
    session.flush()
    if load_settings(session, space_id).auto_close_cases_when_fixed:
        counts.closed += auto_close(session, at, case_ids=touched)
    return counts


def _active_items(
    session: Session, space_id: int, finding_ids: list[int]
) -> dict[tuple[int, int], CaseItem]:
    """(asset, finding) → its item in a pending/open/error case (at most one: rule 7)."""
    items: dict[tuple[int, int], CaseItem] = {}
    for start in range(0, len(finding_ids), 500):
        rows = session.scalars(
            select(CaseItem)
            .join(Case, Case.id == CaseItem.case_id)
            .where(
                Case.space_id == space_id,
                Case.status.in_(ACTIVE),
                CaseItem.finding_id.in_(finding_ids[start : start + 500]),
            )
        )
        for item in rows:
            items[(item.asset_id, item.finding_id)] = item
    return items


def _open_windows(
    session: Session, space_id: int, finding_ids: list[int], at: datetime
) -> dict[int, Case]:
    """Finding → the pending drift case whose window is still open at ``at``."""
    cases: dict[int, Case] = {}
    for start in range(0, len(finding_ids), 500):
        rows = session.scalars(
            select(Case)
            .where(
                Case.space_id == space_id,
                Case.kind == "drift",
                Case.status == "pending",
                Case.finding_id.in_(finding_ids[start : start + 500]),
                Case.window_closes_at > at,
            )
            .order_by(Case.id)
        )
        for case in rows:
            cases[case.finding_id] = case
    return cases


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError(f"no case #{case_id}")
    return case


def _finalize(session: Session, case: Case, now: datetime) -> None:
    """Rule 8: a pending case opens; its title is fixed; its ticket jobs are queued."""
    case.status = "open"
    case.title = _title_for(session, case)
    case.finalized_at = now
    case.updated_at = now
    _audit(session, case, "finalized", now, detail=case.title)
    queue_create_tickets(session, case, now)


def finalize_due(session: Session, now: datetime) -> int:
    """Finalize every pending case whose window has closed by ``now``.

    Rows are locked with SKIP LOCKED (PostgreSQL) so that workers racing each other each take
    different cases; on SQLite the write transaction is already exclusive.
    """
    finalized = 0
    spaces = session.scalars(
        select(Case.space_id)
        .where(Case.status == "pending", Case.window_closes_at <= now)
        .distinct()
    ).all()
    for space_id in spaces:
        lock_space(session, space_id)
        due = session.scalars(
            select(Case)
            .where(
                Case.space_id == space_id, Case.status == "pending", Case.window_closes_at <= now
            )
            .order_by(Case.window_closes_at, Case.id)
            .with_for_update(skip_locked=True)
        ).all()
        for case in due:
            _finalize(session, case, now)
        finalized += len(due)
    session.flush()
    return finalized


def auto_close(session: Session, now: datetime, case_ids: Iterable[int] | None = None) -> int:
    """Close active cases with no open item left, in spaces that auto-close (rule 11)."""
    open_items = select(CaseItem.id).where(CaseItem.case_id == Case.id, CaseItem.status == "open")
    query = select(Case).where(Case.status.in_(ACTIVE), ~open_items.exists())
    if case_ids is not None:
        ids = list(case_ids)
        if not ids:
            return 0
        query = query.where(Case.id.in_(ids))
    closed = 0
    spaces = session.scalars(query.with_only_columns(Case.space_id).distinct()).all()
    for space_id in spaces:
        if not load_settings(session, space_id).auto_close_cases_when_fixed:
            continue
        lock_space(session, space_id)  # re-read under the lock: a fix may have just landed
        for case in session.scalars(
            query.where(Case.space_id == space_id)
            .order_by(Case.id)
            .with_for_update(skip_locked=True)
        ).all():
            close_case(session, case, actor=AUTOMATIC, reason="every asset is fixed", now=now)
            closed += 1
    return closed


def close_case(session: Session, case: Case, *, actor: str, reason: str, now: datetime) -> None:
    """The one way a case closes, by hand or automatically (rule 11)."""
    if case.status == "closed":
        raise CaseError(f"case #{case.id} is already closed")
    case.status = "closed"
    case.closed_at = now
    case.closed_by = actor
    case.close_reason = reason[:2000]
    case.updated_at = now
    _audit(session, case, "closed", now, actor=actor, detail=reason)
    queue_close_tickets(session, case, now)
    session.flush()


def progress(session: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Case id → (fixed assets, assets): an asset counts fixed when all its items are fixed."""
    result: dict[int, tuple[int, int]] = {case_id: (0, 0) for case_id in case_ids}
    for start in range(0, len(case_ids), 500):
        rows = session.execute(
            select(CaseItem.case_id, CaseItem.asset_id, func.max(CaseItem.status))
            .where(CaseItem.case_id.in_(case_ids[start : start + 500]))
            .group_by(CaseItem.case_id, CaseItem.asset_id)
        )
        for case_id, _asset_id, highest in rows:
            fixed, total = result[case_id]
            # "fixed" < "open": the maximum is "fixed" only when every item of the asset is.
            result[case_id] = (fixed + (highest == "fixed"), total + 1)
    return result

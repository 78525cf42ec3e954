"""The case service: what the command line, the worker and the terminal app ask of cases.

Every call opens its own unit of work, checks the caller's role in the space (rule 19) and
returns plain dataclasses, never live ORM rows, so callers on other threads stay safe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from integrations.tickets.base import PermanentError
from integrations.tickets.checks import destination as check_destination
from store.access import require, role_of
from store.engine import read_session, write_session
from store.models import (
    Asset,
    AuditEvent,
    Case,
    CaseItem,
    Finding,
    Integration,
    OutboxJob,
    ResultState,
    Space,
    Ticket,
)
from store.spaces import find_default_space, find_space, lock_space
from worker.case_views import (
    KEYSET_ORDERS,
    PAGE_ORDERS,
    RATING_RANKS,
    STATUS_FILTERS,
    STATUS_SETS,
    CaseAsset,
    CaseDetail,
    CaseSummary,
    FindingInfo,
    HistoryEntry,
    TicketInfo,
)
from worker.cases import CaseError, case_title, close_case, progress
from worker.drift import GOOD_STATUSES
from worker.outbox import queue_create_tickets

#: A person's title and notes for a manual case: a ticket's summary and a readable note, not a
#: dump (Jira cuts summaries at 255 characters; the store keeps 2,000).
MAX_MANUAL_TITLE = 255
MAX_MANUAL_NOTES = 10_000


def _checked_text(what: str, value: str, limit: int, *, one_line: bool) -> str:
    value = value.strip()
    if len(value) > limit:
        raise CaseError(f"{what} too long: at most {limit:,} characters")
    allowed = "" if one_line else "\n\t"
    if any(not char.isprintable() and char not in allowed for char in value):
        where = "control characters or line breaks" if one_line else "control characters"
        raise CaseError(f"{what} must not contain {where}")
    return value


def resolve_space(session: Session, name: str | None) -> Space:
    """``--space``, else the space called "default", else the oldest space."""
    from store.spaces import SpaceNameError

    if name:
        space = find_space(session, name)
        if space is None:
            raise SpaceNameError(f"no space called {name!r}")
        return space
    space = find_default_space(session)
    if space is None:
        raise SpaceNameError("no spaces yet: ingest a report first (casedesk --ingest FILE)")
    return space


class CaseService:
    """Case queries and actions for one user."""

    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = user

    # Queries -------------------------------------------------------------------------------

    def list_cases(
        self,
        space: str | None,
        status: str = "active",
        *,
        text: str = "",
        limit: int | None = None,
        offset: int = 0,
        order: str = "created",
    ) -> list[CaseSummary]:
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            query = self._filtered(select(Case), space_row.id, status, text)
            query = query.order_by(*_ORDERS[order]).offset(offset)
            if limit is not None:
                query = query.limit(limit)
            return self._summaries(session, session.scalars(query).all())

    def count_cases(self, space: str | None, status: str = "active", *, text: str = "") -> int:
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            query = self._filtered(select(func.count(Case.id)), space_row.id, status, text)
            return session.scalar(query) or 0

    def get_case(self, case_id: int) -> CaseDetail:
        with read_session(self.engine) as session:
            case = session.get(Case, case_id)
            if case is None:
                raise CaseError(f"no case #{case_id}")
            space = session.get(Space, case.space_id)
            assert space is not None
            summary = self._summaries(session, [case])[0]
            finding_ids = list(
                session.scalars(
                    select(CaseItem.finding_id).where(CaseItem.case_id == case.id).distinct()
                )
            ) or [case.finding_id]
            findings = tuple(
                FindingInfo(
                    key=f.key,
                    kind=f.kind,
                    title=f.title,
                    severity=f.severity,
                    score=f.score,
                    description=f.description,
                    remediation=f.remediation,
                    source=f.source,
                )
                for f in session.scalars(
                    select(Finding).where(Finding.id.in_(finding_ids)).order_by(Finding.id)
                )
            )
            assets = tuple(
                CaseAsset(
                    key=a.key,
                    name=a.name,
                    platform=a.platform,
                    status=i.status,
                    fixed_at=i.fixed_at,
                )
                for i, a in session.execute(
                    select(CaseItem, Asset)
                    .join(Asset, Asset.id == CaseItem.asset_id)
                    .where(CaseItem.case_id == case.id)
                    .order_by(CaseItem.status.desc(), Asset.key)
                )
            )
            history = tuple(
                HistoryEntry(
                    at=e.at, actor=e.actor, action=e.action, asset=key or "", detail=e.detail
                )
                for e, key in session.execute(
                    select(AuditEvent, Asset.key)
                    .outerjoin(Asset, Asset.id == AuditEvent.asset_id)
                    .where(AuditEvent.case_id == case.id)
                    .order_by(AuditEvent.id)
                )
            )
            from store.access import allows

            return CaseDetail(
                summary=summary,
                space=space.name,
                notes=case.notes,
                created_by=case.created_by,
                updated_at=case.updated_at,
                window_closes_at=case.window_closes_at,
                finalized_at=case.finalized_at,
                closed_at=case.closed_at,
                closed_by=case.closed_by,
                close_reason=case.close_reason,
                error_message=case.error_message,
                findings=findings,
                assets=assets,
                history=history,
                can_edit=allows(role_of(session, space, self.user), "editor"),
            )

    def role(self, space: str | None) -> str:
        with read_session(self.engine) as session:
            return role_of(session, resolve_space(session, space), self.user)

    # Paged queries for the terminal app (read-only) ------------------------------------------

    def list_cases_after(
        self,
        space: str | None,
        status: str = "active",
        *,
        text: str = "",
        order: str = "created",
        after: CaseSummary | None = None,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Keyset page: the ``limit`` cases that follow ``after`` in ``order``.

        ``order`` is ``created`` (newest first) or ``rating`` (most severe first, then newest).
        Cost does not grow with depth, unlike an offset: the next page of 100,000 cases costs
        what the first does.
        """
        if order not in KEYSET_ORDERS:
            raise CaseError(f"keyset paging orders by {' or '.join(KEYSET_ORDERS)}, not {order!r}")
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            query = self._filtered(select(Case), space_row.id, status, text)
            rank = _rating_rank(Finding.severity)
            if order == "rating":
                query = query.join(Finding, Finding.id == Case.finding_id)
            if after is not None:
                newer = or_(
                    Case.created_at < after.created_at,
                    and_(Case.created_at == after.created_at, Case.id < after.id),
                )
                if order == "rating":
                    after_rank = RATING_RANKS.get(after.rating.lower(), len(RATING_RANKS))
                    newer = or_(rank > after_rank, and_(rank == after_rank, newer))
                query = query.where(newer)
            keys = (Case.created_at.desc(), Case.id.desc())
            query = query.order_by(*((rank, *keys) if order == "rating" else keys)).limit(limit)
            return self._summaries(session, list(session.scalars(query).all()))

    def list_case_page(
        self,
        space: str | None,
        status: str = "active",
        *,
        text: str = "",
        order: str = "created",
        offset: int = 0,
        limit: int = 100,
    ) -> list[CaseSummary]:
        """Offset page in ``created``, ``rating`` or ``progress`` order (least fixed first).

        Sorts ids only, then loads the page's rows by id: a deep offset sorts narrow rows.
        ``progress`` aggregates the case items of every matching case, so it costs the most.
        """
        if order not in PAGE_ORDERS:
            raise CaseError(f"unknown order {order!r}; choose one of {', '.join(PAGE_ORDERS)}")
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            ids = self._filtered(select(Case.id), space_row.id, status, text)
            keys = (Case.created_at.desc(), Case.id.desc())
            if order == "rating":
                ids = ids.join(Finding, Finding.id == Case.finding_id).order_by(
                    _rating_rank(Finding.severity), *keys
                )
            elif order == "progress":
                matching = self._filtered(select(Case.id), space_row.id, status, text)
                per_asset = (
                    select(
                        CaseItem.case_id,
                        CaseItem.asset_id,
                        func.max(CaseItem.status).label("worst"),
                    )
                    .where(CaseItem.case_id.in_(matching))
                    .group_by(CaseItem.case_id, CaseItem.asset_id)
                    .subquery()
                )
                fixed = func.sum(sql_case((per_asset.c.worst == "fixed", 1), else_=0))
                ratios = (
                    select(per_asset.c.case_id, (fixed * 1.0 / func.count()).label("ratio"))
                    .group_by(per_asset.c.case_id)
                    .subquery()
                )
                ids = ids.outerjoin(ratios, ratios.c.case_id == Case.id).order_by(
                    func.coalesce(ratios.c.ratio, 0.0), *keys
                )
            else:
                ids = ids.order_by(*keys)
            page = list(session.scalars(ids.offset(offset).limit(limit)))
            rows = {
                case.id: case for case in session.scalars(select(Case).where(Case.id.in_(page)))
            }
            return self._summaries(session, [rows[case_id] for case_id in page if case_id in rows])

    def data_version(self) -> tuple[int, int, int, int]:
        """A cheap fingerprint that changes whenever something the app shows changes.

        Cases, items, settings and members write audit events; tickets and ticket jobs have
        rows of their own. Four index lookups, whatever the size of the database, so a screen
        can poll it every few seconds and notice what another process wrote.
        """
        with read_session(self.engine) as session:
            return (
                session.scalar(select(func.max(AuditEvent.id))) or 0,
                session.scalar(select(func.max(Ticket.id))) or 0,
                session.scalar(select(func.max(OutboxJob.id))) or 0,
                session.scalar(
                    select(func.count(OutboxJob.id)).where(OutboxJob.status != "pending")
                )
                or 0,
            )

    def spaces(self) -> list[tuple[str, str]]:
        """Every space by name, with this user's role in it."""
        with read_session(self.engine) as session:
            return [
                (space.name, role_of(session, space, self.user))
                for space in session.scalars(select(Space).order_by(Space.name))
            ]

    # Actions -------------------------------------------------------------------------------

    def close(self, case_id: int, *, now: datetime, reason: str = "") -> CaseSummary:
        """Close a case by hand: editor or owner only (rule 11)."""
        with write_session(self.engine) as session:
            case = session.get(Case, case_id)
            if case is None:
                raise CaseError(f"no case #{case_id}")
            space = session.get(Space, case.space_id)
            assert space is not None
            require(session, space, self.user, "editor", "closing a case")
            lock_space(session, space.id)
            session.refresh(case)  # it may have closed while we waited for the lock
            close_case(session, case, actor=self.user, reason=reason or "closed by hand", now=now)
            return self._summaries(session, [case])[0]

    def create_manual(
        self,
        space: str | None,
        *,
        finding_keys: list[str],
        asset_keys: list[str],
        now: datetime,
        title: str = "",
        notes: str = "",
        integration: str | None = None,
        destination: str | None = None,
    ) -> CaseSummary:
        """Rule 10: a case for chosen findings × assets, open at once, ticket queued at once."""
        title = _checked_text("title", title, MAX_MANUAL_TITLE, one_line=True)
        notes = _checked_text("notes", notes, MAX_MANUAL_NOTES, one_line=False)
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "editor", "creating a case")
            lock_space(session, space_row.id)
            findings = _lookup(session, Finding, space_row.id, finding_keys, "finding")
            assets = _lookup(session, Asset, space_row.id, asset_keys, "asset")
            if integration is not None:
                kind = session.scalar(
                    select(Integration.kind).where(
                        Integration.space_id == space_row.id, Integration.name == integration
                    )
                )
                if kind is None:
                    raise CaseError(f"no integration called {integration!r} in this space")
                if destination:  # none: the integration's project (worker.outbox)
                    _check_destination(integration, kind, destination)
            elif destination is not None:
                raise CaseError("--destination goes with --integration")
            _refuse_tracked_pairs(session, space_row.id, findings, assets)
            first = findings[0]
            case = Case(
                space_id=space_row.id,
                kind="manual",
                status="open",
                finding_id=first.id,
                title=(
                    title.strip()
                    or case_title(
                        kind=first.kind,
                        key=first.key,
                        title=first.title,
                        severity=first.severity,
                        assets=len(assets),
                    )
                )[:2000],
                notes=notes[:20000],
                created_at=now,
                created_by=self.user,
                updated_at=now,
                finalized_at=now,
                integration=integration,
                destination=destination,
            )
            session.add(case)
            session.flush()
            states = _current_states(session, [a.id for a in assets], [f.id for f in findings])
            for finding in findings:
                for asset in assets:
                    good = states.get((asset.id, finding.id)) in GOOD_STATUSES
                    session.add(
                        CaseItem(
                            case_id=case.id,
                            asset_id=asset.id,
                            finding_id=finding.id,
                            status="fixed" if good else "open",
                            added_at=now,
                            fixed_at=now if good else None,
                        )
                    )
            session.add(
                AuditEvent(
                    space_id=space_row.id,
                    case_id=case.id,
                    at=now,
                    actor=self.user,
                    action="created",
                    detail="manual case",
                )
            )
            queue_create_tickets(session, case, now)
            session.flush()
            return self._summaries(session, [case])[0]

    def retry(self, case_id: int, *, now: datetime) -> int:
        """Re-queue the failed ticket jobs of a case in ``error`` (after the setting is fixed)."""
        with write_session(self.engine) as session:
            case = session.get(Case, case_id)
            if case is None:
                raise CaseError(f"no case #{case_id}")
            space = session.get(Space, case.space_id)
            assert space is not None
            require(session, space, self.user, "editor", "retrying a case's tickets")
            jobs = session.scalars(
                select(OutboxJob).where(OutboxJob.case_id == case.id, OutboxJob.status == "failed")
            ).all()
            if case.status != "error" or not jobs:
                raise CaseError(f"case #{case_id} has no failed ticket jobs to retry")
            for job in jobs:
                job.status, job.due_at, job.updated_at, job.attempts = "pending", now, now, 0
            case.status = "open" if case.finalized_at else "pending"
            case.error_message = ""
            case.updated_at = now
            session.add(
                AuditEvent(
                    space_id=case.space_id,
                    case_id=case.id,
                    at=now,
                    actor=self.user,
                    action="ticket_retry",
                    detail=f"{len(jobs)} job(s) queued again",
                )
            )
            return len(jobs)

    # Helpers -------------------------------------------------------------------------------

    @staticmethod
    def _filtered(query, space_id: int, status: str, text: str):  # type: ignore[no-untyped-def]
        if status not in STATUS_FILTERS:
            raise CaseError(f"unknown status {status!r}; choose one of {', '.join(STATUS_FILTERS)}")
        query = query.where(Case.space_id == space_id)
        if status != "all":
            query = query.where(Case.status.in_(STATUS_SETS[status]))
        if text.strip():
            pattern = f"%{_escape_like(text.strip())}%"
            finding_keys = select(Finding.id).where(Finding.key.ilike(pattern, escape="\\"))
            query = query.where(
                or_(Case.title.ilike(pattern, escape="\\"), Case.finding_id.in_(finding_keys))
            )
        return query

    @staticmethod
    def _summaries(session: Session, cases: list[Case]) -> list[CaseSummary]:
        ids = [case.id for case in cases if case.id is not None]
        counts = progress(session, ids)
        findings = {
            f.id: f
            for f in session.scalars(
                select(Finding).where(Finding.id.in_({case.finding_id for case in cases}))
            )
        }
        tickets: dict[int, list[TicketInfo]] = {}
        for ticket, name in session.execute(
            select(Ticket, Integration.name)
            .join(Integration, Integration.id == Ticket.integration_id)
            .where(Ticket.case_id.in_(ids))
            .order_by(Ticket.id)
        ):
            tickets.setdefault(ticket.case_id, []).append(
                TicketInfo(integration=name, key=ticket.key, url=ticket.url, state=ticket.state)
            )
        summaries = []
        for case in cases:
            finding = findings[case.finding_id]
            fixed, total = counts.get(case.id, (0, 0))
            summaries.append(
                CaseSummary(
                    id=case.id,
                    title=case.title,
                    status=case.status,
                    kind=case.kind,
                    rating=(finding.severity or "none"),
                    finding=finding.key,
                    assets=total,
                    fixed=fixed,
                    created_at=case.created_at,
                    tickets=tuple(tickets.get(case.id, ())),
                )
            )
        return summaries


_ORDERS = {
    "created": (Case.created_at.desc(), Case.id.desc()),
    "oldest": (Case.created_at, Case.id),
    "id": (Case.id.desc(),),
}


def _rating_rank(severity):  # type: ignore[no-untyped-def]
    return sql_case(RATING_RANKS, value=func.lower(severity), else_=len(RATING_RANKS))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lookup(session: Session, model, space_id: int, keys: list[str], noun: str):  # type: ignore[no-untyped-def]
    if not keys:
        raise CaseError(f"name at least one {noun}")
    rows = {
        row.key: row
        for row in session.scalars(
            select(model).where(model.space_id == space_id, model.key.in_(keys))
        )
    }
    missing = [key for key in keys if key not in rows]
    if missing:
        raise CaseError(f"no {noun} {missing[0]!r} in this space")
    return [rows[key] for key in dict.fromkeys(keys)]


def _check_destination(integration: str, kind: str, destination: str) -> None:
    """The destination a ticket of this kind can go to (the check of settings save, rule 21)."""
    try:
        check_destination(kind, destination)
    except PermanentError as error:
        raise CaseError(f"--destination for {integration}: {error.message}") from None


def _refuse_tracked_pairs(session: Session, space_id: int, findings: list, assets: list) -> None:  # type: ignore[type-arg]
    """An (asset, finding) is tracked by at most one active case (rule 7's invariant)."""
    row = session.execute(
        select(CaseItem.case_id, Asset.key, Finding.key)
        .join(Case, Case.id == CaseItem.case_id)
        .join(Asset, Asset.id == CaseItem.asset_id)
        .join(Finding, Finding.id == CaseItem.finding_id)
        .where(
            Case.space_id == space_id,
            Case.status.in_(("pending", "open", "error")),
            CaseItem.asset_id.in_([a.id for a in assets]),
            CaseItem.finding_id.in_([f.id for f in findings]),
        )
        .limit(1)
    ).first()
    if row is not None:
        case_id, asset_key, finding_key = row
        raise CaseError(f"{finding_key} on {asset_key} is already tracked by case #{case_id}")


def _current_states(
    session: Session, asset_ids: list[int], finding_ids: list[int]
) -> dict[tuple[int, int], str]:
    return {
        (asset_id, finding_id): status
        for asset_id, finding_id, status in session.execute(
            select(ResultState.asset_id, ResultState.finding_id, ResultState.status).where(
                ResultState.asset_id.in_(asset_ids), ResultState.finding_id.in_(finding_ids)
            )
        )
    }

"""Claim due outbox jobs, call the ticket systems, record the outcomes (rules 14-17).

The life of a job: *claim* (a short write transaction leases it to this worker), *perform* (no
transaction is open while the tracker answers), *record* (a short write transaction). A worker
killed at any moment leaves a leased job whose lease expires; the next worker that claims it
knows a create may already have reached the tracker (``maybe_sent``) and searches for the
case's marker before it sends anything again, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select

from integrations.scanners.sanitize import clean_line
from integrations.tickets.base import (
    OutcomeUnknownError,
    RetryableError,
    TicketAsset,
    TicketContent,
    TicketError,
    TicketRef,
    TicketSystem,
)
from store.engine import write_session
from store.models import (
    Asset,
    AuditEvent,
    Case,
    CaseItem,
    Finding,
    Integration,
    OutboxJob,
    Space,
    Ticket,
)
from store.retry import retrying
from worker.ticket_clients import IntegrationSettings, build_client

log = logging.getLogger("casedesk.dispatch")

LEASE = timedelta(minutes=5)
BATCH = 200  # due jobs looked at per claim
ROUND_PER_CONNECTION = 8  # jobs claimed per connection an integration may use
BACKOFF_BASE = 30.0  # seconds before the first retry when the tracker gave no hint
BACKOFF_CAP = 3600.0

ClientFactory = Callable[[IntegrationSettings], TicketSystem]


def marker_for(space: Space, case_id: int) -> str:
    """``casedesk-<12 hex>``: the same for a case forever, different across databases (the
    space's random seed; spaces older than the seed keep the formula their tickets have)."""
    if space.marker_seed:
        seed = f"{space.marker_seed}\x00{case_id}"
    else:
        seed = f"{space.name}\x00{space.created_at.isoformat()}\x00{case_id}"
    return "casedesk-" + hashlib.sha256(seed.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job leased to this worker, with everything needed to perform it."""

    job_id: int
    action: str
    destination: str
    case_id: int
    case_closed: bool
    maybe_sent: bool
    attempts: int
    integration: IntegrationSettings
    content: TicketContent | None  # create
    ticket: TicketRef | None  # close, or a create already recorded


@dataclass(slots=True)
class DispatchCounts:
    created: int = 0
    closed: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


class Dispatcher:
    """Sends due ticket jobs. One per process; safe to run in many processes at once."""

    def __init__(
        self,
        *,
        client_factory: ClientFactory = build_client,
        lease: timedelta = LEASE,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client_factory = client_factory
        self.lease = lease
        self.worker_id = (
            worker_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        )
        self.rng = rng or random.Random()
        self._last_create: dict[int, float] = {}
        self._pace_lock = threading.Lock()

    def __call__(self, engine: Engine, now: datetime) -> DispatchCounts:
        return self.dispatch(engine, now)

    def dispatch(self, engine: Engine, now: datetime) -> DispatchCounts:
        """Perform every job due at ``now``, a small batch per integration at a time, so that a
        claimed job is always performed well within its lease; returns what happened."""
        counts = DispatchCounts()
        while claimed := retrying(lambda: self._claim(engine, now)):
            groups: dict[int, list[Claimed]] = {}
            for job in claimed:
                groups.setdefault(job.integration.id, []).append(job)
            with ThreadPoolExecutor(max_workers=len(groups)) as outer:
                for jobs in groups.values():
                    outer.submit(self._run_group, engine, now, jobs, counts)
        return counts

    # Claim -----------------------------------------------------------------------------------

    def _claim(self, engine: Engine, now: datetime) -> list[Claimed]:
        with write_session(engine) as session:
            jobs = session.scalars(
                select(OutboxJob)
                .where(
                    OutboxJob.status == "pending",
                    OutboxJob.due_at <= now,
                    or_(OutboxJob.lease_until.is_(None), OutboxJob.lease_until <= now),
                )
                .order_by(OutboxJob.due_at, OutboxJob.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            limits: dict[int, int] = {}
            for job in jobs:
                if job.integration_id not in limits:
                    integration = session.get(Integration, job.integration_id)
                    limits[job.integration_id] = self._claim_limit(
                        IntegrationSettings.from_row(integration)
                    )
                if limits[job.integration_id] <= 0:
                    continue
                limits[job.integration_id] -= 1
                claim = self._describe(session, job)
                job.lease_until = now + self.lease
                job.leased_by = self.worker_id
                job.attempts += 1
                job.updated_at = now
                if job.action == "create":
                    # From here on the tracker may receive it: a later claim must search first.
                    job.maybe_sent = True
                claimed.append(claim)
            return claimed

    def _claim_limit(self, integration: IntegrationSettings) -> int:
        """Jobs one round claims for an integration: a few per connection, and for a paced
        integration no more than it can send in half a lease."""
        limit = integration.concurrency * ROUND_PER_CONNECTION
        if integration.min_interval > 0:
            limit = min(limit, int(self.lease.total_seconds() / (2 * integration.min_interval)))
        return max(1, limit)

    def _describe(self, session, job: OutboxJob) -> Claimed:  # type: ignore[no-untyped-def]
        case = session.get(Case, job.case_id)
        integration = session.get(Integration, job.integration_id)
        ticket = session.scalar(
            select(Ticket).where(
                Ticket.case_id == job.case_id, Ticket.integration_id == job.integration_id
            )
        )
        content = _content(session, case) if job.action == "create" else None
        return Claimed(
            job_id=job.id,
            action=job.action,
            destination=job.destination,
            case_id=case.id,
            case_closed=case.status == "closed",
            maybe_sent=job.maybe_sent,
            attempts=job.attempts + 1,
            integration=IntegrationSettings.from_row(integration),
            content=content,
            ticket=TicketRef(ticket.key, ticket.url) if ticket else None,
        )

    # Perform ---------------------------------------------------------------------------------

    def _run_group(
        self, engine: Engine, now: datetime, jobs: list[Claimed], counts: DispatchCounts
    ) -> None:
        settings = jobs[0].integration
        try:
            client = self.client_factory(settings)
        except TicketError as error:
            for job in jobs:
                self._recorded(self._record_failure, engine, now, job, error, counts)
            return
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            for job in jobs:
                pool.submit(self._perform, engine, now, client, job, counts)

    def _perform(
        self,
        engine: Engine,
        now: datetime,
        client: TicketSystem,
        job: Claimed,
        counts: DispatchCounts,
    ) -> None:
        try:
            if job.action == "create":
                ref = self._create(client, job)
                self._recorded(self._record_created, engine, now, job, ref, counts)
            else:
                if job.ticket is None:
                    self._recorded(
                        self._record_skipped, engine, now, job, "no ticket to close", counts
                    )
                    return
                client.close(job.destination, job.ticket)
                self._recorded(self._record_closed, engine, now, job, counts)
        except TicketError as error:
            self._recorded(self._record_failure, engine, now, job, error, counts)
        except Exception as error:  # a bug in a client must not kill the worker: retry later
            # One line for the operator; the traceback (which may quote what the client was
            # sending) only when asked for.
            log.error(
                "ticket job %s failed unexpectedly (%s); CASEDESK_DEBUG=1 shows the traceback",
                job.job_id,
                type(error).__name__,
                exc_info=bool(os.environ.get("CASEDESK_DEBUG")),
            )
            self._recorded(
                self._record_failure,
                engine,
                now,
                job,
                RetryableError(f"unexpected error: {type(error).__name__}"),
                counts,
            )

    def _create(self, client: TicketSystem, job: Claimed) -> TicketRef | None:
        """The ticket for the job's case: recorded already, found by marker, or created now."""
        if job.ticket is not None:
            return job.ticket
        assert job.content is not None
        if job.maybe_sent:
            found = client.find(job.destination, job.content.marker)
            if found is not None:
                return found
        if job.case_closed:
            return None  # closed before its ticket existed: nothing to open, nothing to close
        self._pace(job.integration)
        return client.create(job.destination, job.content)

    def _pace(self, integration: IntegrationSettings) -> None:
        """Keep creates to one integration at least its minimum interval apart."""
        if integration.min_interval <= 0:
            return
        with self._pace_lock:
            last = self._last_create.get(integration.id, 0.0)
            wait = last + integration.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_create[integration.id] = time.monotonic()

    # Record ----------------------------------------------------------------------------------

    @staticmethod
    def _recorded(record: Callable[..., None], *args: object) -> None:
        """Record an outcome in its own transaction, again if a concurrent writer failed it."""
        retrying(lambda: record(*args))

    def _job_if_mine(self, session, job: Claimed) -> OutboxJob | None:  # type: ignore[no-untyped-def]
        row = session.get(OutboxJob, job.job_id)
        # Lost the lease (this worker stalled past it): whoever holds it now finishes the job,
        # finding by marker whatever this worker may have created.
        if row is None or row.status != "pending" or row.leased_by != self.worker_id:
            return None
        return row

    def _record_created(
        self,
        engine: Engine,
        now: datetime,
        job: Claimed,
        ref: TicketRef | None,
        counts: DispatchCounts,
    ) -> None:
        with write_session(engine) as session:
            row = self._job_if_mine(session, job)
            if row is None:
                return
            case = session.get(Case, job.case_id)
            if ref is None:
                row.status, row.updated_at, row.lease_until = "cancelled", now, None
                _audit(
                    session,
                    case,
                    now,
                    "ticket_skipped",
                    f"{job.integration.name}: case closed before its ticket was sent",
                )
                counts.skipped += 1
                return
            existing = session.scalar(
                select(Ticket).where(
                    Ticket.case_id == job.case_id, Ticket.integration_id == job.integration.id
                )
            )
            if existing is None:
                session.add(
                    Ticket(
                        case_id=job.case_id,
                        integration_id=job.integration.id,
                        destination=job.destination,
                        # What a tracker answers is untrusted text, cleaned at the edge.
                        key=clean_line(ref.key, 300),
                        url=clean_line(ref.url, 2000),
                        created_at=now,
                    )
                )
                _audit(session, case, now, "ticket_created", f"{job.integration.name}: {ref.key}")
                counts.created += 1
            row.status, row.updated_at, row.lease_until, row.last_error = "done", now, None, ""
            if case.status == "error" and not _other_failures(session, case.id, row.id):
                case.status, case.error_message = ("open" if case.finalized_at else "pending"), ""
            session.flush()
            # The case closed while its ticket was being made: close the ticket too.
            if (
                case.status == "closed"
                and job.integration.auto_close_tickets
                and job.integration.kind != "email"
                and not _has_close_job(session, case.id, job.integration.id)
            ):
                session.add(
                    OutboxJob(
                        case_id=case.id,
                        integration_id=job.integration.id,
                        action="close",
                        destination=job.destination,
                        due_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )

    def _record_closed(
        self, engine: Engine, now: datetime, job: Claimed, counts: DispatchCounts
    ) -> None:
        with write_session(engine) as session:
            row = self._job_if_mine(session, job)
            if row is None:
                return
            ticket = session.scalar(
                select(Ticket).where(
                    Ticket.case_id == job.case_id, Ticket.integration_id == job.integration.id
                )
            )
            if ticket is not None and ticket.state != "closed":
                ticket.state, ticket.closed_at = "closed", now
                _audit(
                    session,
                    session.get(Case, job.case_id),
                    now,
                    "ticket_closed",
                    f"{job.integration.name}: {ticket.key}",
                )
                counts.closed += 1
            row.status, row.updated_at, row.lease_until, row.last_error = "done", now, None, ""

    def _record_skipped(
        self, engine: Engine, now: datetime, job: Claimed, why: str, counts: DispatchCounts
    ) -> None:
        with write_session(engine) as session:
            row = self._job_if_mine(session, job)
            if row is not None:
                row.status, row.updated_at, row.lease_until, row.last_error = (
                    "cancelled",
                    now,
                    None,
                    why,
                )
                counts.skipped += 1

    def _record_failure(
        self,
        engine: Engine,
        now: datetime,
        job: Claimed,
        error: TicketError,
        counts: DispatchCounts,
    ) -> None:
        message = f"{job.integration.name}: {error.message}"[:2000]
        with write_session(engine) as session:
            row = self._job_if_mine(session, job)
            if row is None:
                return
            row.last_error, row.updated_at, row.lease_until = message, now, None
            case = session.get(Case, job.case_id)
            if isinstance(error, RetryableError):
                delay = self._delay(error.retry_after, row.attempts)
                row.due_at = now + timedelta(seconds=delay)
                if (
                    not isinstance(error, OutcomeUnknownError)
                    and job.action == "create"
                    and not job.maybe_sent
                ):
                    row.maybe_sent = False  # refused before anything was created
                _audit(
                    session,
                    case,
                    now,
                    "ticket_retry_scheduled",
                    f"{message} (next try in {delay:.0f} s)",
                )
                counts.retried += 1
                return
            # 400/401/403/404/422 and bad settings: a person must fix something (rule 16).
            row.status = "failed"
            if case.status != "closed":
                case.status, case.error_message, case.updated_at = "error", message, now
            _audit(session, case, now, "ticket_error", message)
            counts.failed += 1

    def _delay(self, retry_after: float | None, attempts: int) -> float:
        """The tracker's hint first; else capped exponential backoff with full jitter."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, BACKOFF_CAP * 24)
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def _content(session, case: Case) -> TicketContent:  # type: ignore[no-untyped-def]
    space = session.get(Space, case.space_id)
    finding = session.get(Finding, case.finding_id)
    assets = session.execute(
        select(Asset.name, Asset.key, Asset.platform)
        .join(CaseItem, CaseItem.asset_id == Asset.id)
        .where(CaseItem.case_id == case.id)
        .distinct()
        .order_by(Asset.key)
    ).all()
    return TicketContent(
        case_id=case.id,
        marker=marker_for(space, case.id),
        title=case.title,
        kind=finding.kind,
        rating=finding.severity or "none",
        finding_key=finding.key,
        finding_title=finding.title,
        source=finding.source,
        score=finding.score,
        description=finding.description,
        remediation=finding.remediation,
        assets=tuple(
            TicketAsset(name=name or key, platform=platform) for name, key, platform in assets
        ),
    )


def _audit(session, case: Case, now: datetime, action: str, detail: str) -> None:  # type: ignore[no-untyped-def]
    session.add(
        AuditEvent(
            space_id=case.space_id,
            case_id=case.id,
            at=now,
            actor="casedesk",
            action=action,
            detail=detail[:2000],
        )
    )


def _other_failures(session, case_id: int, job_id: int) -> bool:  # type: ignore[no-untyped-def]
    return (
        session.scalar(
            select(OutboxJob.id)
            .where(
                OutboxJob.case_id == case_id, OutboxJob.status == "failed", OutboxJob.id != job_id
            )
            .limit(1)
        )
        is not None
    )


def _has_close_job(session, case_id: int, integration_id: int) -> bool:  # type: ignore[no-untyped-def]
    return (
        session.scalar(
            select(OutboxJob.id)
            .where(
                OutboxJob.case_id == case_id,
                OutboxJob.integration_id == integration_id,
                OutboxJob.action == "close",
            )
            .limit(1)
        )
        is not None
    )


__all__ = ["DispatchCounts", "Dispatcher", "marker_for"]

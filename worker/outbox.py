"""The durable outbox: ticket jobs written in the same transaction as the case change (rule 14).

This module only *queues* jobs; :mod:`worker.dispatch` claims and performs them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Case, Integration, OutboxJob, Ticket


def queue_create_tickets(session: Session, case: Case, now: datetime) -> int:
    """Queue one create job per integration the case's ticket goes to (rules 8 and 10)."""
    targets: list[tuple[Integration, str]] = []
    if case.kind == "manual":
        if case.integration:
            integration = session.scalar(
                select(Integration).where(
                    Integration.space_id == case.space_id, Integration.name == case.integration
                )
            )
            if integration is not None:
                targets.append((integration, case.destination or integration.project))
    else:
        for integration in session.scalars(
            select(Integration)
            .where(Integration.space_id == case.space_id, Integration.create_drift_tickets)
            .order_by(Integration.id)
        ):
            targets.append((integration, integration.drift_destination or integration.project))
    for integration, destination in targets:
        session.add(_job(case, integration, "create", destination, now))
    return len(targets)


def queue_close_tickets(session: Session, case: Case, now: datetime) -> int:
    """Queue a close job for each ticket of the case whose integration closes tickets
    automatically and is a direct integration (never e-mail): rule 11."""
    rows = session.execute(
        select(Ticket, Integration)
        .join(Integration, Integration.id == Ticket.integration_id)
        .where(Ticket.case_id == case.id, Ticket.state == "open")
    ).all()
    queued = 0
    for ticket, integration in rows:
        if integration.auto_close_tickets and integration.kind not in ("email",):
            session.add(_job(case, integration, "close", ticket.destination, now))
            queued += 1
    # A create that is still waiting must also close what it makes: the dispatcher queues the
    # close once the ticket exists (it sees the case is closed).
    return queued


def _job(
    case: Case, integration: Integration, action: str, destination: str, now: datetime
) -> OutboxJob:
    assert case.id is not None and integration.id is not None
    return OutboxJob(
        case_id=case.id,
        integration_id=integration.id,
        action=action,
        destination=destination,
        due_at=now,
        created_at=now,
        updated_at=now,
    )

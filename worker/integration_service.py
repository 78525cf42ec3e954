"""Integrations of a space: list, add or change, remove, test (issue 4; rules 18-19)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from integrations.tickets.base import TicketError
from integrations.tickets.checks import shown_env, shown_file
from store.access import require
from store.engine import read_session, write_session
from store.models import AuditEvent, Case, Integration, OutboxJob, Ticket
from worker.case_service import resolve_space
from worker.settings_file import (
    KindChangeError,
    SettingsFileError,
    apply_integration,
    validate_integration,
)

#: Cases whose tickets still matter: their tickets will be closed, their jobs sent.
_ACTIVE = ("pending", "open", "error")
#: Pairs of secret sources: naming one of a pair replaces the other.
_SOURCE_PAIRS = (("token_env", "token_file"),)
_OPTION_SOURCE_PAIRS = (("password_env", "password_file"), ("secret_env", "secret_file"))


class IntegrationError(ValueError):
    """An integration change or test casedesk refuses; one line for a person."""


class IntegrationInUse(IntegrationError):
    """Removing would drop an integration's unsent or open tickets; ``force`` removes anyway."""

    def __init__(self, name: str, work: str) -> None:
        super().__init__(
            f"{name} still has {work}; removing it drops them (unsent tickets are never sent,"
            " open ones never closed): close those cases first, or remove with --force"
        )
        self.name = name
        self.work = work


class IntegrationNotFound(IntegrationError):
    """No integration of that name in the space (bad input, not a failed check)."""


@dataclass(frozen=True, slots=True)
class IntegrationInfo:
    """What a person may see of an integration: never a token, only where it comes from."""

    name: str
    kind: str
    url: str
    project: str
    drift_destination: str
    token_source: str  # where the secret comes from, for display: "env X", "file P" or "-"
    token_env: str
    token_file: str
    auto_close_tickets: bool
    create_drift_tickets: bool

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class IntegrationService:
    """Integration settings for one acting user."""

    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = user

    def list(self, space: str | None) -> list[IntegrationInfo]:
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            rows = session.scalars(
                select(Integration)
                .where(Integration.space_id == space_row.id)
                .order_by(Integration.name)
            )
            return [_info(row) for row in rows]

    def save(self, space: str | None, entry: dict[str, Any], *, now: datetime) -> bool:
        """Add an integration, or change the fields ``entry`` gives of an existing one.

        Editor/owner; False when nothing changed. On an existing name only the given fields
        change (an option given as None is removed) and ``kind`` may not change. The whole
        result is validated (:func:`worker.settings_file.validate_integration`, the same
        check as ``settings import``) before anything is written.
        """
        name = entry.get("name")
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "editor", "changing integrations")
            row = (
                session.scalar(
                    select(Integration).where(
                        Integration.space_id == space_row.id, Integration.name == name
                    )
                )
                if isinstance(name, str)
                else None
            )
            if row is not None:
                kind = entry.get("kind")
                if kind not in (None, row.kind):
                    raise IntegrationError(
                        f"{row.name} is a {row.kind} integration and its kind cannot change: "
                        f"remove it and add a new {kind} integration instead"
                    )
                merged = _merge(_entry(row), entry)
            else:
                if not entry.get("kind"):
                    raise IntegrationError(
                        "a new integration needs a kind (jira, github, gitlab, email, webhook)"
                    )
                merged = {k: v for k, v in entry.items() if v is not None}
                if isinstance(merged.get("options"), dict):
                    merged["options"] = {
                        k: v for k, v in merged["options"].items() if v is not None
                    }
            try:
                valid = validate_integration(merged, lambda key: "-", new_name=row is None)
            except SettingsFileError as error:
                raise IntegrationError(str(error).removeprefix("line -: ")) from None
            try:
                return bool(apply_integration(session, space_row, valid, self.user, now))
            except KindChangeError as error:  # a concurrent add of another kind
                raise IntegrationError(str(error)) from None

    def set_fields(
        self, space: str | None, name: str, changes: dict[str, Any], *, now: datetime
    ) -> bool:
        """Change some fields of an existing integration (the TUI's card and edit dialog)."""
        with read_session(self.engine) as session:
            self._row(session, space, name)  # IntegrationNotFound when it is not there
        return self.save(space, {**changes, "name": name}, now=now)

    def remove(self, space: str | None, name: str, *, now: datetime, force: bool = False) -> str:
        """Remove an integration (editor/owner).

        Refused while it still has work: queued, in-flight or failed ticket jobs, or open
        tickets of cases that are not closed (removing drops them, and those tickets would
        never be closed). ``force`` removes anyway. Returns what was dropped ("" for nothing).
        """
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "editor", "changing integrations")
            row = self._row(session, space, name)
            jobs, tickets = _pending_work(session, row.id)
            if (jobs or tickets) and not force:
                raise IntegrationInUse(row.name, _work_words(jobs, tickets))
            dropped = _work_words(jobs, tickets)
            session.delete(row)
            session.add(
                AuditEvent(
                    space_id=space_row.id,
                    at=now,
                    actor=self.user,
                    action="integration_removed",
                    detail=f"{row.name} (dropped {dropped})" if dropped else row.name,
                )
            )
            return dropped

    def test(self, space: str | None, name: str) -> str:
        """Check credentials and destination; returns what was checked, raises IntegrationError."""
        # The ticket clients (httpx, ssl, smtplib) load only when one is used: app start-up.
        from worker.ticket_clients import IntegrationSettings, build_client

        with read_session(self.engine) as session:
            row = self._row(session, space, name)
            # A test logs in to the mail server and posts a signed event to a webhook: an act
            # on the outside, not a read, so it needs the role that changes integrations.
            require(
                session, resolve_space(session, space), self.user, "editor", "testing integrations"
            )
            settings = IntegrationSettings.from_row(row)
        destination = settings.drift_destination or settings.project
        try:
            build_client(settings).test(destination)
        except TicketError as error:
            raise IntegrationError(f"{name}: {error.message}") from None
        where = destination or "the destination"
        return f"{name}: {settings.kind} reachable, credentials accepted, {where} usable"

    @staticmethod
    def _row(session, space: str | None, name: str) -> Integration:  # type: ignore[no-untyped-def]
        space_row = resolve_space(session, space)
        row = session.scalar(
            select(Integration).where(
                Integration.space_id == space_row.id, Integration.name == name
            )
        )
        if row is None:
            raise IntegrationNotFound(f"no integration called {name!r} in space {space_row.name!r}")
        return row


def _pending_work(session, integration_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(ticket jobs still to do or retry, open tickets of cases not closed) of an integration."""
    jobs = session.scalar(
        select(func.count(OutboxJob.id))
        .join(Case, Case.id == OutboxJob.case_id)
        .where(
            OutboxJob.integration_id == integration_id,
            (OutboxJob.status == "pending")
            | ((OutboxJob.status == "failed") & Case.status.in_(_ACTIVE)),
        )
    )
    tickets = session.scalar(
        select(func.count(Ticket.id))
        .join(Case, Case.id == Ticket.case_id)
        .where(
            Ticket.integration_id == integration_id,
            Ticket.state == "open",
            Case.status.in_(_ACTIVE),
        )
    )
    return int(jobs or 0), int(tickets or 0)


def _work_words(jobs: int, tickets: int) -> str:
    parts = []
    if jobs:
        parts.append(f"{jobs} queued or failed ticket job{'s' if jobs != 1 else ''}")
    if tickets:
        parts.append(f"{tickets} open ticket{'s' if tickets != 1 else ''} of active cases")
    return " and ".join(parts)


def _merge(stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The stored entry with the given changes; naming one secret source drops its pair."""
    merged = dict(stored)
    for key, value in changes.items():
        if key == "options" or value is None:
            continue
        merged[key] = value
    for env, file in _SOURCE_PAIRS:
        if changes.get(env) and not changes.get(file):
            merged.pop(file, None)
        if changes.get(file) and not changes.get(env):
            merged.pop(env, None)
    options = dict(stored.get("options") or {})
    given = changes.get("options") or {}
    for key, value in given.items():
        if value is None:
            options.pop(key, None)
        else:
            options[key] = value
    for env, file in _OPTION_SOURCE_PAIRS:
        if given.get(env) and not given.get(file):
            options.pop(file, None)
        if given.get(file) and not given.get(env):
            options.pop(env, None)
    if options:
        merged["options"] = options
    else:
        merged.pop("options", None)
    return merged


def _info(row: Integration) -> IntegrationInfo:
    return IntegrationInfo(
        name=row.name,
        kind=row.kind,
        url=row.url,
        project=row.project,
        drift_destination=row.drift_destination,
        token_source=_secret_source(row),
        token_env=shown_env(row.token_env) if row.token_env else "",
        token_file=shown_file(row.token_file) if row.token_file else "",
        auto_close_tickets=row.auto_close_tickets,
        create_drift_tickets=row.create_drift_tickets,
    )


def _secret_source(row: Integration) -> str:
    """Where the secret comes from: the token, or an e-mail password / webhook secret option.

    Rule 18: a stored source that is not a variable name / an absolute path (saved before
    sources were checked) may be the token itself, and is not shown.
    """
    options = json.loads(row.options or "{}")
    for env, file in (
        (row.token_env, row.token_file),
        (options.get("password_env"), options.get("password_file")),
        (options.get("secret_env"), options.get("secret_file")),
    ):
        if env:
            return f"env {shown_env(str(env))}"
        if file:
            return f"file {shown_file(str(file))}"
    return "-"


def _entry(row: Integration) -> dict[str, Any]:
    entry: dict[str, Any] = {
        name: getattr(row, name)
        for name in (
            "name",
            "kind",
            "url",
            "flavor",
            "email",
            "token_env",
            "token_file",
            "project",
            "issue_type",
            "drift_destination",
            "auto_close_tickets",
            "create_drift_tickets",
        )
        if getattr(row, name) not in ("", None)
    }
    options = json.loads(row.options or "{}")
    if options:
        entry["options"] = options
    return entry

"""Integrations of a space: list, add or change, remove, test (issue 4; rules 18-19)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from integrations.tickets.base import TicketError
from store.access import require
from store.engine import read_session, write_session
from store.models import AuditEvent, Integration
from worker.case_service import resolve_space
from worker.settings_file import SettingsFileError, apply_integration, validate_integration


class IntegrationError(ValueError):
    """An integration change or test casedesk refuses; one line for a person."""


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
        """Add or change an integration (editor/owner); False when nothing changed."""
        try:
            valid = validate_integration(entry, lambda key: "-")
        except SettingsFileError as error:
            raise IntegrationError(str(error).removeprefix("line -: ")) from None
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "editor", "changing integrations")
            return bool(apply_integration(session, space_row, valid, self.user, now))

    def set_fields(
        self, space: str | None, name: str, changes: dict[str, Any], *, now: datetime
    ) -> bool:
        """Change some fields of an existing integration (the TUI's per-integration card)."""
        with read_session(self.engine) as session:
            row = self._row(session, space, name)
            entry = _entry(row)
        entry.update(changes)
        return self.save(space, entry, now=now)

    def remove(self, space: str | None, name: str, *, now: datetime) -> None:
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "editor", "changing integrations")
            row = self._row(session, space, name)
            session.delete(row)
            session.add(
                AuditEvent(
                    space_id=space_row.id,
                    at=now,
                    actor=self.user,
                    action="integration_removed",
                    detail=name,
                )
            )

    def test(self, space: str | None, name: str) -> str:
        """Check credentials and destination; returns what was checked, raises IntegrationError."""
        # The ticket clients (httpx, ssl, smtplib) load only when one is used: app start-up.
        from worker.ticket_clients import IntegrationSettings, build_client

        with read_session(self.engine) as session:
            settings = IntegrationSettings.from_row(self._row(session, space, name))
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
            raise IntegrationError(f"no integration called {name!r} in space {space_row.name!r}")
        return row


def _info(row: Integration) -> IntegrationInfo:
    return IntegrationInfo(
        name=row.name,
        kind=row.kind,
        url=row.url,
        project=row.project,
        drift_destination=row.drift_destination,
        token_source=_secret_source(row),
        token_env=row.token_env or "",
        token_file=row.token_file or "",
        auto_close_tickets=row.auto_close_tickets,
        create_drift_tickets=row.create_drift_tickets,
    )


def _secret_source(row: Integration) -> str:
    """Where the secret comes from: the token, or an e-mail password / webhook secret option."""
    options = json.loads(row.options or "{}")
    for env, file in (
        (row.token_env, row.token_file),
        (options.get("password_env"), options.get("password_file")),
        (options.get("secret_env"), options.get("secret_file")),
    ):
        if env:
            return f"env {env}"
        if file:
            return f"file {file}"
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

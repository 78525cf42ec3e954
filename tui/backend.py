"""What the terminal app may call: the services, for one user, and nothing below them.

Screens reach the store only through :class:`Backend` (the same services the command line
uses, which check roles); they run its calls in thread workers and get plain dataclasses back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from worker.admin_service import AdminService
from worker.case_service import CaseService
from worker.cases import CaseCounts
from worker.due import Dispatcher, run_due_work
from worker.integration_service import IntegrationInfo, IntegrationService

#: Integrations casedesk talks to directly (it can close their tickets); e-mail is not one.
DIRECT_KINDS = ("jira", "github", "gitlab", "webhook")


class IntegrationSource(Protocol):
    """What the Integrations tab and the integration cards ask of integrations.

    :class:`worker.integration_service.IntegrationService` is one; tests may pass another.
    """

    def list(self, space: str | None) -> list[IntegrationInfo]: ...

    def save(self, space: str | None, entry: dict[str, Any], *, now: datetime) -> bool: ...

    def set_fields(
        self, space: str | None, name: str, changes: dict[str, Any], *, now: datetime
    ) -> bool: ...

    def remove(
        self, space: str | None, name: str, *, now: datetime, force: bool = False
    ) -> str: ...

    def test(self, space: str | None, name: str) -> str: ...


class Backend:
    """The services, for one user, with the app's clock and ticket dispatcher."""

    def __init__(
        self,
        engine: Engine,
        user: str,
        clock: Callable[[], datetime],
        dispatch: Dispatcher | None = None,
        integrations: IntegrationSource | None = None,
    ) -> None:
        self.engine = engine
        self.user = user
        self.clock = clock
        self.dispatch = dispatch
        self.cases = CaseService(engine, user)
        self.admin = AdminService(engine, user)
        self.integrations = integrations or IntegrationService(engine, user)

    def due_work(self) -> CaseCounts:
        """Finalize closed windows, auto-close fixed cases, send due tickets (one tick)."""
        return run_due_work(self.engine, self.clock(), self.dispatch)

"""Closing a case from any screen: ask first, then close through the service off the UI thread.

The case list and the case page both offer **Close case**; both go through here, so the
question, the service call and the refusal handling are the same wherever a user closes.
The screen that asked receives :class:`CaseClosed` or :class:`CloseRefused`.
"""

from __future__ import annotations

from textual.message import Message
from textual.screen import Screen

from tui.explain import explain
from worker.case_views import CaseSummary


class CaseClosed(Message):
    """The service closed the case."""

    def __init__(self, case: CaseSummary) -> None:
        super().__init__()
        self.case = case


class CloseRefused(Message):
    """The service refused (a role changed, the case closed elsewhere) or the database failed."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def ask_to_close(screen: Screen[object], case: CaseSummary) -> None:
    """Confirm with the user, then close ``case`` in a thread worker of ``screen``."""
    from tui.screens.confirm import ConfirmScreen

    def confirmed(yes: bool | None) -> None:
        if yes:
            screen.run_worker(
                lambda: _close(screen, case.id),
                thread=True,
                group="act",
                exit_on_error=False,
            )

    screen.app.push_screen(ConfirmScreen.close_case(case), confirmed)


def _close(screen: Screen[object], case_id: int) -> None:
    backend = screen.app.backend  # type: ignore[attr-defined]
    try:
        case = backend.cases.close(case_id, now=backend.clock())
    except Exception as error:
        screen.post_message(CloseRefused(explain(error)))
        return
    screen.post_message(CaseClosed(case))

"""A yes/no question before an action that cannot be undone (closing a case, removing someone)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.commands import bindings
from tui.format import percent
from tui.safe import clean
from tui.widgets.key_footer import KeyFooter
from worker.case_views import CaseSummary


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (confirmed) or False."""

    BINDINGS = bindings("confirm")

    def __init__(self, title: str, body: Content, confirm: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm = confirm

    @classmethod
    def close_case(cls, case: CaseSummary) -> ConfirmScreen:
        body = Content.assemble(
            (clean(case.title, limit=300), "bold"),
            "\n\n",
            f"{case.fixed} / {case.assets} assets fixed ({percent(case.fixed, case.assets)}%). ",
            "Closing stops tracking this case; tickets of integrations that close tickets "
            "automatically are closed too. Drift after this opens a new case.",
        )
        return cls(f"Close case #{case.id}?", body, "Close case")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content(self.title_text), id="dialog-title")
            yield Static(self.body, id="dialog-body")
            with Horizontal(id="dialog-buttons"):
                yield Button(Content(f"{self.confirm} (y)"), variant="error", id="yes")
                yield Button(Content("Cancel (n)"), id="no")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

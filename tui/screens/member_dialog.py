"""Add a member or change a member's role (owner only; the service checks)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from store.access import ROLES
from tui.safe import clean
from tui.widgets.key_footer import KeyFooter


class MemberDialog(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (user, role), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="member.cancel"),
        Binding("ctrl+s", "save", "Save", id="member.save"),
    ]

    def __init__(self, user: str | None, role: str) -> None:
        super().__init__()
        self.user = user
        self.role = role
        self._chosen: object = role

    def compose(self) -> ComposeResult:
        title = "Add member" if self.user is None else "Change role"
        with Vertical(id="dialog"):
            yield Static(Content(title), id="dialog-title")
            if self.user is None:
                yield Input(placeholder="user name (their login)", id="member-user")
            else:
                yield Static(Content(clean(self.user, limit=200)), id="member-name")
            yield Select(
                [(role, role) for role in ROLES],
                value=self.role,
                allow_blank=False,
                id="member-role",
            )
            yield Static(
                Content("viewer reads · editor closes cases, edits settings · owner also members"),
                classes="note",
            )
            with Horizontal(id="dialog-buttons"):
                yield Button(Content("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(Content("Cancel (esc)"), id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.user is None:
            self.query_one("#member-user", Input).focus()
        else:
            self.query_one("#member-role", Select).focus()

    @on(Select.Changed, "#member-role")
    def _role_chosen(self, event: Select.Changed) -> None:
        """A role picked from the list: ``enter`` now saves instead of opening it again.
        (The select also reports its first value when it mounts: not a choice.)"""
        if event.value != self._chosen:
            self._chosen = event.value
            self.query_one("#save", Button).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        user = self.user
        if user is None:
            user = self.query_one("#member-user", Input).value.strip()
        if not user:
            self.app.notify("Type the user's name first.", severity="warning", markup=False)
            return
        role = self.query_one("#member-role", Select).value
        self.dismiss((user, str(role)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

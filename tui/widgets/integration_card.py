"""One integration's card on the Cases tab: Mondoo's per-integration case settings.

Every change is saved at once: a switch when it flips, the drift destination on ``enter`` or
when the focus leaves it (``tab``, a click, ``esc`` leaving the screen), each value once.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static, Switch

from tui.backend import DIRECT_KINDS
from tui.format import on_off
from tui.safe import clean
from worker.integration_service import IntegrationInfo


class IntegrationCard(Vertical):
    """Automatically close tickets, create drift tickets, drift destination."""

    class Changed(Message):
        """The user changed one field of the integration ``name``."""

        def __init__(self, name: str, field: str, value: object, label: str) -> None:
            super().__init__()
            self.name = name
            self.field = field
            self.value = value
            self.label = label

    def __init__(self, info: IntegrationInfo, editable: bool) -> None:
        super().__init__(classes="card integration-card")
        self.info = info
        self.editable = editable
        self.border_title = clean(f"{info.name} ({info.kind})", limit=60)
        #: The drift destination last sent to be saved: leaving the field after ``enter``
        #: does not send it again.
        self._sent_destination: str | None = None

    def compose(self) -> ComposeResult:
        direct = self.info.kind in DIRECT_KINDS
        with Horizontal(classes="setting"):
            yield Label(Content("Automatically close tickets"), classes="setting-name wide")
            if direct:
                yield Switch(self.info.auto_close_tickets, classes="auto-close")
                yield Static(classes="switch-state auto-close-state")
            else:
                yield Static(Content("not for e-mail"), classes="switch-note")
        with Horizontal(classes="setting"):
            yield Label(
                Content("Create drift tickets in this integration"), classes="setting-name wide"
            )
            yield Switch(self.info.create_drift_tickets, classes="drift-tickets")
            yield Static(classes="switch-state drift-tickets-state")
        with Horizontal(classes="setting"):
            yield Label(Content("Drift destination"), classes="setting-name")
            yield Input(
                clean(self.info.drift_destination, limit=1000),
                placeholder=f"default: {clean(self.info.project or '-', limit=100)}",
                classes="drift-destination",
                compact=True,
            )

    def on_mount(self) -> None:
        self.show(self.info, self.editable)

    def show(self, info: IntegrationInfo, editable: bool) -> None:
        """New values from the store, without posting Changed."""
        self.info, self.editable = info, editable
        for switch in self.query(Switch):
            field = "auto_close_tickets" if switch.has_class("auto-close") else None
            field = field or "create_drift_tickets"
            with switch.prevent(Switch.Changed):
                switch.value = bool(getattr(info, field))
            switch.disabled = not editable
            self._state(switch)
        destination = self.query_one(".drift-destination", Input)
        if not destination.has_focus:
            with destination.prevent(Input.Changed):
                destination.value = clean(info.drift_destination, limit=1000)
        destination.disabled = not editable

    def _state(self, switch: Switch) -> None:
        name = "auto-close-state" if switch.has_class("auto-close") else "drift-tickets-state"
        self.query_one(f".{name}", Static).update(Content(on_off(switch.value)))

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        self._state(event.switch)
        if event.switch.has_class("auto-close"):
            field, label = "auto_close_tickets", "Automatically close tickets"
        else:
            field, label = "create_drift_tickets", "Create drift tickets"
        if event.value != getattr(self.info, field):
            self.post_message(
                self.Changed(self.info.name, field, event.value, f"{label}: {on_off(event.value)}")
            )

    @on(Input.Submitted, ".drift-destination")
    def _destination(self, event: Input.Submitted) -> None:
        event.stop()
        change = self.destination_change(again=True)
        if change is not None:
            self.post_message(change)

    @on(Input.Blurred, ".drift-destination")
    def _left_destination(self, event: Input.Blurred) -> None:
        event.stop()
        change = self.destination_change()
        if change is not None:
            self.post_message(change)

    def destination_change(self, *, again: bool = False) -> IntegrationCard.Changed | None:
        """The drift destination as typed, when it differs from what is stored and was not
        sent already (``again``: send it even so, ``enter`` retrying a refused value)."""
        if not self.editable:
            return None
        value = self.query_one(".drift-destination", Input).value.strip()
        if value == self.info.drift_destination or (not again and value == self._sent_destination):
            return None
        self._sent_destination = value
        label = f"Drift destination: {value or 'the project'}"
        return self.Changed(self.info.name, "drift_destination", value, label)

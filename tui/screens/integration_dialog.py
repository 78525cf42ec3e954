"""Add or edit an integration: where tickets go and where its token comes from (never the token)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from tui.backend import DIRECT_KINDS
from tui.format import on_off
from tui.safe import clean
from tui.widgets.key_footer import KeyFooter
from worker.integration_service import IntegrationInfo

KINDS = ("jira", "github", "gitlab", "email", "webhook")

#: Text fields of the form: (key, label, placeholder).
FIELDS = (
    ("url", "URL", "Jira site, GitHub Enterprise / GitLab base URL, webhook URL"),
    ("flavor", "Jira flavor", "cloud or datacenter"),
    ("email", "Jira account e-mail", "bot@example.com (Jira Cloud)"),
    ("token_env", "Token variable", "CASEDESK_JIRA_TOKEN"),
    ("token_file", "Token file", "/path/to/a/0600/file"),
    ("project", "Project", "SEC · owner/repo · group/project · recipient address"),
    ("issue_type", "Issue type", "Task (Jira)"),
    ("drift_destination", "Drift destination", "where drift tickets go (default: project)"),
)
#: Fields the integration list does not carry: left empty when editing, sent only if typed.
UNLISTED = ("flavor", "email", "issue_type")
SWITCHES = (
    ("create_drift_tickets", "Create drift tickets in this integration"),
    ("auto_close_tickets", "Automatically close tickets (direct integrations)"),
)


class IntegrationDialog(ModalScreen[dict[str, Any] | None]):
    """Dismisses with the fields to save (``name`` and ``kind`` included), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="integration.cancel"),
        Binding("ctrl+s", "save", "Save", id="integration.save"),
    ]

    def __init__(self, existing: IntegrationInfo | None = None) -> None:
        super().__init__()
        self.existing = existing

    def compose(self) -> ComposeResult:
        existing = self.existing
        title = "Add integration" if existing is None else "Edit integration"
        with Vertical(id="dialog", classes="form-dialog"):
            yield Static(Content(title), id="dialog-title")
            with VerticalScroll(id="form"):
                with Horizontal(classes="field"):
                    yield Label(Content("Name"), classes="field-label")
                    if existing is None:
                        yield Input(placeholder="jira-sec", id="field-name", compact=True)
                    else:
                        yield Static(Content(clean(existing.name, limit=200)), id="field-name")
                with Horizontal(classes="field"):
                    yield Label(Content("Kind"), classes="field-label")
                    yield Select(
                        [(kind, kind) for kind in KINDS],
                        value=existing.kind if existing and existing.kind in KINDS else "jira",
                        allow_blank=False,
                        id="field-kind",
                        compact=True,
                        disabled=existing is not None,
                    )
                for key, label, placeholder in FIELDS:
                    unknown = existing is not None and key in UNLISTED
                    with Horizontal(classes="field"):
                        yield Label(Content(label), classes="field-label")
                        yield Input(
                            self._initial(key),
                            placeholder="(unchanged)" if unknown else placeholder,
                            id=f"field-{key}",
                            compact=True,
                        )
                for key, label in SWITCHES:
                    with Horizontal(classes="field"):
                        yield Label(Content(label), classes="field-label wide")
                        value = bool(getattr(existing, key)) if existing else True
                        yield Switch(value, id=f"field-{key}")
                        # The state in words: a switch is only colour and a knob (NO_COLOR).
                        yield Static(
                            Content(on_off(value)), id=f"field-{key}-state", classes="switch-state"
                        )
                yield Static(
                    Content(
                        "Tokens are never stored: name an environment variable or a file "
                        "(mode 0600) that holds one. E-mail SMTP options: settings import."
                    ),
                    classes="note",
                )
            with Horizontal(id="dialog-buttons"):
                yield Button(Content("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(Content("Cancel (esc)"), id="cancel")
        yield KeyFooter()

    def _initial(self, key: str) -> str:
        existing = self.existing
        if existing is None:
            return "Task" if key == "issue_type" else ""
        return str(getattr(existing, key, "") or "")

    def on_mount(self) -> None:
        first = "#field-url" if self.existing else "#field-name"
        self.query_one(first).focus()

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        self.query_one(f"#{event.switch.id}-state", Static).update(Content(on_off(event.value)))

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        entry: dict[str, Any] = {}
        if self.existing is None:
            name = self.query_one("#field-name", Input).value.strip()
            if not name:
                self.app.notify("Give the integration a name.", severity="warning", markup=False)
                return
            entry["name"] = name
            entry["kind"] = str(self.query_one("#field-kind", Select).value)
        else:
            entry["name"] = self.existing.name
            entry["kind"] = self.existing.kind
        for key, _label, _placeholder in FIELDS:
            value = self.query_one(f"#field-{key}", Input).value.strip()
            # Editing sends only what changed: fields this dialog cannot read stay as stored.
            if (value and self.existing is None) or (
                self.existing is not None and value != self._initial(key)
            ):
                entry[key] = value
        for key, _label in SWITCHES:
            entry[key] = self.query_one(f"#field-{key}", Switch).value
        if entry["kind"] not in DIRECT_KINDS:
            entry["auto_close_tickets"] = False
        self.dismiss(entry)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

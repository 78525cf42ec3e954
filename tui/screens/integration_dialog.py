"""Add or edit an integration: where tickets go and where its token comes from (never the token).

The dialog saves through the service itself and closes only once the service took the change:
a refusal (``http://`` URL, a token pasted where its variable's name goes) is shown in the form,
with everything typed still there, so one field can be corrected and saved again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from store.access import PermissionDenied
from tui.backend import DIRECT_KINDS
from tui.explain import explain
from tui.format import on_off
from tui.safe import clean
from tui.widgets.key_footer import KeyFooter
from worker.integration_service import IntegrationInfo

if TYPE_CHECKING:
    from tui.app import CasedeskApp

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


class IntegrationDialog(ModalScreen[str | None]):
    """Saves the integration and dismisses with its name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="integration.cancel"),
        Binding("ctrl+s", "save", "Save", id="integration.save"),
    ]

    class Saved(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class Refused(Message):
        def __init__(self, text: str, *, denied: bool) -> None:
            super().__init__()
            self.text = text
            self.denied = denied

    def __init__(self, existing: IntegrationInfo | None = None, space: str | None = None) -> None:
        super().__init__()
        self.existing = existing
        self.space = space
        self._saving = False

    @property
    def casedesk(self) -> CasedeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        existing = self.existing
        title = "Add integration" if existing is None else "Edit integration"
        with Vertical(id="dialog", classes="form-dialog"):
            yield Static(Content(title), id="dialog-title")
            with VerticalScroll(id="form"):
                # At the top of the form: in view at 80×24, where the buttons leave no room.
                yield Static("", id="dialog-error")
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
        self.query_one("#dialog-error").display = False
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
        if not self._saving:
            self._saving = True
            self.store(entry)

    @work(thread=True, exclusive=True, group="integration-save", exit_on_error=False)
    def store(self, entry: dict[str, Any]) -> None:
        """Add the integration, or change the fields of the one being edited."""
        backend = self.casedesk.backend
        try:
            if self.existing is None:
                backend.integrations.save(self.space, entry, now=backend.clock())
            else:
                changes = {k: v for k, v in entry.items() if k not in ("name", "kind")}
                backend.integrations.set_fields(
                    self.space, self.existing.name, changes, now=backend.clock()
                )
        except Exception as error:
            denied = isinstance(error, PermissionDenied)
            self.post_message(self.Refused(explain(error), denied=denied))
            return
        self.post_message(self.Saved(entry["name"]))

    def on_integration_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.name)

    def on_integration_dialog_refused(self, message: Refused) -> None:
        """Say why in the form and keep every field as typed."""
        self._saving = False
        error = self.query_one("#dialog-error", Static)
        error.update(Content(clean(message.text, limit=500)))
        error.display = True
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)
        if message.denied:
            self.casedesk.load_context()  # the role may have changed

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

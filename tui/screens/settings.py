"""Space settings: the Cases tab (Mondoo's three settings, one card per integration),
Integrations, and Members (owner only). Every change is saved at once through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Select, Static, Switch, TabbedContent, TabPane

from store.case_settings import WINDOW_CHOICES, CaseSettings
from tui.backend import DIRECT_KINDS
from tui.commands import SUB_SCREEN_HIDDEN, bindings, refresh_keys
from tui.explain import explain
from tui.format import on_off, window_label
from tui.safe import clean
from tui.widgets.integration_card import IntegrationCard
from tui.widgets.key_footer import KeyFooter
from tui.widgets.topbar import TopBar
from worker.admin_service import MemberInfo
from worker.integration_service import IntegrationInfo, IntegrationInUse

if TYPE_CHECKING:
    from tui.app import CasedeskApp

#: The three settings of the Cases tab, as Mondoo words them.
SETTING_TEXT = {
    "auto_create_drift_cases": (
        "Automatically create cases on drift",
        "Automatically create a case when previously passing checks fail.",
    ),
    "aggregation_window_hours": (
        "Aggregation window",
        "How long to collect similar findings into a case before finalizing the case "
        "and opening a ticket.",
    ),
    "auto_close_cases_when_fixed": (
        "Automatically close cases when every asset is fixed",
        "Close a case, and its tickets where the integration allows it, once every asset is fixed.",
    ),
}


def cursor_key(table: DataTable[Text]) -> str | None:
    """The key of the row the table's cursor shows (rows are keyed by name)."""
    if table.row_count == 0:
        return None
    row = min(table.cursor_row, table.row_count - 1)
    value = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class SpaceSettingsView:
    """Everything the settings screen shows, read in one worker."""

    space: str
    settings: CaseSettings
    integrations: list[IntegrationInfo]
    members: list[MemberInfo] | None  # None: not an owner, not shown


class SettingsScreen(Screen[None]):
    """Settings of the current space; editors change them, viewers read them."""

    COMMAND_SCOPES = ("settings", "members", "integrations")
    #: Space and Settings belong to the case list; here they would crowd out this screen's keys.
    FOOTER_HIDDEN = SUB_SCREEN_HIDDEN
    BINDINGS = bindings("settings", "members", "integrations")

    class Loaded(Message):
        def __init__(self, view: SpaceSettingsView) -> None:
            super().__init__()
            self.view = view

    class Saved(Message):
        def __init__(self, text: str, *, leave: bool = False) -> None:
            super().__init__()
            self.text = text
            self.leave = leave

    class Failed(Message):
        def __init__(self, message: str, *, reload: bool = True) -> None:
            super().__init__()
            self.message = message
            self.reload = reload

    class RemoveRefused(Message):
        """The service kept an integration that still has tickets to send or close."""

        def __init__(self, name: str, work: str) -> None:
            super().__init__()
            self.name = name
            self.work = work

    def __init__(self) -> None:
        super().__init__()
        self.view: SpaceSettingsView | None = None
        #: Table id → row key to put the cursor on at the next load (a member just added).
        self._cursor_after_load: dict[str, str] = {}

    @property
    def casedesk(self) -> CasedeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TopBar("Settings")
        with TabbedContent(initial="cases", id="settings-tabs"):
            with TabPane("Cases", id="cases"), VerticalScroll(id="cases-pane"):
                with Vertical(id="general", classes="card"):
                    for name, (title, help_text) in SETTING_TEXT.items():
                        with Horizontal(classes="setting"):
                            with Vertical(classes="setting-text"):
                                yield Static(Content(title), classes="setting-name")
                                yield Static(Content(help_text), classes="setting-help")
                            if name == "aggregation_window_hours":
                                yield Select(
                                    [(window_label(h), h) for h in WINDOW_CHOICES],
                                    allow_blank=False,
                                    value=4,
                                    id=name,
                                    compact=True,
                                )
                            else:
                                yield Switch(id=name)
                                yield Static("", id=f"{name}-state", classes="switch-state")
                yield Static("", id="settings-note")
                yield Vertical(id="integration-cards")
            with TabPane("Integrations", id="integrations"):
                yield self._table(
                    "integrations-table",
                    "Name",
                    "Kind",
                    "Project",
                    "Drift destination",
                    "Token from",
                    "Closes tickets",
                    "Drift tickets",
                )
                yield Static("", id="integrations-note", classes="note")
            with TabPane("Members", id="members"):
                yield self._table("members-table", "User", "Role")
                yield Static(
                    Content("a adds a member · e changes a role · d removes a member"),
                    classes="note",
                )
        yield KeyFooter()

    @staticmethod
    def _table(table_id: str, *columns: str) -> DataTable[Text]:
        table: DataTable[Text] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
        table.add_columns(*columns)
        return table

    def on_mount(self) -> None:
        self.query_one("#general").border_title = "General"
        self.query_one("#settings-tabs", TabbedContent).hide_tab("members")
        self.casedesk.data_changed.subscribe(self, lambda _data: self.load())
        self.casedesk.context_changed.subscribe(self, lambda _data: self.load())
        self._enable(False)
        self.load()

    # Loading -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False)
    def load(self) -> None:
        backend = self.casedesk.backend
        try:
            space, settings = backend.admin.settings(self.casedesk.space_name)
            owner = backend.admin.role(space) == "owner"
            view = SpaceSettingsView(
                space=space,
                settings=settings,
                integrations=backend.integrations.list(space),
                members=backend.admin.members(space) if owner else None,
            )
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        self.post_message(self.Loaded(view))

    def on_settings_screen_loaded(self, message: Loaded) -> None:
        self.view = view = message.view
        settings = view.settings
        for name in ("auto_create_drift_cases", "auto_close_cases_when_fixed"):
            switch = self.query_one(f"#{name}", Switch)
            with switch.prevent(Switch.Changed):
                switch.value = bool(getattr(settings, name))
            self._show_switch(name, switch.value)
        select: Select[int] = self.query_one("#aggregation_window_hours", Select)
        hours = settings.aggregation_window_hours
        choices = sorted({*WINDOW_CHOICES, hours})
        with select.prevent(Select.Changed):
            select.set_options([(window_label(h), h) for h in choices])
            select.value = hours
        self._enable(self.casedesk.can_edit)
        self._show_integrations(view.integrations)
        tabs = self.query_one("#settings-tabs", TabbedContent)
        if view.members is None:
            tabs.hide_tab("members")
        else:
            tabs.show_tab("members")
            self._show_members(view.members)
        refresh_keys(self)

    def _enable(self, editable: bool) -> None:
        for widget in self.query("#general Switch, #general Select"):
            widget.disabled = not editable
        note = (
            ""
            if editable
            else "You can read these settings; editors and owners of the space change them."
        )
        settings_note = self.query_one("#settings-note", Static)
        settings_note.update(Content(note))
        settings_note.set_class(not note, "-empty")

    def _show_integrations(self, integrations: list[IntegrationInfo]) -> None:
        table = self.query_one("#integrations-table", DataTable)
        rows = []
        for item in integrations:
            direct = item.kind in DIRECT_KINDS
            cells = (
                Text(clean(item.name, limit=80)),
                Text(clean(item.kind, limit=20)),
                Text(clean(item.project or "-", limit=80)),
                Text(clean(item.drift_destination or "-", limit=80)),
                Text(clean(item.token_source, limit=80)),
                Text(on_off(item.auto_close_tickets) if direct else "-"),
                Text(on_off(item.create_drift_tickets)),
            )
            rows.append((item.name, cells))
        self._refill(table, rows)
        editable = self.casedesk.can_edit
        if not integrations:
            note = "No integrations in this space yet."
            note += " a adds one." if editable else ""
        elif editable:
            note = "a adds · e edits · t tests the connection · d removes"
        else:
            note = "Editors and owners change and test integrations."
        self.query_one("#integrations-note", Static).update(Content(note))
        cards = self.query_one("#integration-cards", Vertical)
        existing = list(cards.query(IntegrationCard))
        if [card.info.name for card in existing] == [item.name for item in integrations]:
            for card, item in zip(existing, integrations, strict=True):
                card.show(item, editable)
            return
        cards.remove_children()
        cards.mount_all(IntegrationCard(item, editable) for item in integrations)

    def _show_members(self, members: list[MemberInfo]) -> None:
        table = self.query_one("#members-table", DataTable)
        rows = [
            (member.user, (Text(clean(member.user, limit=200)), Text(member.role)))
            for member in members
        ]
        self._refill(table, rows)

    def _refill(self, table: DataTable[Text], rows: list[tuple[str, tuple[Text, ...]]]) -> None:
        """Rows keyed by name; the cursor stays on the row it showed (or on one just saved)."""
        wanted = self._cursor_after_load.pop(table.id or "", None) or cursor_key(table)
        keep = table.cursor_row
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if not rows:
            return
        keys = [key for key, _cells in rows]
        row = keys.index(wanted) if wanted in keys else min(keep, len(rows) - 1)
        table.move_cursor(row=row)

    def _focus_table(self, table_id: str) -> None:
        """Back from a dialog: the keys act on the table's cursor row, so focus the table."""
        if self.app.screen is self:
            self.query_one(table_id, DataTable).focus()

    def on_settings_screen_failed(self, message: Failed) -> None:
        self.casedesk.notify_error(message.message)
        if message.reload:
            self.casedesk.load_context()  # a refusal may mean the role changed
            self.load()  # put every control back to what is stored

    # Saving the Cases tab ----------------------------------------------------------------------

    def _show_switch(self, name: str, value: bool) -> None:
        """The state in words beside the switch: legible without colour (NO_COLOR)."""
        self.query_one(f"#{name}-state", Static).update(Content(on_off(value)))

    def _stored(self, name: str) -> object:
        return getattr(self.view.settings, name) if self.view else None

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        name = event.switch.id or ""
        if name not in SETTING_TEXT:
            return
        self._show_switch(name, event.value)
        if self.view is not None and event.value != self._stored(name):
            title = SETTING_TEXT[name][0]
            self.save(name, "true" if event.value else "false", f"{title}: {on_off(event.value)}")

    @on(Select.Changed, "#aggregation_window_hours")
    def _window_chosen(self, event: Select.Changed) -> None:
        value = event.value
        stored = self._stored("aggregation_window_hours")
        if self.view is not None and isinstance(value, int) and value != stored:
            label = f"Aggregation window: {window_label(value)}"
            self.save("aggregation_window_hours", str(value), label)

    @work(thread=True, group="save", exit_on_error=False)
    def save(self, name: str, text: str, label: str) -> None:
        backend = self.casedesk.backend
        try:
            space = self._space()
            backend.admin.set_setting(space, name, text, now=backend.clock())
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        self.post_message(self.Saved(f"Saved. {label}"))

    def on_settings_screen_saved(self, message: Saved) -> None:
        self.casedesk.notify_done(message.text)
        if message.leave and self.app.screen is self:
            self.app.pop_screen()

    # Members (owner) ---------------------------------------------------------------------------

    def _members_tab(self) -> bool:
        tabs = self.query_one("#settings-tabs", TabbedContent)
        return self.casedesk.is_owner and tabs.active == "members"

    def _focused_member(self) -> str | None:
        """The member on the row the cursor shows."""
        if not self.view or not self.view.members:
            return None
        user = cursor_key(self.query_one("#members-table", DataTable))
        return user if any(m.user == user for m in self.view.members) else None

    def _member_chosen(self, result: tuple[str, str] | None) -> None:
        self._focus_table("#members-table")
        if result is not None:
            self._cursor_after_load["members-table"] = result[0]
            self.change_member(*result)

    def action_add_member(self) -> None:
        from tui.screens.member_dialog import MemberDialog

        self.app.push_screen(MemberDialog(None, "viewer"), self._member_chosen)

    def action_change_role(self) -> None:
        from tui.screens.member_dialog import MemberDialog

        user = self._focused_member()
        if user is None or self.view is None or self.view.members is None:
            return
        role = next(m.role for m in self.view.members if m.user == user)
        self.app.push_screen(MemberDialog(user, role), self._member_chosen)

    def action_remove_member(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        user = self._focused_member()
        if user is None:
            return
        body = Content.assemble(
            (clean(user, limit=200), "bold"),
            " loses their role in this space (they keep the space's default role).",
        )

        def done(yes: bool | None) -> None:
            self._focus_table("#members-table")
            if yes:
                self.remove_member(user)

        self.app.push_screen(ConfirmScreen("Remove member?", body, "Remove"), done)

    @work(thread=True, group="members", exit_on_error=False)
    def change_member(self, user: str, role: str) -> None:
        backend = self.casedesk.backend
        try:
            changed = backend.admin.add_member(
                self.casedesk.space_name, user, role, now=backend.clock()
            )
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        text = f"Saved. {user} is {role}." if changed else f"{user} already was {role}."
        self.post_message(self.Saved(text))
        self.load()

    @work(thread=True, group="members", exit_on_error=False)
    def remove_member(self, user: str) -> None:
        backend = self.casedesk.backend
        try:
            backend.admin.remove_member(self.casedesk.space_name, user, now=backend.clock())
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        self.post_message(self.Saved(f"Removed {user}."))
        self.load()

    # Integrations (editor; testing is open to everyone) ---------------------------------------

    def _space(self) -> str | None:
        return self.view.space if self.view else self.casedesk.space_name

    def _integrations_tab(self) -> bool:
        return self.query_one("#settings-tabs", TabbedContent).active == "integrations"

    def _focused_integration(self) -> IntegrationInfo | None:
        """The integration on the row the cursor shows."""
        if not self.view:
            return None
        name = cursor_key(self.query_one("#integrations-table", DataTable))
        return next((i for i in self.view.integrations if i.name == name), None)

    def action_add_integration(self) -> None:
        from tui.screens.integration_dialog import IntegrationDialog

        self.app.push_screen(IntegrationDialog(space=self._space()), self._integration_saved)

    def action_edit_integration(self) -> None:
        from tui.screens.integration_dialog import IntegrationDialog

        info = self._focused_integration()
        if info is None:
            return
        self.app.push_screen(IntegrationDialog(info, space=self._space()), self._integration_saved)

    def _integration_saved(self, name: str | None) -> None:
        """The dialog saved ``name`` (it stays open while the service refuses) or was cancelled."""
        self._focus_table("#integrations-table")
        if name is not None:
            self._cursor_after_load["integrations-table"] = name
            self.casedesk.notify_done(f"Saved integration {name}.")
            self.load()

    def action_remove_integration(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        info = self._focused_integration()
        if info is None:
            return
        body = Content.assemble(
            (clean(info.name, limit=200), "bold"), " stops receiving tickets from this space."
        )

        def done(yes: bool | None) -> None:
            self._focus_table("#integrations-table")
            if yes:
                self.remove_integration(info.name)

        self.app.push_screen(ConfirmScreen("Remove integration?", body, "Remove"), done)

    @on(RemoveRefused)
    def _remove_refused(self, event: SettingsScreen.RemoveRefused) -> None:
        """The integration still has tickets to send or close: say what is lost, then ask."""
        from tui.screens.confirm import ConfirmScreen

        body = Content.assemble(
            (clean(event.name, limit=200), "bold"),
            f" still has {clean(event.work, limit=200)}. Removing it drops them: unsent"
            " tickets are never sent, and open ones are never closed by casedesk.",
        )

        def done(yes: bool | None) -> None:
            self._focus_table("#integrations-table")
            if yes:
                self.remove_integration(event.name, force=True)

        self.app.push_screen(ConfirmScreen("Remove anyway?", body, "Remove anyway"), done)

    def action_test_integration(self) -> None:
        info = self._focused_integration()
        if info is not None:
            self.casedesk.notify_done(f"Testing {clean(info.name, limit=100)}…")
            self.test_integration(info.name)

    @on(IntegrationCard.Changed)
    def _card_changed(self, event: IntegrationCard.Changed) -> None:
        self._save_card_change(event)

    def _save_card_change(self, change: IntegrationCard.Changed, *, leave: bool = False) -> None:
        label = f"Saved. {clean(change.name, limit=100)}: {change.label}"
        self.save_integration(change.name, {change.field: change.value}, label, leave=leave)

    @work(thread=True, group="integrations", exit_on_error=False)
    def save_integration(
        self, name: str | None, entry: dict[str, Any], label: str, *, leave: bool = False
    ) -> None:
        backend = self.casedesk.backend
        space = self._space()
        try:
            if name is None:
                backend.integrations.save(space, entry, now=backend.clock())
            else:
                changes = {k: v for k, v in entry.items() if k not in ("name", "kind")}
                backend.integrations.set_fields(space, name, changes, now=backend.clock())
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        self.post_message(self.Saved(label, leave=leave))
        self.load()

    @work(thread=True, group="integrations", exit_on_error=False)
    def remove_integration(self, name: str, force: bool = False) -> None:
        backend = self.casedesk.backend
        space = self._space()
        try:
            backend.integrations.remove(space, name, now=backend.clock(), force=force)
        except IntegrationInUse as refused:
            self.post_message(self.RemoveRefused(refused.name, refused.work))
            return
        except Exception as error:
            self.post_message(self.Failed(explain(error)))
            return
        self.post_message(self.Saved(f"Removed integration {name}."))
        self.load()

    @work(thread=True, group="integration-test", exit_on_error=False)
    def test_integration(self, name: str) -> None:
        backend = self.casedesk.backend
        space = self._space()
        try:
            result = backend.integrations.test(space, name)
        except Exception as error:
            self.post_message(self.Failed(explain(error), reload=False))
            return
        self.post_message(self.Saved(result))

    # Tabs and keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action in ("add_member", "change_role", "remove_member"):
            if not self._members_tab():
                return False
            return True if action == "add_member" or self._focused_member() else None
        if action in ("add_integration", "edit_integration", "remove_integration"):
            if not self.casedesk.can_edit or not self._integrations_tab():
                return False
            return True if action == "add_integration" or self._focused_integration() else None
        if action == "test_integration":  # a test acts on the outside world: editors only
            if not self.casedesk.can_edit or not self._integrations_tab():
                return False
            return True if self._focused_integration() else None
        if action == "page":
            return self.query_one("#settings-tabs", TabbedContent).active == "cases"
        if action == "show_tab" and parameters and parameters[0] == "members":
            return self.casedesk.is_owner
        return True

    def action_page(self, direction: str) -> None:
        """Page keys scroll the Cases tab wherever the focus is (the tabs, a control)."""
        pane = self.query_one("#cases-pane", VerticalScroll)
        if direction == "down":
            pane.scroll_page_down(animate=False)
        else:
            pane.scroll_page_up(animate=False)

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#settings-tabs", TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        refresh_keys(self)

    def action_back(self) -> None:
        """Leave, after saving a drift destination still being typed (a refusal keeps you here)."""
        changes = [
            change
            for card in self.query(IntegrationCard)
            if (change := card.destination_change()) is not None
        ]
        if not changes:
            self.app.pop_screen()
        for change in changes:
            self._save_card_change(change, leave=True)

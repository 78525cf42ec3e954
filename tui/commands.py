"""One list of commands feeds the key bindings, the command palette and the help screen.

Every command has a binding id (``cases.close``) so a user can remap its key with a keymap
(``{"cases.close": "x"}``); commands without a key are reachable from the palette only. A
screen declares the scopes it serves in ``COMMAND_SCOPES``; whether a command applies right
now (a viewer cannot close a case) is decided by the node's ``check_action``, for the footer
and the palette alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.actions import parse as parse_action
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class Command:
    """One thing a user can do, with its default key."""

    id: str
    scope: str
    action: str
    title: str
    help: str
    key: str | None = None
    key_display: str | None = None
    show: bool = True
    palette: bool = True
    #: The footer's word for it, where the title is too long for 80 columns.
    short: str | None = None


#: App-wide keys the footer leaves out on screens above the case list (help lists them).
SUB_SCREEN_HIDDEN = frozenset({"app.settings", "app.switch_space"})

#: Where each scope's commands are listed on the help screen, in this order.
SCOPE_TITLES = {
    "app": "Everywhere",
    "cases": "Case list",
    "table": "Moving in the case list",
    "case": "Case page",
    "settings": "Settings",
    "members": "Settings: members (owner)",
    "integrations": "Settings: integrations",
    "confirm": "Questions",
}

COMMANDS: tuple[Command, ...] = (
    # Everywhere
    Command("app.help", "app", "help", "Help", "Every key and command", "question_mark,f1", "?"),
    Command(
        "app.settings", "app", "settings", "Settings", "Space settings, integrations, members", "s"
    ),
    Command("app.switch_space", "app", "switch_space", "Space", "Switch to another space", "w"),
    Command(
        "app.refresh", "app", "refresh", "Refresh", "Reload from the database now", "r", show=False
    ),
    Command("app.quit", "app", "quit", "Quit", "Leave casedesk", "q"),
    # The case list
    Command("cases.open", "cases", "open_case", "Open", "Open the focused case", "enter", "⏎"),
    Command(
        "cases.close",
        "cases",
        "close_case",
        "Close case",
        "Close the focused case (editor)",
        "c",
        short="Close",
    ),
    Command(
        "cases.filter",
        "cases",
        "filter",
        "Filter",
        "Filter cases by title or finding",
        "slash",
        "/",
    ),
    Command(
        "cases.clear_filter",
        "cases",
        "clear_filter",
        "Clear filter",
        "Show every case again",
        "escape",
        "esc",
        short="Clear",
    ),
    Command(
        "cases.leave_filter",
        "cases",
        "leave_filter",
        "Leave the filter",
        "From the filter box down to the cases (the filter stays)",
        "down",
        show=False,
        palette=False,
    ),
    Command("cases.sort", "cases", "cycle_sort", "Sort", "Sort by created, rating, progress", "o"),
    Command("cases.sort_created", "cases", "sort('created')", "Sort by created", "Newest first"),
    Command("cases.sort_rating", "cases", "sort('rating')", "Sort by rating", "Most severe first"),
    Command(
        "cases.sort_progress", "cases", "sort('progress')", "Sort by progress", "Least fixed first"
    ),
    Command(
        "cases.toggle_tab",
        "cases",
        "toggle_tab",
        "Open/Closed",
        "Switch between open and closed cases",
        "tab,t",
        show=False,
    ),
    Command(
        "cases.show_open",
        "cases",
        "show_tab('active')",
        "Show open cases",
        "Open, pending and error cases",
    ),
    Command(
        "cases.show_closed",
        "cases",
        "show_tab('closed')",
        "Show closed cases",
        "Cases closed by hand or when fixed",
    ),
    # Moving in the case list (the table's own keys)
    Command(
        "table.down",
        "table",
        "cursor_down",
        "Down",
        "Next case",
        "down,j",
        show=False,
        palette=False,
    ),
    Command(
        "table.up", "table", "cursor_up", "Up", "Previous case", "up,k", show=False, palette=False
    ),
    Command(
        "table.page_down",
        "table",
        "page_down",
        "Page down",
        "Next screenful",
        "pagedown,space",
        show=False,
        palette=False,
    ),
    Command(
        "table.page_up",
        "table",
        "page_up",
        "Page up",
        "Previous screenful",
        "pageup,b",
        show=False,
        palette=False,
    ),
    Command(
        "table.first", "table", "first", "First", "First case", "home,g", show=False, palette=False
    ),
    Command("table.last", "table", "last", "Last", "Last case", "end,G", show=False, palette=False),
    # The case page
    Command(
        "case.close",
        "case",
        "close_case",
        "Close case",
        "Close this case (editor)",
        "c",
        short="Close",
    ),
    Command("case.copy_link", "case", "copy_link", "Copy link", "Copy the ticket link", "y"),
    Command(
        "case.retry",
        "case",
        "retry_tickets",
        "Retry tickets",
        "Send this case's failed tickets again, once the integration is fixed (editor)",
        "R",
        short="Retry",
    ),
    Command(
        "case.back", "case", "back", "Back", "Back to the case list", "escape,backspace", "esc"
    ),
    # Settings
    Command(
        "settings.cases_tab",
        "settings",
        "show_tab('cases')",
        "Cases tab",
        "Case settings of the space",
        "1",
        show=False,
    ),
    Command(
        "settings.integrations_tab",
        "settings",
        "show_tab('integrations')",
        "Integrations tab",
        "Ticket systems of the space",
        "2",
        show=False,
    ),
    Command(
        "settings.members_tab",
        "settings",
        "show_tab('members')",
        "Members tab",
        "Who may do what (owner)",
        "3",
        show=False,
    ),
    Command(
        "settings.page_down",
        "settings",
        "page('down')",
        "Page down",
        "Scroll the Cases tab down a screenful",
        "pagedown",
        show=False,
        palette=False,
    ),
    Command(
        "settings.page_up",
        "settings",
        "page('up')",
        "Page up",
        "Scroll the Cases tab up a screenful",
        "pageup",
        show=False,
        palette=False,
    ),
    Command("settings.back", "settings", "back", "Back", "Back to the case list", "escape", "esc"),
    Command(
        "members.add",
        "members",
        "add_member",
        "Add member",
        "Give someone a role in this space",
        "a",
        short="Add",
    ),
    Command(
        "members.change",
        "members",
        "change_role",
        "Change role",
        "Change the focused member's role",
        "e",
        short="Role",
    ),
    Command(
        "members.remove",
        "members",
        "remove_member",
        "Remove member",
        "Remove the focused member",
        "d,delete",
        short="Remove",
    ),
    Command(
        "integrations.add",
        "integrations",
        "add_integration",
        "Add integration",
        "Configure a ticket system (editor)",
        "a",
        short="Add",
    ),
    Command(
        "integrations.edit",
        "integrations",
        "edit_integration",
        "Edit integration",
        "Change the focused integration (editor)",
        "e",
        short="Edit",
    ),
    Command(
        "integrations.test",
        "integrations",
        "test_integration",
        "Test connection",
        "Check the focused integration's credentials",
        "t",
        short="Test",
    ),
    Command(
        "integrations.remove",
        "integrations",
        "remove_integration",
        "Remove integration",
        "Remove the focused integration (editor)",
        "d,delete",
        short="Remove",
    ),
    Command("confirm.yes", "confirm", "answer(True)", "Yes", "Do it", "y", palette=False),
    Command(
        "confirm.no",
        "confirm",
        "answer(False)",
        "No",
        "Leave everything as it is",
        "n,escape",
        palette=False,
    ),
)


def commands_in(scopes: Iterable[str]) -> list[Command]:
    wanted = set(scopes)
    return [command for command in COMMANDS if command.scope in wanted]


def bindings(*scopes: str) -> list[Binding]:
    """The key bindings of ``scopes``, each with its command's id (remappable)."""
    return [
        Binding(
            command.key,
            command.action,
            command.short or command.title,
            show=command.show,
            key_display=command.key_display,
            tooltip=command.help,
            id=command.id,
        )
        for command in commands_in(scopes)
        if command.key
    ]


def key_label(app: App[object], command: Command) -> str:
    """The key(s) a command answers to now, after the user's keymap, as the footer shows them."""
    keymap = getattr(app, "keymap", {})
    keys = keymap.get(command.id, command.key)
    if not keys:
        return ""
    display = command.key_display if command.id not in keymap else None
    if display:
        return display
    return " ".join(
        app.get_key_display(Binding(key.strip(), command.action)) for key in keys.split(",")
    )


def available(
    app: App[object], scopes: Iterable[str], screen: Screen[object] | None = None
) -> list[tuple[Command, DOMNode]]:
    """Commands of ``scopes`` that apply now on ``screen`` (default: the app's current screen),
    each with the node that runs it: the app for app-wide commands, else the screen."""
    screen = screen or app.screen
    found = []
    for command in commands_in(scopes):
        if not command.palette:
            continue
        target: DOMNode = app if command.scope == "app" else screen
        _namespace, name, parameters = parse_action(command.action)
        if target.check_action(name, parameters):
            found.append((command, target))
    return found


class CasedeskCommands(Provider):
    """The command palette's entries: the same commands as the keys, filtered by role."""

    def _entries(self) -> list[tuple[Command, DOMNode]]:
        scopes = ("app", *getattr(self.screen, "COMMAND_SCOPES", ()))
        return available(self.app, scopes, self.screen)

    def _runner(self, target: DOMNode, command: Command):  # type: ignore[no-untyped-def]
        return partial(self.app.run_action, command.action, target)

    def _help(self, command: Command) -> str:
        key = key_label(self.app, command)
        return f"{command.help}  ({key})" if key else command.help

    async def discover(self) -> Hits:
        for command, target in self._entries():
            yield DiscoveryHit(
                Content(command.title),
                self._runner(target, command),
                text=command.title,
                help=self._help(command),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, target in self._entries():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._runner(target, command),
                    text=command.title,
                    help=self._help(command),
                )


def refresh_keys(screen: Screen[object]) -> None:
    """Redraw the footer only when what the keys may do has changed.

    The footer rebuilds itself on every ``refresh_bindings``; a cursor move changes nothing
    most of the time, so a screen calls this instead and the footer stays put.
    """
    app = screen.app
    state = tuple(
        (app if command.scope == "app" else screen).check_action(*parse_action(command.action)[1:])
        for command in commands_in(("app", *getattr(screen, "COMMAND_SCOPES", ())))
    )
    if getattr(screen, "_keys_state", None) != state:
        screen._keys_state = state  # type: ignore[attr-defined]
        screen.refresh_bindings()

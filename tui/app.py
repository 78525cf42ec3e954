"""The casedesk terminal app: case list, case page, settings; live while someone watches.

Entry points: :class:`CasedeskApp` and :func:`run_app`, called by ``casedesk`` and
``casedesk demo`` with a migrated engine, the acting user and a clock. The app runs the worker
loop's due work in a thread worker every ``worker_interval`` seconds (windows close and tickets
go out while someone watches) and polls a cheap data version every ``refresh_interval``
seconds, so what another process writes shows up with no key pressed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import get_current_worker

from tui.commands import CasedeskCommands, bindings, refresh_keys
from tui.explain import explain

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tui.backend import Backend, IntegrationSource
    from worker.due import Dispatcher
    from worker.first_screen import FirstScreen

#: How often the app looks for changes made by other processes, in seconds.
REFRESH_INTERVAL = 2.0
#: Seconds after mounting at which the data layer loads even if the footer never said it was
#: painted (it normally says so within a tenth of a second).
FIRST_SCREEN_FALLBACK = 2.0


class CasedeskApp(App[None]):
    """Cases, settings and members of the spaces in one database, for one user."""

    CSS_PATH = Path(__file__).with_name("casedesk.tcss")
    TITLE = "casedesk"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {CasedeskCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]

    class ContextLoaded(Message):
        """The space was resolved and the user's role in it read."""

        def __init__(self, space: str, role: str) -> None:
            super().__init__()
            self.space = space
            self.role = role

    class ContextFailed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class VersionRead(Message):
        def __init__(self, version: tuple[int, ...]) -> None:
            super().__init__()
            self.version = version

    class DueWorkFailed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(
        self,
        engine: Engine | None,
        user: str,
        space: str | None,
        clock: Callable[[], datetime],
        dispatch: Dispatcher | None = None,
        worker_interval: float | None = 30.0,
        *,
        refresh_interval: float | None = REFRESH_INTERVAL,
        keymap: Mapping[str, str] | None = None,
        integrations: IntegrationSource | None = None,
        open_services: Callable[[], tuple[Engine, Dispatcher | None]] | None = None,
        first_screen: FirstScreen | None = None,
    ) -> None:
        """Give ``engine`` (and ``dispatch``), or ``open_services`` that returns them.

        ``open_services`` is called on first use of :attr:`backend`, in a thread worker, after
        the case list has painted from ``first_screen`` (what :mod:`worker.first_screen` read
        without loading SQLAlchemy): that is what makes the app start fast.
        """
        super().__init__()
        if (engine is None) == (open_services is None):
            raise ValueError("give either an engine or open_services")
        self.user = user
        self._engine = engine
        self._dispatch = dispatch
        self._open_services = open_services
        self._integrations = integrations
        self._clock = clock
        self._backend: Backend | None = None
        self._backend_lock = threading.Lock()
        #: Read by the case list when it mounts, then dropped: it is only true at start.
        self.first_screen = first_screen
        self._painting_first_screen = first_screen is not None
        self.requested_space = space
        self.space_name: str | None = first_screen.space if first_screen else space
        self.role: str | None = first_screen.role if first_screen else None
        self.context_error: str | None = None
        self.worker_interval = worker_interval
        self.refresh_interval = refresh_interval
        self.keymap: dict[str, str] = dict(keymap or {})
        #: What the first screen showed is the data version to compare the first poll with.
        self._version: tuple[int, ...] | None = first_screen.version if first_screen else None
        self._due_failure_shown = False
        #: Published when the space or the user's role in it changes.
        self.context_changed: Signal[None] = Signal(self, "context-changed")
        #: Published when another process (or this one) changed what the screens show.
        self.data_changed: Signal[None] = Signal(self, "data-changed")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Rating colours (Mondoo's order), readable on dark and light themes alike."""
        return {
            "rating-critical": "#e5484d",
            "rating-high": "#f76b15",
            "rating-medium": "#d6a100",
            "rating-low": "#3e8ed0",
            "rating-none": "#8b8d98",
        }

    @property
    def backend(self) -> Backend:
        """The services for this user, made on first use (which loads the data layer)."""
        with self._backend_lock:
            if self._backend is None:
                self._backend = self._open_backend()
            return self._backend

    def _open_backend(self) -> Backend:
        from tui.backend import Backend

        engine, dispatch = self._engine, self._dispatch
        if self._open_services is not None:
            engine, dispatch = self._open_services()
        assert engine is not None
        return Backend(engine, self.user, self._clock, dispatch, self._integrations)

    # Roles -------------------------------------------------------------------------------------

    @property
    def can_edit(self) -> bool:
        """Editor or owner in the current space (the service checks again on every action)."""
        return self.role in ("editor", "owner")

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    # Start -------------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        from tui.screens.cases import CasesScreen

        return CasesScreen()

    def on_mount(self) -> None:
        if self.keymap:
            self.set_keymap(self.keymap)
        if not self._painting_first_screen:
            self.load_context()
        else:
            # The case list shows the first screen; the data layer loads (and the context is
            # checked with it) once the list and its keys are painted: first_screen_shown.
            # Should the footer never say so, it loads anyway.
            self.set_timer(FIRST_SCREEN_FALLBACK, self.first_screen_shown)
        if self.refresh_interval:
            self.set_interval(self.refresh_interval, self.poll_version, name="poll")
        if self.worker_interval:
            self.set_timer(1.0, self.due_work, name="first due work")
            self.set_interval(self.worker_interval, self.due_work, name="due work")

    def get_system_commands(self, screen: Screen) -> list[SystemCommand]:  # type: ignore[override]
        """Textual's own palette entries, minus the ones casedesk has its own command for."""
        ours = {"Quit", "Keys"}
        return [
            command for command in super().get_system_commands(screen) if command.title not in ours
        ]

    @property
    def painting_first_screen(self) -> bool:
        """The case list shows the first screen and the data layer has not started loading."""
        return self._painting_first_screen

    def first_screen_shown(self) -> None:
        """The first screen is painted, keys and all: load the data layer behind it, once.

        Loading holds Python's lock for most of a second; started earlier, it would leave the
        footer blank that long.
        """
        if self._painting_first_screen:
            self._painting_first_screen = False
            self.call_after_refresh(self.load_context)

    # Context: space and role -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="context", exit_on_error=False)
    def load_context(self) -> None:
        try:
            name, _settings = self.backend.admin.settings(self.space_name)
            role = self.backend.cases.role(name)
        except Exception as error:
            self.post_message(self.ContextFailed(explain(error)))
            return
        self.post_message(self.ContextLoaded(name, role))

    def on_casedesk_app_context_loaded(self, message: ContextLoaded) -> None:
        changed = (message.space, message.role) != (self.space_name, self.role)
        self.space_name, self.role, self.context_error = message.space, message.role, None
        if changed:
            refresh_keys(self.screen)
            self.context_changed.publish(None)

    def on_casedesk_app_context_failed(self, message: ContextFailed) -> None:
        self.context_error = message.message
        self.context_changed.publish(None)

    def switch_to_space(self, space: str) -> None:
        """Show another space: every screen above the case list closes."""
        from tui.screens.cases import CasesScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.space_name = space
        self.role = None
        refresh_keys(self.screen)
        if isinstance(self.screen, CasesScreen):
            self.screen.space_switched()
        self.load_context()
        self.context_changed.publish(None)

    # Live refresh ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_version(self) -> None:
        try:
            version = self.backend.cases.data_version()
        except Exception:  # a busy database costs one poll, never the app
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.VersionRead(version))

    def on_casedesk_app_version_read(self, message: VersionRead) -> None:
        first = self._version is None
        if message.version == self._version:
            return
        self._version = message.version
        if not first:
            self.load_context()  # a member change may have changed this user's role
            self.data_changed.publish(None)

    def action_refresh(self) -> None:
        self.load_context()
        self.data_changed.publish(None)

    # The worker loop, inside the app -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="due", exit_on_error=False)
    def due_work(self) -> None:
        try:
            counts = self.backend.due_work()
        except Exception as error:
            self.post_message(self.DueWorkFailed(explain(error)))
            return
        if counts.finalized or counts.closed:
            self.call_from_thread(self.poll_version)

    def on_casedesk_app_due_work_failed(self, message: DueWorkFailed) -> None:
        # Once per session: a broken dispatcher should not bury the screen in toasts.
        if not self._due_failure_shown:
            self._due_failure_shown = True
            self.notify(message.message, title="Background work", severity="warning", markup=False)

    # Actions -----------------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def action_switch_space(self) -> None:
        self.load_spaces()

    @work(thread=True, exclusive=True, group="spaces", exit_on_error=False)
    def load_spaces(self) -> None:
        try:
            spaces = self.backend.cases.spaces()
        except Exception as error:
            self.call_from_thread(self.notify, explain(error), severity="error", markup=False)
            return
        self.call_from_thread(self._choose_space, spaces)

    def _choose_space(self, spaces: list[tuple[str, str]]) -> None:
        from tui.screens.spaces import SpaceSwitcher

        def chosen(space: str | None) -> None:
            if space is not None and space != self.space_name:
                self.switch_to_space(space)

        self.push_screen(SpaceSwitcher(spaces, self.space_name), chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "settings":
            # Asked on every refresh of the footer: look the screen up only if its module is
            # loaded, since importing it loads the services (no settings screen without it).
            settings = sys.modules.get("tui.screens.settings")
            on_settings = settings is not None and any(
                isinstance(s, settings.SettingsScreen) for s in self.screen_stack
            )
            return self.space_name is not None and not on_settings
        return True

    def notify_error(self, error: BaseException | str) -> None:
        """Show a refusal or failure; the text may hold names from the database: no markup."""
        text = error if isinstance(error, str) else explain(error)
        self.notify(text, severity="error", markup=False, timeout=8)

    def notify_done(self, text: str) -> None:
        self.notify(text, markup=False)


def run_app(
    engine: Engine | None,
    user: str,
    space: str | None,
    clock: Callable[[], datetime],
    dispatch: Dispatcher | None = None,
    worker_interval: float | None = 30.0,
    *,
    keymap: Mapping[str, str] | None = None,
    open_services: Callable[[], tuple[Engine, Dispatcher | None]] | None = None,
    first_screen: FirstScreen | None = None,
) -> None:
    """Run the app in the terminal until the user quits."""
    CasedeskApp(
        engine,
        user,
        space,
        clock,
        dispatch,
        worker_interval,
        keymap=keymap,
        open_services=open_services,
        first_screen=first_screen,
    ).run()

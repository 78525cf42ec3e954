"""The first screen: open and closed cases, paged from the database, live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static, Tab, Tabs
from textual.worker import get_current_worker

from tui.closing import CaseClosed, CloseRefused, ask_to_close
from tui.commands import bindings, refresh_keys
from tui.explain import explain
from tui.format import ORDER_LABEL, plural
from tui.paging import CasePager, CaseQuery, PageRequest, fetch_page
from tui.safe import clean
from tui.widgets.case_table import CaseTable
from tui.widgets.key_footer import KeyFooter
from tui.widgets.topbar import TopBar
from worker.case_views import CaseSummary

if TYPE_CHECKING:
    from tui.app import CasedeskApp

ORDERS = tuple(ORDER_LABEL)
#: Typing in the filter waits this long for the next key before asking the database.
FILTER_DELAY = 0.12


class CasesScreen(Screen[None]):
    """Tabs Open cases (N) / Closed cases (N) over one paged table."""

    COMMAND_SCOPES = ("cases",)
    BINDINGS = bindings("cases")

    class Reloaded(Message):
        """A fresh count and the pages around the view, fetched together."""

        def __init__(
            self,
            generation: int,
            sequence: int,
            query: CaseQuery,
            total: int,
            pages: dict[int, list[CaseSummary]],
            focus_id: int | None,
        ) -> None:
            super().__init__()
            self.generation = generation
            self.sequence = sequence
            self.query = query
            self.total = total
            self.pages = pages
            self.focus_id = focus_id

    class PageLoaded(Message):
        def __init__(self, request: PageRequest, rows: list[CaseSummary]) -> None:
            super().__init__()
            self.request = request
            self.rows = rows

    class PageFailed(Message):
        def __init__(self, request: PageRequest, message: str) -> None:
            super().__init__()
            self.request = request
            self.message = message

    class CountsLoaded(Message):
        def __init__(self, open_count: int, closed_count: int) -> None:
            super().__init__()
            self.open_count = open_count
            self.closed_count = closed_count

    class ActionFailed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self) -> None:
        super().__init__()
        self.pager = CasePager()
        self.status = "active"
        self.text = ""
        self.order = "created"
        self.filtering = False
        self.fetching = True
        self._generation = 0
        self._sequence = 0
        self._applied = 0
        self._filter_timer: Timer | None = None
        self._counts: tuple[int, int] | None = None

    @property
    def casedesk(self) -> CasedeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TopBar("Cases")
        tabs = Tabs(
            Tab("Open cases", id="active"), Tab("Closed cases", id="closed"), id="case-tabs"
        )
        tabs.can_focus = False
        yield tabs
        with Horizontal(id="filter-bar"):
            yield Label("/", id="filter-label")
            yield Input(placeholder="filter by title or finding key", id="filter", compact=True)
            yield Static("", id="filter-count")
        yield CaseTable(self.pager, id="cases")
        yield Static("", id="list-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.casedesk.data_changed.subscribe(self, lambda _data: self._data_changed())
        self.casedesk.context_changed.subscribe(self, lambda _data: self._context_changed())
        self.table.focus()
        first, self.casedesk.first_screen = self.casedesk.first_screen, None  # used once
        if (
            first is not None
            and self.current_query() == CaseQuery(first.space)
            and first.page_size == self.pager.page_size
        ):
            # Painted from what the command line read before the data layer loaded; the
            # app's first poll of the data version catches anything written since.
            self._generation += 1
            self._show_rows(self.current_query(), first.active, {0: list(first.rows)}, None)
            self._show_counts(first.active, first.closed)
        else:
            self.reload(new_query=True)
            self.load_counts()

    @property
    def table(self) -> CaseTable:
        return self.query_one("#cases", CaseTable)

    def current_query(self) -> CaseQuery:
        return CaseQuery(self.casedesk.space_name, self.status, self.text.strip(), self.order)

    # Loading -----------------------------------------------------------------------------------

    def reload(self, *, new_query: bool = False) -> None:
        """Fetch the count and the pages on screen again (after a change of query or data)."""
        table = self.table
        if new_query:
            self._generation += 1
            self.fetching = True
            focus_id = None
            pages = [0]
        else:
            current = table.current
            focus_id = current.id if current else None
            top = round(table.scroll_y)
            pages = self.pager.pages_for(top, top + table.rows_on_screen, ahead=1) or [0]
        self._sequence += 1
        self._fetch(self._generation, self._sequence, self.current_query(), pages, focus_id)

    @work(thread=True, exclusive=True, group="reload", exit_on_error=False)
    def _fetch(
        self,
        generation: int,
        sequence: int,
        query: CaseQuery,
        pages: list[int],
        focus_id: int | None,
    ) -> None:
        service = self.casedesk.backend.cases
        worker = get_current_worker()
        size = self.pager.page_size
        try:
            total = service.count_cases(query.space, query.status, text=query.text)
            fetched: dict[int, list[CaseSummary]] = {}
            anchor: CaseSummary | None = None
            for page in pages:
                if worker.is_cancelled or page * size >= max(total, 1):
                    break
                rows = fetch_page(service, PageRequest(query, page, anchor), size)
                fetched[page] = rows
                anchor = rows[-1] if len(rows) == size else None
        except Exception as error:
            self.post_message(self.ActionFailed(explain(error)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Reloaded(generation, sequence, query, total, fetched, focus_id))

    def on_cases_screen_reloaded(self, message: Reloaded) -> None:
        if message.generation != self._generation or message.sequence < self._applied:
            return
        self._applied = message.sequence
        self._show_rows(message.query, message.total, message.pages, message.focus_id)

    def _show_rows(
        self,
        query: CaseQuery,
        total: int,
        pages: dict[int, list[CaseSummary]],
        focus_id: int | None,
    ) -> None:
        table = self.table
        self.pager.reset(query, total, pages)
        self.fetching = False
        if focus_id is None:
            table.cursor = 0
            table.scroll_to(y=0, animate=False, immediate=True)
        table.data_updated()
        if focus_id is not None:
            index = self.pager.find(focus_id)
            if index is not None and index != table.cursor:
                # At the top the view stays at the top (new cases come in above); further
                # down it follows the focused case so nothing moves under the reader's eyes.
                table.move_to(index, keep_screen_row=round(table.scroll_y) > 0)
        self._show_state()
        refresh_keys(self)

    def on_key_footer_shown(self, _message: KeyFooter.Shown) -> None:
        self.casedesk.first_screen_shown()

    def on_case_table_viewport(self, message: CaseTable.Viewport) -> None:
        if not self.fetching:
            # The page ahead would load the data layer before the first screen is painted.
            ahead = 0 if self.casedesk.painting_first_screen else 1
            for request in self.pager.wanted(message.first, message.last, ahead=ahead):
                self._load_page(request)
        refresh_keys(self)

    @work(thread=True, group="pages", exit_on_error=False)
    def _load_page(self, request: PageRequest) -> None:
        service = self.casedesk.backend.cases
        size = self.pager.page_size
        try:
            rows = fetch_page(service, request, size)
        except Exception as error:
            self.post_message(self.PageFailed(request, explain(error)))
            return
        self.post_message(self.PageLoaded(request, rows))

    def on_cases_screen_page_loaded(self, message: PageLoaded) -> None:
        if self.pager.store(message.request.query, message.request.page, message.rows):
            self.table.refresh()
            refresh_keys(self)

    def on_cases_screen_page_failed(self, message: PageFailed) -> None:
        self.pager.forget_loading(message.request.query, message.request.page)
        self.casedesk.notify_error(message.message)

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def load_counts(self) -> None:
        space = self.casedesk.space_name
        service = self.casedesk.backend.cases
        try:
            counts = service.count_cases(space, "active"), service.count_cases(space, "closed")
        except Exception:
            return  # the list itself reports what went wrong
        self.post_message(self.CountsLoaded(*counts))

    def on_cases_screen_counts_loaded(self, message: CountsLoaded) -> None:
        self._show_counts(message.open_count, message.closed_count)

    def _show_counts(self, open_count: int, closed_count: int) -> None:
        self._counts = (open_count, closed_count)
        tabs = self.query_one("#case-tabs", Tabs)
        tabs.query_one("#active", Tab).label = Content(f"Open cases ({open_count:,})")
        tabs.query_one("#closed", Tab).label = Content(f"Closed cases ({closed_count:,})")

    def _data_changed(self) -> None:
        self.reload()
        self.load_counts()

    def _context_changed(self) -> None:
        refresh_keys(self)
        self._show_state()

    def space_switched(self) -> None:
        self.reload(new_query=True)
        self.load_counts()

    def on_screen_resume(self) -> None:
        if not self.filtering:
            self.table.focus()
        refresh_keys(self)

    # What the list says about itself -------------------------------------------------------

    def _show_state(self) -> None:
        table = self.table
        error = self.casedesk.context_error
        tab = "open" if self.status == "active" else "closed"
        if error and self.pager.total == 0:
            table.empty_text = error
        elif self.fetching:
            table.empty_text = "Loading…"
        elif self.text.strip():
            table.empty_text = f"No {tab} cases match “{clean(self.text, limit=80)}”."
        else:
            table.empty_text = f"No {tab} cases."
        table.refresh()
        total = self.pager.total
        matches = f"{plural(total, 'match')}" if self.text.strip() else ""
        self.query_one("#filter-count", Static).update(Content(matches))
        shown = plural(total, "case")
        if self.text.strip():
            shown += f" matching “{clean(self.text, limit=40)}”"
        status = f" {shown} · sorted by {ORDER_LABEL[self.order]}"
        self.query_one("#list-status", Static).update(Content(status))

    # Actions -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        table = self.table if self.is_mounted else None
        current = table.current if table is not None else None
        if action == "close_case":
            if not self.casedesk.can_edit or self.status == "closed":
                return False
            return None if current is None or current.status == "closed" else True
        if action == "open_case":
            return None if current is None else True
        if action == "clear_filter":
            return self.filtering or bool(self.text)
        if action == "leave_filter":
            return self.is_mounted and self.query_one("#filter", Input).has_focus
        if action == "sort":
            return parameters[0] != self.order if parameters else True
        if action == "show_tab":
            return parameters[0] != self.status if parameters else True
        return True

    def action_open_case(self) -> None:
        current = self.table.current
        if current is not None:
            self._open(current.id)

    def on_case_table_selected(self, message: CaseTable.Selected) -> None:
        self._open(message.case_id)

    def _open(self, case_id: int) -> None:
        from tui.screens.case_detail import CaseScreen

        self.app.push_screen(CaseScreen(case_id))

    def action_close_case(self) -> None:
        current = self.table.current
        if current is not None:
            ask_to_close(self, current)

    def on_case_closed(self, message: CaseClosed) -> None:
        self.casedesk.notify_done(f"Case #{message.case.id} closed.")
        self._data_changed()

    def on_close_refused(self, message: CloseRefused) -> None:
        self.on_cases_screen_action_failed(self.ActionFailed(message.message))

    def on_cases_screen_action_failed(self, message: ActionFailed) -> None:
        self.casedesk.notify_error(message.message)
        self.casedesk.load_context()  # a refusal may mean this screen's idea of the role is old
        self.fetching = False
        self._show_state()

    def action_filter(self) -> None:
        self.filtering = True
        self.add_class("filtering")
        self.query_one("#filter", Input).focus()
        refresh_keys(self)

    def action_clear_filter(self) -> None:
        self.filtering = False
        self.remove_class("filtering")
        filter_input = self.query_one("#filter", Input)
        had_text = bool(self.text)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        self.text = ""
        self.table.focus()
        if had_text:
            self.reload(new_query=True)
        self._show_state()
        refresh_keys(self)

    def action_leave_filter(self) -> None:
        self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, lambda: self._apply_filter(event.value))

    def _apply_filter(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.reload(new_query=True)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self._apply_filter(event.value)
        if not event.value:
            self.action_clear_filter()
        else:
            self.table.focus()

    def action_cycle_sort(self) -> None:
        self.action_sort(ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)])

    def action_sort(self, order: str) -> None:
        if order in ORDERS and order != self.order:
            self.order = order
            self.table.order = order
            self.reload(new_query=True)
            self._show_state()
            refresh_keys(self)

    def on_case_table_sort_clicked(self, message: CaseTable.SortClicked) -> None:
        self.action_sort(message.order)

    def action_toggle_tab(self) -> None:
        self.action_show_tab("closed" if self.status == "active" else "active")

    def action_show_tab(self, status: str) -> None:
        self.query_one("#case-tabs", Tabs).active = status

    @on(Tabs.TabActivated, "#case-tabs")
    def _tab_changed(self, event: Tabs.TabActivated) -> None:
        status = event.tab.id or "active"
        if status != self.status:
            self.status = status
            self.reload(new_query=True)
            self._show_state()
            refresh_keys(self)

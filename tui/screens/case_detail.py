"""One case in full: status, progress, the finding, its assets, its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Static

from tui.closing import CaseClosed, CloseRefused, ask_to_close
from tui.commands import SUB_SCREEN_HIDDEN, bindings, refresh_keys
from tui.explain import explain
from tui.format import BAR_EMPTY, BAR_FILLED, STATUS_LABEL, percent, rating_of, when
from tui.safe import clamp_lines, clean, clean_block
from tui.widgets.key_footer import KeyFooter
from tui.widgets.topbar import TopBar
from worker.case_views import CaseDetail

if TYPE_CHECKING:
    from tui.app import CasedeskApp

#: Rows shown per table on this page; the rest is counted ("… and 1,234 more").
MAX_TABLE_ROWS = 500
#: Longest cell; a 10,000-character asset name is cut, visibly, instead of widening the table.
MAX_CELL = 120
#: The history's actor and asset cells are cut shorter (the asset to a quarter of the width,
#: never under this), so its Detail column stays on an 80-column screen.
HISTORY_ASSET_MIN = 12
HISTORY_ACTOR = 20
#: Lines of the case title at most.
TITLE_LINES = 3


class ProgressBar(Widget):
    """A bar as wide as its container: fixed assets over all assets."""

    DEFAULT_CSS = "ProgressBar { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fixed = 0
        self.total = 0

    def show(self, fixed: int, total: int) -> None:
        self.fixed, self.total = fixed, total
        self.refresh()

    def render(self) -> RenderResult:
        width = self.size.width
        filled = width * self.fixed // self.total if self.total else 0
        return Content.assemble(
            (BAR_FILLED * filled, "$success"), (BAR_EMPTY * (width - filled), "$foreground 30%")
        )


class CaseTitle(Static):
    """The case title in at most :data:`TITLE_LINES` lines: a 10,000-character title ends in an
    ellipsis instead of pushing the rest of the page off the screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("Loading…"), id=id)
        self.full = Content("Loading…")

    def show(self, content: Content) -> None:
        self.full = content
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.content_region.width
        self.update(clamp_lines(self.full, width, TITLE_LINES) if width else self.full)


def _cell(text: object, limit: int = MAX_CELL) -> Text:
    return Text(clean(text, limit=limit), no_wrap=True, overflow="ellipsis")


class CaseScreen(Screen[None]):
    """The case page: Mondoo's case detail, in a terminal."""

    COMMAND_SCOPES = ("case",)
    #: Space and Settings belong to the case list; here they would crowd out this screen's keys.
    FOOTER_HIDDEN = SUB_SCREEN_HIDDEN
    BINDINGS = bindings("case")

    class Loaded(Message):
        def __init__(self, detail: CaseDetail) -> None:
            super().__init__()
            self.detail = detail

    class Retried(Message):
        """The case's failed ticket jobs are queued again."""

        def __init__(self, jobs: int) -> None:
            super().__init__()
            self.jobs = jobs

    class Failed(Message):
        def __init__(self, message: str, *, loading: bool) -> None:
            super().__init__()
            self.message = message
            self.loading = loading

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self._history_width = 0

    @property
    def casedesk(self) -> CasedeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield TopBar(f"Case #{self.case_id}")
        with VerticalScroll(id="case-body"):
            with Horizontal(id="case-head"):
                yield CaseTitle(id="case-title")
                yield Button(
                    Content("Close case"), variant="error", id="close-button", compact=True
                )
            with Horizontal(id="case-meta-line"):
                yield Static("", id="case-status")
                yield Static("", id="case-meta")
            yield Static("", id="case-tickets")
            with Horizontal(id="case-cards"):
                with Vertical(id="progress-card", classes="card"):
                    yield Static("", id="progress-text")
                    yield ProgressBar(id="progress-bar")
                with Vertical(id="finding-card", classes="card"):
                    yield Static("", id="finding")
            yield Static("", id="assets-title", classes="section")
            yield self._table("assets", ("Asset", "Platform"))
            yield Static("", id="mitigated-title", classes="section")
            yield self._table("mitigated", ("Asset", "Platform", "Fixed"))
            yield Static(Content("History"), classes="section")
            yield self._table("history", ("When (UTC)", "Who", "What", "Asset", "Detail"))
            yield Static("", id="notes-title", classes="section")
            yield Static("", id="notes")
        yield KeyFooter()

    @staticmethod
    def _table(name: str, columns: tuple[str, ...]) -> DataTable[Text]:
        table: DataTable[Text] = DataTable(id=name, cursor_type="none", zebra_stripes=True)
        table.can_focus = False
        table.add_columns(*columns)
        return table

    def on_mount(self) -> None:
        self.query_one("#progress-card").border_title = "PROGRESS"
        self.query_one("#finding-card").border_title = "FINDING"
        self.query_one("#close-button").display = False
        self.query_one("#case-body").focus()
        self.casedesk.data_changed.subscribe(self, lambda _data: self.load())
        self.casedesk.context_changed.subscribe(self, lambda _data: self._show_actions())
        self.load()

    # Loading -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="case", exit_on_error=False)
    def load(self) -> None:
        try:
            detail = self.casedesk.backend.cases.get_case(self.case_id)
        except Exception as error:
            self.post_message(self.Failed(explain(error), loading=True))
            return
        self.post_message(self.Loaded(detail))

    def on_case_screen_loaded(self, message: Loaded) -> None:
        self.detail = detail = message.detail
        case = detail.summary
        self.query_one("#case-title", CaseTitle).show(Content(clean(case.title)))
        status = self.query_one("#case-status", Static)
        status.set_classes(f"status-{case.status}")
        status.update(Content(f" {STATUS_LABEL.get(case.status, case.status.upper())} "))
        self.query_one("#case-meta", Static).update(Content(self._meta(detail)))
        self.query_one("#case-tickets", Static).update(self._tickets(detail))
        self.query_one("#progress-text", Static).update(
            Content.assemble(
                (f"{case.fixed:,} / {case.assets:,} ASSETS FIXED", "bold"),
                "  ",
                (f"{percent(case.fixed, case.assets)}%", "bold"),
            )
        )
        self.query_one("#progress-bar", ProgressBar).show(case.fixed, case.assets)
        self.query_one("#finding", Static).update(self._finding(detail))
        still = [a for a in detail.assets if a.status != "fixed"]
        fixed = [a for a in detail.assets if a.status == "fixed"]
        self.query_one("#assets-title", Static).update(Content(f"Assets ({len(still):,})"))
        self.query_one("#mitigated-title", Static).update(
            Content(f"Mitigated assets ({len(fixed):,})")
        )
        self._fill("assets", [(_cell(a.key), _cell(a.platform, 40)) for a in still])
        self._fill(
            "mitigated",
            [(_cell(a.key), _cell(a.platform, 40), _cell(when(a.fixed_at))) for a in fixed],
        )
        self._fill_history()
        notes = clean_block(detail.notes).strip()
        self.query_one("#notes-title", Static).update(Content("Notes" if notes else ""))
        self.query_one("#notes", Static).update(Content(notes))
        self.query_one("#notes-title").display = bool(notes)
        self.query_one("#notes").display = bool(notes)
        self.query_one(TopBar).set_place(f"Case #{case.id}")
        self._show_actions()

    def _fill_history(self) -> None:
        """The history, its asset cells cut to a quarter of the width so Detail stays on screen."""
        if self.detail is None:
            return
        width = self.query_one("#history", DataTable).size.width or self.size.width
        asset_limit = max(HISTORY_ASSET_MIN, min(MAX_CELL, width // 4))
        self._history_width = width
        self._fill(
            "history",
            [
                (
                    _cell(when(h.at)),
                    _cell(h.actor, HISTORY_ACTOR),
                    _cell(h.action, 30),
                    _cell(h.asset or "-", asset_limit),
                    _cell(h.detail),
                )
                for h in self.detail.history
            ],
        )

    def _fill(self, name: str, rows: list[tuple[Text, ...]]) -> None:
        table = self.query_one(f"#{name}", DataTable)
        table.clear()
        if not rows:
            table.add_row(*([Text("none", style="dim")] + [Text("")] * (len(table.columns) - 1)))
            return
        table.add_rows(rows[:MAX_TABLE_ROWS])
        if len(rows) > MAX_TABLE_ROWS:
            more = Text(f"… and {len(rows) - MAX_TABLE_ROWS:,} more", style="italic")
            table.add_row(*([more] + [Text("")] * (len(table.columns) - 1)))

    @staticmethod
    def _meta(detail: CaseDetail) -> str:
        creator = clean(detail.created_by, limit=100) if detail.created_by else None
        parts = [
            f"Created {when(detail.summary.created_at)} UTC",
            f"Last modified {when(detail.updated_at)} UTC",
            f"Created by {creator or 'casedesk (automatic)'}",
            f"Assets {detail.summary.assets:,}",
        ]
        if detail.closed_at:
            closer = clean(detail.closed_by or "casedesk", limit=100)
            parts.append(f"Closed {when(detail.closed_at)} UTC by {closer}")
        return " · ".join(parts)

    @staticmethod
    def _tickets(detail: CaseDetail) -> Content:
        lines: list[Content] = []
        for ticket in detail.summary.tickets:
            lines.append(
                Content.assemble(
                    ("Ticket ", "bold"),
                    clean(ticket.integration, limit=100),
                    " ",
                    (clean(ticket.key, limit=100), "bold"),
                    f" ({clean(ticket.state, limit=20)}) ",
                    (clean(ticket.url, limit=500), "underline"),
                )
            )
        case = detail.summary
        if case.status == "error":
            lines.append(
                Content.assemble(
                    ("Ticket error ", "bold $error"),
                    clean(detail.error_message or "a ticket could not be created"),
                    "  (fix the integration, then press R or run: casedesk cases retry ",
                    str(case.id),
                    ")",
                )
            )
        elif case.status == "pending" and detail.window_closes_at:
            lines.append(
                Content(
                    f"Collecting drift: the aggregation window closes "
                    f"{when(detail.window_closes_at)} UTC; the ticket goes out then."
                )
            )
        elif not lines:
            lines.append(Content("No ticket."))
        return Content("\n").join(lines)

    @staticmethod
    def _finding(detail: CaseDetail) -> Content:
        parts: list[Content] = []
        for finding in detail.findings:
            rating = rating_of(finding.severity)
            score = f" · score {finding.score:g}" if finding.score is not None else ""
            head = Content.assemble(
                (rating.upper(), f"bold $rating-{rating}"),
                f"{score} · {clean(finding.kind, limit=20)} ",
                (clean(finding.key, limit=300), "bold"),
            )
            lines = [head]
            if finding.title:
                lines.append(Content(clean(finding.title, limit=2000)))
            if finding.source:
                lines.append(Content(f"Source: {clean(finding.source, limit=500)}"))
            if finding.description:
                lines.append(Content(clean_block(finding.description).strip()))
            if finding.remediation:
                lines.append(
                    Content.assemble(
                        ("Remediation: ", "bold"), clean_block(finding.remediation).strip()
                    )
                )
            parts.append(Content("\n").join(lines))
        return Content("\n\n").join(parts) if parts else Content("No finding recorded.")

    def on_case_screen_failed(self, message: Failed) -> None:
        if message.loading and self.detail is None:
            self.query_one("#case-title", CaseTitle).show(Content(message.message))
            return
        self.casedesk.notify_error(message.message)
        if not message.loading:
            self.casedesk.load_context()

    # Actions -----------------------------------------------------------------------------------

    def _show_actions(self) -> None:
        self.query_one("#close-button").display = self.check_action("close_case", ()) is True
        refresh_keys(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_case":
            if not self.casedesk.can_edit or self.detail is None:
                return False
            return self.detail.summary.status != "closed"
        if action == "retry_tickets":
            return (
                self.casedesk.can_edit
                and self.detail is not None
                and self.detail.summary.status == "error"
            )
        if action == "copy_link":  # a ticket without a link (e-mail) says so when asked
            return self.detail is not None and bool(self.detail.summary.tickets)
        return True

    @on(Button.Pressed, "#close-button")
    def _close_pressed(self) -> None:
        self.run_action("close_case")  # through check_action, like the key

    def action_close_case(self) -> None:
        if self.detail is not None:
            ask_to_close(self, self.detail.summary)

    def on_case_closed(self, message: CaseClosed) -> None:
        self.casedesk.notify_done(f"Case #{message.case.id} closed.")
        self.casedesk.data_changed.publish(None)

    def on_close_refused(self, message: CloseRefused) -> None:
        self.on_case_screen_failed(self.Failed(message.message, loading=False))

    def action_copy_link(self) -> None:
        if self.detail is None:
            return
        urls = [t.url for t in self.detail.summary.tickets if t.url]
        if not urls:
            self.app.notify(
                "This case's tickets have no link (an e-mail ticket is known by its Message-ID).",
                severity="warning",
                markup=False,
            )
            return
        self.app.copy_to_clipboard(urls[0])
        self.casedesk.notify_done(f"Copied {clean(urls[0], limit=200)}")

    def action_retry_tickets(self) -> None:
        if self.detail is not None:
            self.retry_tickets(self.detail.summary.id)

    @work(thread=True, group="retry", exit_on_error=False)
    def retry_tickets(self, case_id: int) -> None:
        """Queue the case's failed ticket jobs again (``casedesk cases retry``)."""
        backend = self.casedesk.backend
        try:
            jobs = backend.cases.retry(case_id, now=backend.clock())
        except Exception as error:
            self.post_message(self.Failed(explain(error), loading=False))
            return
        self.post_message(self.Retried(jobs))

    def on_case_screen_retried(self, message: Retried) -> None:
        jobs = f"{message.jobs} ticket job{'s' if message.jobs != 1 else ''}"
        self.casedesk.notify_done(
            f"Queued {jobs} of case #{self.case_id} again; the worker sends them next."
        )
        self.casedesk.data_changed.publish(None)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_resize(self) -> None:
        self.query_one(ProgressBar).refresh()
        if self.detail is not None and self.size.width != self._history_width:
            self._fill_history()

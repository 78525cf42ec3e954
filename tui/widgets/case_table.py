"""The case list: a line-API table that renders only the rows on screen.

It holds no data of its own: it reads rows from a :class:`~tui.paging.CasePager` (attributes
down) and tells its screen which rows it shows (messages up), so the screen fetches the pages
around them. 100,000 cases cost what 20 do: one line per visible row, built when painted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.commands import bindings
from tui.format import SHORT_RATING, STATUS_LABEL, bar, day, percent, rating_of, when
from tui.paging import CasePager
from tui.safe import clean, fit, fit_right
from worker.case_views import CaseSummary


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False


#: Columns a click on the header sorts by.
SORTABLE = {"created": "created", "rating": "rating", "progress": "progress"}


def layout(width: int, order: str) -> list[Column]:
    """Columns for a table ``width`` cells wide: everything at 80, more of it when wider."""
    wide = width >= 140
    roomy = width >= 100
    before = [Column("id", "#", 7, right=True)] if roomy else []
    before.append(Column("rating", "Rating", 8 if wide else 7))
    if wide:
        before.append(Column("status", "Status", 7))
    after = [Column("created", "Created", 16 if wide else 10)]
    if roomy:  # at 80 columns the progress column's "fixed/total" carries the asset count
        after.append(Column("assets", "Assets", 6, right=True))
    after.append(Column("progress", "Progress", 28 if wide else 18))
    if roomy:  # at 80 columns the title needs the room more; the case page shows the ticket
        after.append(Column("ticket", "Ticket", 16 if wide else 10))
    used = sum(c.width + 1 for c in before + after) + 2  # a space after each; the edges
    columns = [*before, Column("title", "Title", max(8, width - used - 1)), *after]
    return [
        Column(c.key, f"{c.label}▾", c.width, c.right) if c.key == order else c for c in columns
    ]


#: Words every vulnerability case's title starts with: in the list they hide the CVE id.
VULNERABILITY_PREFIX = "Mitigate vulnerability "


def list_title(case: CaseSummary) -> str:
    """The title as the list shows it (the stored title is unchanged): without the leading
    ``[RATING]`` the rating column already shows, and without "Mitigate vulnerability " so a
    narrow row still shows which CVE it is."""
    title = clean(case.title, limit=400)
    prefix = f"[{rating_of(case.rating).upper()}] "
    if title.upper().startswith(prefix):
        title = title[len(prefix) :]
    if title.startswith(VULNERABILITY_PREFIX) and len(title) > len(VULNERABILITY_PREFIX):
        title = title[len(VULNERABILITY_PREFIX) :]
    return title


class CaseTable(ScrollView, can_focus=True):
    """Rows of cases from a pager; a cursor; Enter opens, the header sorts."""

    BINDINGS = bindings("table")

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--cursor",
        "case-table--cursor-blurred",
        "case-table--critical",
        "case-table--high",
        "case-table--medium",
        "case-table--low",
        "case-table--none",
        "case-table--pending",
        "case-table--error",
        "case-table--closed",
        "case-table--bar",
        "case-table--bar-empty",
        "case-table--muted",
    }

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Selected(Message):
        """Enter (or a double click) on a case."""

        def __init__(self, case_id: int) -> None:
            super().__init__()
            self.case_id = case_id

    class Viewport(Message):
        """The rows on screen changed: ``first``..``last`` (indexes), the cursor on ``cursor``."""

        def __init__(self, first: int, last: int, cursor: int) -> None:
            super().__init__()
            self.first = first
            self.last = last
            self.cursor = cursor

    class SortClicked(Message):
        def __init__(self, order: str) -> None:
            super().__init__()
            self.order = order

    def __init__(self, pager: CasePager, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pager = pager
        self.order = "created"
        self.empty_text = "Loading…"
        self._columns: list[Column] = []
        self._columns_key: tuple[int, str] | None = None
        self._last_viewport: tuple[int, int, int] | None = None

    # Attributes down -------------------------------------------------------------------------

    def data_updated(self) -> None:
        """The pager changed: new total, new rows. Keeps cursor and scroll where they were."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.pager.total + 1)
        if self.cursor >= self.pager.total:
            self.cursor = max(0, self.pager.total - 1)
        self.refresh()
        self._report_viewport()

    def move_to(self, index: int, *, keep_screen_row: bool = False) -> None:
        """Put the cursor on ``index``; with ``keep_screen_row`` the view follows the cursor so
        it stays on the same line of the screen (a refresh that inserted rows above it)."""
        index = max(0, min(index, self.pager.total - 1))
        if keep_screen_row:
            delta = index - self.cursor
            self.scroll_to(y=self.scroll_y + delta, animate=False, immediate=True)
        self.cursor = index

    @property
    def current(self) -> CaseSummary | None:
        if self.pager.total == 0:
            return None
        return self.pager.row(self.cursor)

    @property
    def rows_on_screen(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # Cursor and scrolling --------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._report_viewport()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._report_viewport()

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        rows = self.rows_on_screen
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False, immediate=True)

    def _report_viewport(self) -> None:
        first = round(self.scroll_y)
        viewport = (first, first + self.rows_on_screen - 1, self.cursor)
        if viewport != self._last_viewport:
            self._last_viewport = viewport
            self.post_message(self.Viewport(*viewport))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.pager.total + 1)
        self._last_viewport = None
        self._scroll_to_cursor()
        self._report_viewport()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor_down(self) -> None:
        if self.cursor < self.pager.total - 1:
            self.cursor += 1

    def action_cursor_up(self) -> None:
        if self.cursor > 0:
            self.cursor -= 1

    def action_page_down(self) -> None:
        rows = self.rows_on_screen
        self.scroll_to(y=self.scroll_y + rows, animate=False, immediate=True)
        self.cursor = min(self.pager.total - 1, self.cursor + rows)

    def action_page_up(self) -> None:
        rows = self.rows_on_screen
        self.scroll_to(y=max(0, self.scroll_y - rows), animate=False, immediate=True)
        self.cursor = max(0, self.cursor - rows)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, self.pager.total - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = 1
            for column in self._layout():
                if x <= event.x < x + column.width and column.key in SORTABLE:
                    self.post_message(self.SortClicked(SORTABLE[column.key]))
                    return
                x += column.width + 1
            return
        index = round(self.scroll_y) + event.y - 1
        if 0 <= index < self.pager.total:
            self.cursor = index
            row = self.pager.row(index)
            if event.chain >= 2 and row is not None:
                self.post_message(self.Selected(row.id))

    # Painting --------------------------------------------------------------------------------

    def _layout(self) -> list[Column]:
        width = self.scrollable_content_region.width
        key = (width, self.order)
        if key != self._columns_key:
            self._columns = layout(width, self.order)
            self._columns_key = key
        return self._columns

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"case-table--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = round(self.scroll_y) + y - 1
        if self.pager.total == 0:
            if y == 2:
                text = fit("  " + self.empty_text, width)
                return Strip([Segment(text, base + self._style("muted"))], width)
            return Strip.blank(width, base)
        if index >= self.pager.total:
            return Strip.blank(width, base)
        row = self.pager.row(index)
        segments = self._row(row, width, base)
        if index == self.cursor:
            cursor = self._style("cursor" if self.has_focus else "cursor-blurred")
            segments = [Segment(s.text, (s.style or base) + cursor) for s in segments]
        return Strip(segments).adjust_cell_length(width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self._style("header")
        parts = [" "]
        for column in self._layout():
            parts.append(
                fit_right(column.label, column.width)
                if column.right
                else fit(column.label, column.width)
            )
            parts.append(" ")
        return Strip([Segment(fit("".join(parts), width), style)], width)

    def _row(self, row: CaseSummary | None, width: int, base: Style) -> list[Segment]:
        if row is None:
            return [Segment(fit("  …", width), base + self._style("muted"))]
        segments = [Segment(" ", base)]
        rating = rating_of(row.rating)
        columns = self._layout()
        badges = not any(column.key == "status" for column in columns)
        for column in columns:
            segments += self._cell(column, row, rating, base, badges)
            segments.append(Segment(" ", base))
        return list(Strip(segments).adjust_cell_length(width, base))

    def _cell(
        self, column: Column, row: CaseSummary, rating: str, base: Style, badges: bool
    ) -> list[Segment]:
        width = column.width
        key = column.key
        if key == "id":
            return [Segment(fit_right(f"#{row.id}", width), base + self._style("muted"))]
        if key == "rating":
            label = rating.upper() if width >= 8 else SHORT_RATING[rating]
            return [Segment(fit(label, width), base + self._style(rating))]
        if key == "status":
            label = STATUS_LABEL.get(row.status, row.status)
            return [Segment(fit(label, width), self._status(row, base))]
        if key == "title":
            title = list_title(row)
            badge = STATUS_LABEL.get(row.status, "") if row.status in ("pending", "error") else ""
            if badge and badges:
                badge_text = fit(badge, min(len(badge), width))
                rest = width - len(badge_text)
                if rest >= 2:
                    return [
                        Segment(badge_text, self._status(row, base)),
                        Segment(fit(" " + title, rest), base),
                    ]
            return [Segment(fit(title, width), base)]
        if key == "created":
            text = when(row.created_at) if width >= 16 else day(row.created_at)
            return [Segment(fit(text, width), base + self._style("muted"))]
        if key == "assets":
            return [Segment(fit_right(f"{row.assets:,}", width), base)]
        if key == "progress":
            return self._progress(row, width, base)
        tickets = [clean(ticket.key, limit=100) for ticket in row.tickets]
        if not tickets:
            return [Segment(fit("-", width), base + self._style("muted"))]
        more = f" +{len(tickets) - 1}" if len(tickets) > 1 else ""
        return [Segment(fit(tickets[0] + more, width), base)]

    def _status(self, row: CaseSummary, base: Style) -> Style:
        if row.status in ("pending", "error", "closed"):
            return base + self._style(row.status)
        return base

    def _progress(self, row: CaseSummary, width: int, base: Style) -> list[Segment]:
        counts = f"{row.fixed:,}/{row.assets:,}"
        pct = f"{percent(row.fixed, row.assets)}%"
        count_width = max(len(counts), 7 if width < 24 else 13)
        bar_width = max(0, width - count_width - len(pct.rjust(4)) - 2)
        filled, empty = bar(row.fixed, row.assets, bar_width)
        return [
            Segment(filled, base + self._style("bar")),
            Segment(empty, base + self._style("bar-empty")),
            Segment(" " + fit_right(counts, count_width) + " ", base),
            Segment(fit_right(pct, width - bar_width - count_width - 2), base),
        ]

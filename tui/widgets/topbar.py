"""The line at the top of every screen: where you are, who you are, what you may do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from tui.safe import clean

if TYPE_CHECKING:
    from tui.app import CasedeskApp


class TopBar(Static):
    """``casedesk › Cases   space demo · alice (editor)``, kept current by the app's context."""

    def __init__(self, place: str) -> None:
        super().__init__(id="topbar")
        self.place = place

    def on_mount(self) -> None:
        app: CasedeskApp = self.app  # type: ignore[assignment]
        app.context_changed.subscribe(self, lambda _context: self.show())
        self.show()

    def show(self) -> None:
        app: CasedeskApp = self.app  # type: ignore[assignment]
        space = clean(app.space_name or "…", limit=60)
        who = clean(app.user, limit=40)
        role = app.role or "…"
        left = Content.assemble(("casedesk", "bold"), " › ", clean(self.place, limit=200))
        right = Content.assemble(
            "space ", (space, "bold"), " · ", who, " (", (role, "italic"), ") "
        )
        width = self.size.width or 80
        gap = max(1, width - left.cell_length - right.cell_length - 1)
        if left.cell_length + right.cell_length + 2 > width:
            left = left.truncate(max(10, width - right.cell_length - 2), ellipsis=True)
            gap = max(1, width - left.cell_length - right.cell_length - 1)
        self.update(Content.assemble(" ", left, " " * gap, right))

    def on_resize(self) -> None:
        self.show()

    def set_place(self, place: str) -> None:
        self.place = place
        self.show()

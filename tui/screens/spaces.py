"""Pick the space to work in (a modal list of every space, with your role in each)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.safe import clean, fit
from tui.widgets.key_footer import KeyFooter


class SpaceSwitcher(ModalScreen[str | None]):
    """Dismisses with the chosen space's name, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="spaces.cancel")
    ]

    def __init__(self, spaces: list[tuple[str, str]], current: str | None) -> None:
        super().__init__()
        self.spaces = spaces
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="spaces-dialog"):
            yield Static(Content("Switch space"), id="spaces-title")
            options = [
                Option(
                    Content.assemble(
                        "● " if name == self.current else "  ",
                        fit(clean(name, limit=200), 30),
                        " ",
                        (role, "$text-muted"),
                    ),
                    id=str(index),
                )
                for index, (name, role) in enumerate(self.spaces)
            ]
            yield OptionList(*options, id="spaces-list")
            if not self.spaces:
                yield Static(Content("No spaces yet: ingest a report first."))
            yield Static(Content("Enter switches · Esc cancels"), id="spaces-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        names = [name for name, _role in self.spaces]
        if self.current in names:
            option_list.highlighted = names.index(self.current)
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss(self.spaces[index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)

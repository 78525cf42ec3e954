"""Every key and command, from the same list as the bindings and the palette."""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.commands import COMMANDS, SCOPE_TITLES, key_label
from tui.safe import fit
from tui.widgets.key_footer import KeyFooter

KEY_WIDTH = 12
TITLE_WIDTH = 18


class HelpScreen(ModalScreen[None]):
    """Keys by screen, after the user's keymap; Escape or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Content("casedesk keys"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._text(), id="help-text")
            yield Static(
                Content(
                    "ctrl+p opens the command palette: every command by name. The dim ids "
                    "remap keys in the [keys] table of the install config. Esc closes."
                ),
                id="help-hint",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def on_resize(self) -> None:
        width = self.query_one("#help-body").scrollable_content_region.width
        self.query_one("#help-text", Static).update(self._text(width))

    def _text(self, width: int = 80) -> Content:
        """Key, title, help and the id to remap it with (dim); the help wraps under itself
        when the screen is narrow."""
        indent = 2 + KEY_WIDTH + 1 + TITLE_WIDTH + 1
        help_width = max(20, width - indent - 1)
        lines: list[Content] = []
        for scope, title in SCOPE_TITLES.items():
            commands = [c for c in COMMANDS if c.scope == scope]
            if not commands:
                continue
            if lines:
                lines.append(Content(""))
            lines.append(Content.styled(title, "bold $accent"))
            for command in commands:
                key = key_label(self.app, command) or "palette"
                wrapped = [
                    Content.styled(line, "$text-muted")
                    for line in textwrap.wrap(command.help, help_width) or [""]
                ]
                ident = Content.styled(command.id, "dim italic")
                if wrapped[-1].cell_length + 2 + ident.cell_length <= help_width:
                    wrapped[-1] = Content.assemble(wrapped[-1], "  ", ident)
                else:
                    wrapped.append(ident)
                lines.append(
                    Content.assemble(
                        "  ",
                        (fit(key, KEY_WIDTH), "bold"),
                        " ",
                        fit(command.title, TITLE_WIDTH),
                        " ",
                        wrapped[0],
                    )
                )
                lines += [Content.assemble(" " * indent, more) for more in wrapped[1:]]
        return Content("\n").join(lines)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

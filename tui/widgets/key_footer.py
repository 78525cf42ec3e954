"""The footer: the keys of the screen you are on, as many as fit, never past the edge.

Textual's footer lays every key out in one row and lets the last ones run under (and past) the
command palette key at 80 columns. This one measures the keys first and leaves out what does
not fit: app-wide keys before the screen's own (``?`` lists them all), the screen's last keys
only when nothing else is left to drop.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: App-wide keys, the first one left out first when the footer is short of room.
DROP_FIRST = ("app.switch_space", "app.settings", "app.quit", "app.help")


def key_width(key_display: str, description: str) -> int:
    """Cells a compact footer key takes: ``key description`` and the gap after it."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


def fitting(entries: Sequence[tuple[str | None, int]], room: int) -> list[int]:
    """Indexes of the ``(binding id, width)`` entries to show within ``room`` cells, in order."""
    kept = list(range(len(entries)))

    def used() -> int:
        return sum(entries[index][1] for index in kept)

    for binding_id in DROP_FIRST:
        if used() <= room:
            return kept
        kept = [index for index in kept if entries[index][0] != binding_id]
    while kept and used() > room:
        kept.pop()
    return kept


class KeyFooter(Footer):
    """A compact footer that fits its width; a screen hides keys with ``FOOTER_HIDDEN`` (ids)."""

    class Shown(Message):
        """The footer has been rebuilt with the screen's keys."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._laid_out_for = 0
        self._rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        # Textual rebuilds the footer once per change of bindings, and a screen that mounts
        # and learns the user's role makes eight in a row (0.3-0.4 s of rebuilding at start).
        # One rebuild per refresh shows the same keys.
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen):
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()

    async def recompose(self) -> None:
        await super().recompose()
        if self._bindings_ready:
            self.post_message(self.Shown())

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        hidden: frozenset[str] = getattr(self.screen, "FOOTER_HIDDEN", frozenset())
        shown: list[tuple[Binding, bool, str]] = []
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.id not in hidden and binding.action not in actions:
                actions.add(binding.action)
                shown.append((binding, enabled, tooltip))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        width = self.size.width or self.app.size.width
        self._laid_out_for = width
        room = width
        if palette is not None:
            # The palette key is docked right, after a one-cell border.
            palette_display = self.app.get_key_display(palette.binding)
            room -= key_width(palette_display, palette.binding.description)
        displays = [self.app.get_key_display(binding) for binding, _enabled, _tip in shown]
        entries = [
            (binding.id, key_width(display, binding.description))
            for display, (binding, _enabled, _tip) in zip(displays, shown, strict=True)
        ]
        for index in fitting(entries, room):
            binding, enabled, tooltip = shown[index]
            yield FooterKey(
                binding.key,
                displays[index],
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if palette is not None:
            yield FooterKey(
                palette.binding.key,
                self.app.get_key_display(palette.binding),
                palette.binding.description,
                palette.binding.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=palette.binding.tooltip or palette.binding.description,
            )

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)

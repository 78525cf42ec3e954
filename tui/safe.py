"""Untrusted text made safe to show (DESIGN.md rule 21, STYLE.md habit 7).

Titles, asset names and ticket responses come from scan reports and ticket systems. They reach
the screen only as plain text (never markup), with every control character turned into a
visible stand-in so an escape sequence shows literally instead of acting on the terminal, and
bidirectional overrides neutralised so they cannot reorder the rest of the line.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from textual.content import Content

#: C0 controls show as the Unicode "control pictures" (ESC → ␛); DEL as ␡; C1 as the
#: replacement character. Bidi embeddings, overrides and isolates would reorder the text
#: around them on terminals that do bidi: they show as the replacement character too.
_VISIBLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_VISIBLE[0x7F] = "\u2421"
_VISIBLE.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_VISIBLE.update(
    {code: "\ufffd" for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), 0x2066)}
)
_VISIBLE.update({code: "\ufffd" for code in range(0x2067, 0x206A)})

_ONE_LINE = dict(_VISIBLE)
_ONE_LINE.update({0x09: " ", 0x0A: " ", 0x0D: " ", 0x2028: " ", 0x2029: " "})

_MULTI_LINE = dict(_VISIBLE)
_MULTI_LINE.update({0x09: "    ", 0x0A: "\n", 0x0D: ""})

#: Longest text shown anywhere; a 10,000-character name is cut here, visibly.
MAX_CHARS = 4000


def clean(text: object, *, limit: int = MAX_CHARS) -> str:
    """One line of untrusted text, safe to print: controls visible, newlines as spaces."""
    value = "" if text is None else str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.translate(_ONE_LINE)


def clean_block(text: object, *, limit: int = 20_000) -> str:
    """Untrusted text that may span lines (a description, a remediation)."""
    value = "" if text is None else str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.translate(_MULTI_LINE)


def plain(text: object, *, limit: int = MAX_CHARS) -> Content:
    """Untrusted text as Content: never parsed as markup."""
    return Content(clean(text, limit=limit))


def fit(text: str, width: int) -> str:
    """``text`` (already clean) cut or padded to exactly ``width`` cells, with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def fit_right(text: str, width: int) -> str:
    """Like :func:`fit`, aligned right."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return " " * (width - length) + text
    return fit(text, width)


def clamp_lines(content: Content, width: int, lines: int) -> Content:
    """``content`` as it wraps at ``width`` cells, cut to ``lines`` lines ending in an ellipsis."""
    if width <= 1 or lines <= 0:
        return content
    wrapped = content.wrap(width)
    if len(wrapped) <= lines:
        return content
    last = wrapped[lines - 1].rstrip().truncate(width - 1)
    return Content("\n").join([*wrapped[: lines - 1], Content.assemble(last, "…")])

"""How values look on screen: ratings, times, progress bars, role and window names."""

from __future__ import annotations

from datetime import datetime

#: Ratings as Mondoo names them, most severe first, with a 4-cell short form for narrow rows.
RATINGS = ("critical", "high", "medium", "low", "none")
SHORT_RATING = {"critical": "CRIT", "high": "HIGH", "medium": "MED", "low": "LOW", "none": "NONE"}

STATUS_LABEL = {"pending": "PENDING", "open": "OPEN", "closed": "CLOSED", "error": "ERROR"}

#: Order names of the case list, in the order the sort key cycles through them.
ORDER_LABEL = {"created": "created", "rating": "rating", "progress": "progress"}

#: Glyphs that read in colour, in monochrome (NO_COLOR) and on the Linux console alike.
BAR_FILLED = "█"
BAR_EMPTY = "░"


def rating_of(value: str | None) -> str:
    """A known rating name ("none" for anything else)."""
    rating = (value or "none").lower()
    return rating if rating in RATINGS else "none"


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    """A UTC time as the app shows it: ``2026-12-01 19:50`` (times are stored in UTC)."""
    if moment is None:
        return "-"
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "-"


def bar(fixed: int, total: int, width: int) -> tuple[str, str]:
    """A progress bar of ``width`` cells as (filled part, empty part)."""
    if width <= 0:
        return "", ""
    filled = width * fixed // total if total else 0
    return BAR_FILLED * filled, BAR_EMPTY * (width - filled)


def percent(fixed: int, total: int) -> int:
    return 100 * fixed // total if total else 0


def window_label(hours: int) -> str:
    """The aggregation window as the settings screen names it."""
    if hours == 0:
        return "No aggregation"
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


def on_off(value: bool) -> str:
    """A switch's state in words, beside it: legible without colour (NO_COLOR)."""
    return "on" if value else "off"


def plural(count: int, noun: str) -> str:
    """``1 case``, ``2 cases``, ``2 matches``: English plurals of the nouns the app counts."""
    if count == 1:
        return f"{count:,} {noun}"
    ending = "es" if noun.endswith(("s", "sh", "ch", "x", "z")) else "s"
    return f"{count:,} {noun}{ending}"

"""The clock a command runs on: the real one, or ``--at`` running at real speed from there."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def offset_clock(start: datetime | None) -> Callable[[], datetime]:
    """The real clock, or one that starts at ``--at`` and runs at real speed from there."""
    if start is None:
        return lambda: datetime.now(UTC)
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)

"""A progress bar on standard error, shown only when a person is watching a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``[#######.......]  45%  storing assets 450/1000``, redrawn at most ten times a second.

    Silent when the stream is not a terminal, so cron mail and CI logs stay clean.
    """

    WIDTH = 24

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {100 * done // total:3d}%  {self.label} {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

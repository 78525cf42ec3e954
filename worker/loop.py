"""The worker loop: due work every interval until told to stop (SIGTERM, Ctrl-C)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from worker.due import Dispatcher, run_due_work

log = logging.getLogger("casedesk.worker")


class StopFlag:
    """Set by a signal handler or another thread; the loop's sleep wakes at once."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self, *_args: object) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)


def install_signal_handlers(stop: StopFlag) -> None:
    """SIGTERM and SIGINT end the loop after the current tick (main thread only)."""
    signal.signal(signal.SIGTERM, stop.set)
    signal.signal(signal.SIGINT, stop.set)


def run_loop(
    engine: Engine,
    *,
    interval: float,
    clock: Callable[[], datetime],
    stop: StopFlag,
    dispatch: Dispatcher | None = None,
    on_tick: Callable[[object], None] | None = None,
) -> int:
    """Run due work every ``interval`` seconds until ``stop`` is set; returns the ticks run.

    A database that is briefly locked by another process costs one tick, not the loop.
    """
    ticks = 0
    while not stop.is_set():
        try:
            counts = run_due_work(engine, clock(), dispatch)
            if on_tick is not None:
                on_tick(counts)
        except OperationalError as error:
            log.warning("database busy, retrying next tick: %s", str(error.orig)[:200])
        ticks += 1
        stop.wait(interval)
    return ticks

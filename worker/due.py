"""Due work: what the worker loop, ``--ingest`` and the terminal app run on every tick."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from store.engine import write_session
from store.retry import retrying
from worker.cases import CaseCounts, auto_close, finalize_due

#: Performs due ticket jobs (worker.dispatch); absent in tests of the case engine alone.
Dispatcher = Callable[[Engine, datetime], object]


def run_due_work(engine: Engine, now: datetime, dispatch: Dispatcher | None = None) -> CaseCounts:
    """Finalize windows that have closed, auto-close fixed cases, then send due tickets.

    Each step is its own short transaction, so a busy database is held only briefly.
    """
    counts = CaseCounts()
    counts.finalized = retrying(lambda: _in_transaction(engine, finalize_due, now))
    counts.closed = retrying(lambda: _in_transaction(engine, auto_close, now))
    if dispatch is not None:
        dispatch(engine, now)
    return counts


def _in_transaction(engine: Engine, step: Callable[..., int], now: datetime) -> int:
    with write_session(engine) as session:
        return step(session, now)

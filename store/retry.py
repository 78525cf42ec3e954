"""Retry a unit of work on the transient errors of concurrent writers.

SQLite answers "database is locked" when the busy timeout runs out; PostgreSQL may pick a
transaction as a deadlock victim (40P01) or fail it for serialization (40001). Each is safe to
run again from the start, since the transaction it was in was rolled back whole.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
log = logging.getLogger("casedesk.store")

_PG_TRANSIENT = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def is_transient(error: DBAPIError) -> bool:
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code in _PG_TRANSIENT:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text


def retrying(work: Callable[[], T], *, attempts: int = 6) -> T:
    """Run ``work`` (which opens its own transaction), again on a transient error."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            if attempt == attempts or not is_transient(error):
                raise
            pause = min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0)
            log.info("transient database error (%s), retrying in %.2f s", error.orig, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")

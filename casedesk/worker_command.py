"""``casedesk worker [--once]``: finalize due windows, auto-close, send tickets; loop or once."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import orjson

from casedesk.errors import UsageError
from worker.cases import CaseCounts
from worker.clock import offset_clock
from worker.due import run_due_work
from worker.loop import StopFlag, install_signal_handlers, run_loop

if TYPE_CHECKING:  # the dispatcher loads httpx; only a worker round needs it
    from worker.dispatch import DispatchCounts


def describe(counts: CaseCounts) -> str:
    return f"{counts.finalized} finalized, {counts.closed} closed"


def describe_tickets(tickets: DispatchCounts) -> str:
    """What the round did with tickets, when it did anything."""
    parts = [
        f"{tickets.created} created" if tickets.created else "",
        f"{tickets.closed} closed" if tickets.closed else "",
        f"{tickets.retried} to retry later" if tickets.retried else "",
        f"{tickets.failed} failed (see casedesk cases list --status error)"
        if tickets.failed
        else "",
    ]
    done = ", ".join(part for part in parts if part)
    return f"; tickets: {done}" if done else ""


def run_worker(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if getattr(args, "space", None):
        raise UsageError("the worker serves every space in the database; drop --space")
    engine = context.engine()
    dispatch = context.dispatcher()
    if args.once:
        counts = run_due_work(engine, context.now)
        tickets = dispatch(engine, context.now)  # after the cases, as run_due_work orders it
        if args.json:
            document = {"cases": counts.as_json(), "tickets": asdict(tickets)}
            sys.stdout.write(orjson.dumps(document).decode() + "\n")
        else:
            print(f"worker: {describe(counts)}{describe_tickets(tickets)}")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s casedesk worker: %(message)s")
    stop = StopFlag()
    install_signal_handlers(stop)
    interval = context.worker_interval
    print(f"casedesk worker: every {interval:g} s; Ctrl-C or SIGTERM stops it", file=sys.stderr)

    def report(counts: object) -> None:
        if isinstance(counts, CaseCounts) and (counts.finalized or counts.closed):
            logging.getLogger("casedesk.worker").info(describe(counts))

    ticks = run_loop(
        engine,
        interval=interval,
        clock=offset_clock(context.now if args.at_given else None),
        stop=stop,
        dispatch=dispatch,
        on_tick=report,
    )
    print(f"casedesk worker: stopped after {ticks} ticks", file=sys.stderr)
    return 0

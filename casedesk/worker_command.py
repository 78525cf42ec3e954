"""``casedesk worker [--once]``: finalize due windows, auto-close, send tickets; loop or once."""

from __future__ import annotations

import argparse
import logging
import sys

import orjson

from worker.cases import CaseCounts
from worker.due import run_due_work
from worker.loop import StopFlag, install_signal_handlers, offset_clock, run_loop


def describe(counts: CaseCounts) -> str:
    return f"{counts.finalized} finalized, {counts.closed} closed"


def run_worker(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    engine = context.engine()
    dispatch = context.dispatcher()
    if args.once:
        counts = run_due_work(engine, context.now, dispatch)
        if args.json:
            sys.stdout.write(orjson.dumps({"cases": counts.as_json()}).decode() + "\n")
        else:
            print(f"worker: {describe(counts)}")
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

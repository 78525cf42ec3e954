"""``casedesk`` with no command: open the terminal app on a space.

The app needs a terminal on both ends; in a pipe or a cron job it would paint escape codes into
a log, so there it refuses in one line and points at the headless commands instead.
"""

from __future__ import annotations

import argparse
import sys

from casedesk.errors import UsageError
from worker.loop import offset_clock


def has_terminal() -> bool:
    """Standard input and output are both a terminal (not a pipe, file or CI log)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_tui(context, args: argparse.Namespace, *, space: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """Open the app on ``space`` (default: ``--space``, else the default space) until quit."""
    if not has_terminal():
        raise UsageError(
            "the terminal app needs a terminal; in scripts use `casedesk cases list`"
            " or `casedesk --ingest FILE`"
        )
    from tui.app import run_app

    clock = offset_clock(context.now if getattr(args, "at_given", False) else None)
    run_app(
        context.engine(),
        context.user,
        space if space is not None else args.space,
        clock,
        context.dispatcher(),
        context.worker_interval,
        keymap=context.keymap,
    )
    return 0

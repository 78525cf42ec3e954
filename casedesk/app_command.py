"""``casedesk`` with no command: open the terminal app on a space.

The app needs a terminal on both ends; in a pipe or a cron job it would paint escape codes into
a log, so there it refuses in one line and points at the headless commands instead.
"""

from __future__ import annotations

import argparse
import sys

from casedesk.errors import UsageError
from worker.clock import offset_clock


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
    from tui.paging import PAGE_SIZE
    from worker.first_screen import read_first_screen

    clock = offset_clock(context.now if getattr(args, "at_given", False) else None)
    space = space if space is not None else args.space
    first_screen = None
    if not context.engine_opened:
        first_screen = read_first_screen(
            context.database_url, context.user, space, page_size=PAGE_SIZE
        )
    if first_screen is None:
        engine, dispatcher, open_services = context.engine(), context.dispatcher(), None
    else:
        # The app paints the first screen, then opens the engine and the dispatcher (which
        # load SQLAlchemy, the services and httpx) behind it.
        engine, dispatcher, open_services = None, None, context.open_services
    run_app(
        engine,
        context.user,
        space,
        clock,
        dispatcher,
        context.worker_interval,
        keymap=context.keymap,
        open_services=open_services,
        first_screen=first_screen,
    )
    return 0

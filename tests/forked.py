"""``casedesk`` commands as separate processes, forked from an interpreter that has imported
casedesk once.

``python -m casedesk.cli`` spends most of a second importing SQLAlchemy, SQLModel, httpx and
casedesk before it does anything; the crash and concurrency tests start dozens of processes, so
most of their time went there. Here a multiprocessing *forkserver* (a fresh, single-threaded
interpreter, not a fork of pytest) imports those modules once, and each command is forked from
it: a process of its own (own pid, own database connections, opened after the fork; SIGKILL and
SIGTERM reach it like any other) running the same ``casedesk.cli.main`` the console script
runs, with the environment, working directory and standard streams the test gives it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Imported by the forkserver before it forks anything: what a worker or an ingest loads.
PRELOAD = [
    "tests.forked",
    "casedesk.cli",
    "casedesk.commands",
    "casedesk.worker_command",
    "store.engine",
    "store.models",
    "worker.ingest",
    "worker.dispatch",
    "worker.due",
    "worker.loop",
    "worker.ticket_clients",
    "integrations.scanners",
    "httpx",
    "alembic.command",
    "sqlite3",
    "psycopg",
]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)  # ignored (only slower) if a forkserver already runs


def _redirect(fd: int, path: str | os.PathLike[str] | None) -> None:
    target = os.open(path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(target, fd)
    os.close(target)


def _run(
    argv: list[str],
    env: dict[str, str],
    stdout: str | None,
    stderr: str | None,
) -> None:
    """In the child: the environment, directory and streams asked for, then casedesk itself."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT_ROOT)
    sys.stdout.flush()
    sys.stderr.flush()
    _redirect(1, stdout)
    _redirect(2, stderr)
    from casedesk.cli import main

    sys.exit(main(argv))  # the exit code becomes the process's exitcode


def start(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    stdout: str | os.PathLike[str] | None = None,
    stderr: str | os.PathLike[str] | None = None,
) -> multiprocessing.process.BaseProcess:
    """Start ``casedesk *argv`` in its own process; its output goes to the files named (else
    nowhere). ``.kill()`` SIGKILLs it, ``.terminate()`` sends SIGTERM, ``.join()`` waits and
    ``.exitcode`` is casedesk's exit code (negative: the signal that ended it)."""
    process = _context.Process(
        target=_run,
        args=(
            [str(arg) for arg in argv],
            dict(env),
            None if stdout is None else str(stdout),
            None if stderr is None else str(stderr),
        ),
        daemon=True,  # never outlives the test run
    )
    process.start()
    return process

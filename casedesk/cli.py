"""The ``casedesk`` command: argument parsing, wiring, exit codes (DESIGN.md "Command line").

Exit codes: 0 done; 2 bad input or usage (one line on stderr, nothing written); 3 not allowed
for this user's role; 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from casedesk.config import ConfigError, load_config, parse_at, resolve_database_url, resolve_user
from casedesk.errors import UsageError, one_line
from integrations.scanners import FORMATS
from store.engine import DatabaseUrlError, make_engine
from store.migrate import upgrade

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_FORBIDDEN = 3


@dataclass(slots=True)
class Context:
    """What every command needs: who, when, which database."""

    user: str
    now: datetime
    database_url: str
    _engine: Engine | None = None

    def engine(self) -> Engine:
        """The migrated engine, opened on first use (``--help`` never touches a database)."""
        if self._engine is None:
            self._engine = make_engine(self.database_url)
            upgrade(self._engine)
        return self._engine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casedesk",
        description="Turn scanner drift into cases and tickets.",
        epilog="Exit codes: 0 done, 1 failure, 2 bad input or usage, 3 not allowed for your role.",
    )
    parser.add_argument("--config", metavar="PATH", help="install config (env CASEDESK_CONFIG)")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (env CASEDESK_DB); default: SQLite in your data directory",
    )
    parser.add_argument(
        "--user", metavar="NAME", help="act as this user (env CASEDESK_USER); default: your login"
    )
    parser.add_argument(
        "--at", metavar="ISO8601", help="the clock for this command (backfills, replays, tests)"
    )
    parser.add_argument(
        "--ingest",
        nargs="+",
        metavar="FILE",
        help="ingest scanner reports ('-' reads standard input), detect drift, update cases",
    )
    parser.add_argument(
        "--format", default="auto", choices=("auto", *FORMATS), help="report format (default: auto)"
    )
    parser.add_argument(
        "--space", default=None, metavar="NAME", help="space to work in (default: default)"
    )
    parser.add_argument("--asset", metavar="KEY", help="asset key for a report with one asset")
    parser.add_argument(
        "--partial", action="store_true", help="the report did not scan its assets completely"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="build a demo space with realistic drift and show it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        return _run(parser, args)
    except (UsageError, ConfigError, DatabaseUrlError) as error:
        _fail(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _fail("interrupted; nothing more was written")
        return 130
    except OperationalError as error:
        _fail(f"database error: {one_line(str(error.orig))}")
        return EXIT_FAILURE
    except SQLAlchemyError as error:
        _fail(f"database error: {one_line(str(error))}")
        return EXIT_FAILURE
    except OSError as error:
        _fail(one_line(str(error)))
        return EXIT_FAILURE
    except Exception as error:
        # Anything unforeseen: one line and exit 1 (CASEDESK_DEBUG=1 shows the traceback).
        if os.environ.get("CASEDESK_DEBUG"):
            raise
        _fail(f"internal error ({type(error).__name__}): {error}")
        return EXIT_FAILURE


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    config = load_config(args.config)
    context = Context(
        user=resolve_user(args.user, config),
        now=parse_at(args.at),
        database_url=resolve_database_url(args.db, config),
    )
    if args.ingest and args.command:
        raise UsageError("--ingest cannot be combined with a command")
    if args.ingest:
        from casedesk.ingest_command import run_ingest

        return run_ingest(context, args)
    if args.command == "demo":
        from casedesk.demo import run_demo

        return run_demo(context, args)
    if _ingest_only_options(args):
        raise UsageError("--format, --asset and --partial go with --ingest")
    parser.print_help()
    return EXIT_OK


def _ingest_only_options(args: argparse.Namespace) -> bool:
    return args.format != "auto" or args.asset is not None or args.partial


def _fail(message: str) -> None:
    print(f"casedesk: {one_line(message)}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

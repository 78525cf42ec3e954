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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from casedesk.config import ConfigError, load_config, parse_at, resolve_database_url, resolve_user
from casedesk.errors import UsageError, one_line
from integrations.scanners import FORMAT_NAMES as FORMATS
from integrations.tickets.checks import KINDS as INTEGRATION_KINDS
from store.case_settings import SETTING_NAMES
from store.vocabulary import ROLES
from worker.case_views import STATUS_FILTERS

# Only light modules above: the terminal app paints its first screen before SQLAlchemy and the
# services load (docs/performance.md). Commands import what they need when they run.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from worker.dispatch import Dispatcher

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_FORBIDDEN = 3
#: The largest id a database column holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


@dataclass(slots=True)
class Context:
    """What every command needs: who, when, which database."""

    user: str
    now: datetime
    database_url: str
    worker_interval: float = 30.0
    worker_lease: float = 300.0
    keymap: dict[str, str] | None = None
    spaces: dict[str, Any] | None = None  # the install config's [spaces…] block
    _engine: Engine | None = None
    _dispatcher: Dispatcher | None = None

    def engine(self) -> Engine:
        """The migrated engine, opened on first use (``--help`` never touches a database)."""
        if self._engine is None:
            from store.engine import make_engine
            from store.migrate import upgrade

            engine = make_engine(self.database_url)
            upgrade(engine)
            if self.spaces:
                from casedesk.seed import seed_new_database

                seed_new_database(engine, self.spaces, user=self.user, now=self.now)
            self._engine = engine
        return self._engine

    @property
    def engine_opened(self) -> bool:
        return self._engine is not None

    def open_services(self) -> tuple[Engine, Dispatcher]:
        """The engine and the dispatcher, for an app that opens them once it has painted."""
        return self.engine(), self.dispatcher()

    def dispatcher(self) -> Dispatcher:
        """What sends due ticket jobs (one per process)."""
        if self._dispatcher is None:
            from worker.dispatch import Dispatcher

            self._dispatcher = Dispatcher(lease=timedelta(seconds=self.worker_lease))
        return self._dispatcher


class OneLineParser(argparse.ArgumentParser):
    """argparse with the contract's error form: one line on stderr, exit 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="casedesk",
        description="Turn scanner drift into cases and tickets. With no command and no --ingest,"
        " opens the terminal app.",
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
    demo = commands.add_parser(
        "demo",
        help="build a demo space with realistic drift and open the app on it",
        parents=[_shared()],
    )
    demo.add_argument(
        "--no-app", action="store_true", help="build and summarise only; do not open the app"
    )
    _worker_parser(commands)
    _cases_parser(commands)
    _members_parser(commands)
    _settings_parser(commands)
    _integrations_parser(commands)
    return parser


def _shared() -> argparse.ArgumentParser:
    """Options a command also takes after its name (``cases list --space S --json``)."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--space", metavar="NAME", default=argparse.SUPPRESS, help="space (default: default)"
    )
    shared.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    shared.add_argument(
        "--at", metavar="ISO8601", default=argparse.SUPPRESS, help="the clock for this command"
    )
    return shared


def _worker_parser(commands) -> None:  # type: ignore[no-untyped-def]
    worker = commands.add_parser(
        "worker", parents=[_shared()], help="finalize due windows, auto-close cases, send tickets"
    )
    worker.add_argument("--once", action="store_true", help="do the due work once and exit")


def _cases_parser(commands) -> None:  # type: ignore[no-untyped-def]
    cases = commands.add_parser("cases", help="list, show, create, close cases")
    sub = cases.add_subparsers(dest="cases_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", parents=[_shared()], help="list cases")
    listing.add_argument(
        "--status",
        default="active",
        choices=STATUS_FILTERS,
        help="which cases (default: active = pending, open and error)",
    )
    show = sub.add_parser("show", parents=[_shared()], help="one case in full")
    show.add_argument("id", type=_case_id)
    create = sub.add_parser(
        "create", parents=[_shared()], help="open a case by hand (editor/owner)"
    )
    create.add_argument("--finding", action="append", required=True, metavar="KEY")
    create.add_argument("--asset", action="append", required=True, metavar="KEY")
    create.add_argument("--title")
    create.add_argument("--notes")
    create.add_argument("--integration", metavar="NAME")
    create.add_argument("--destination", metavar="D")
    close = sub.add_parser("close", parents=[_shared()], help="close a case (editor/owner)")
    close.add_argument("id", type=_case_id)
    close.add_argument("--reason", help="why (kept in the audit log)")
    retry = sub.add_parser(
        "retry", parents=[_shared()], help="re-queue the failed ticket jobs of a case"
    )
    retry.add_argument("id", type=_case_id)


def _members_parser(commands) -> None:  # type: ignore[no-untyped-def]
    members = commands.add_parser("members", help="who may do what in a space (owner)")
    sub = members.add_subparsers(dest="members_command", metavar="ACTION", required=True)
    sub.add_parser("list", parents=[_shared()], help="members and their roles")
    add = sub.add_parser("add", parents=[_shared()], help="add a member or change a role")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    remove = sub.add_parser("remove", parents=[_shared()], help="remove a member")
    remove.add_argument("name")


def _settings_parser(commands) -> None:  # type: ignore[no-untyped-def]
    settings = commands.add_parser("settings", parents=[_shared()], help="space settings")
    sub = settings.add_subparsers(dest="settings_command", metavar="ACTION")
    sub.add_parser("show", parents=[_shared()], help="the space's settings")
    set_ = sub.add_parser("set", parents=[_shared()], help="change one setting (editor/owner)")
    set_.add_argument("key", choices=SETTING_NAMES)
    set_.add_argument("value")
    sub.add_parser("export", help="every space's settings, members and integrations as TOML")
    imp = sub.add_parser("import", help="apply a settings file (validated as a whole)")
    imp.add_argument("file", metavar="FILE.toml")


def _integrations_parser(commands) -> None:  # type: ignore[no-untyped-def]
    integrations = commands.add_parser("integrations", help="ticket systems of a space")
    sub = integrations.add_subparsers(dest="integrations_command", metavar="ACTION", required=True)
    sub.add_parser(
        "list", parents=[_shared()], help="integrations and where their tokens come from"
    )
    add = sub.add_parser(
        "add",
        parents=[_shared()],
        help="add an integration, or change the given fields of one (editor/owner)",
    )
    add.add_argument("name")
    add.add_argument(
        "--kind", choices=INTEGRATION_KINDS, help="needed for a new integration; never changes"
    )
    add.add_argument("--url", help="Jira host, GitHub Enterprise / GitLab base URL, webhook URL")
    add.add_argument("--flavor", choices=("cloud", "datacenter"), help="Jira only")
    add.add_argument("--email", help="Jira Cloud: the account the API token belongs to")
    token = add.add_mutually_exclusive_group()
    token.add_argument("--token-env", metavar="VAR", help="environment variable holding the token")
    token.add_argument("--token-file", metavar="PATH", help="file (mode 0600) holding the token")
    add.add_argument(
        "--project", help="Jira project key / owner/repo / GitLab project / e-mail recipient"
    )
    add.add_argument("--issue-type", help="Jira issue type (default Task)")
    add.add_argument("--drift-destination", help="where drift tickets go (default: --project)")
    add.add_argument(
        "--auto-close-tickets",
        action=argparse.BooleanOptionalAction,
        help="close tickets when their cases close (default on)",
    )
    add.add_argument(
        "--drift-tickets",
        action=argparse.BooleanOptionalAction,
        help="a ticket for every drift case (default on)",
    )
    add.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="kind-specific option, KEY= removes it (e-mail: host, port, security, "
        "from_address, username, password_env, directory; webhook: secret_env; "
        "jira: close_transition; any: concurrency, read_timeout_seconds)",
    )
    remove = sub.add_parser("remove", parents=[_shared()], help="remove an integration")
    remove.add_argument("name")
    remove.add_argument(
        "--force",
        action="store_true",
        help="remove even with queued ticket jobs or open tickets of active cases (they are lost)",
    )
    test = sub.add_parser("test", parents=[_shared()], help="check credentials and destination")
    test.add_argument("name")


def _case_id(text: str) -> int:
    try:
        value = int(text.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a case id: {text!r}") from None
    if not 0 < value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"not a case id: {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        return _run(parser, args)
    except KeyboardInterrupt:
        _fail("interrupted; nothing more was written")
        return 130
    except BrokenPipeError:
        # The reader went away (``cases list | head``): stop quietly, as head expects.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:
        return _report(error)


def _report(error: Exception) -> int:
    """One line on stderr for ``error``, and the exit code it stands for.

    The error classes are imported here, on the way out, so that starting the terminal app
    never waits for the modules that define them.
    """
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from store.access import PermissionDenied
    from store.engine import DatabaseUrlError
    from store.settings import SettingError
    from store.spaces import SpaceNameError
    from worker.admin_service import MemberError
    from worker.cases import CaseError
    from worker.integration_service import IntegrationError
    from worker.settings_file import SettingsFileError

    usage_errors = (
        UsageError,
        ConfigError,
        DatabaseUrlError,
        CaseError,
        MemberError,
        SettingError,
        SettingsFileError,
        SpaceNameError,
        IntegrationError,
    )
    if isinstance(error, PermissionDenied):
        _fail(f"not allowed: {error}")
        return EXIT_FORBIDDEN
    if isinstance(error, usage_errors):
        _fail(str(error))
        return EXIT_USAGE
    if isinstance(error, OperationalError):
        _fail(f"database error: {one_line(str(error.orig))}")
        return EXIT_FAILURE
    if isinstance(error, SQLAlchemyError):
        _fail(f"database error: {one_line(str(error))}")
        return EXIT_FAILURE
    if isinstance(error, OSError):
        _fail(one_line(str(error)))
        return EXIT_FAILURE
    # Anything unforeseen: one line and exit 1 (CASEDESK_DEBUG=1 shows the traceback).
    if os.environ.get("CASEDESK_DEBUG"):
        raise error
    _fail(f"internal error ({type(error).__name__}): {error}")
    return EXIT_FAILURE


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    config = load_config(args.config)
    args.at_given = args.at is not None
    if getattr(args, "space", None) is not None and not args.space.strip():
        raise UsageError("--space needs a name")
    if args.user is not None and not args.user.strip():
        raise UsageError("--user needs a name")
    context = Context(
        user=resolve_user(args.user, config),
        now=parse_at(args.at),
        database_url=resolve_database_url(args.db, config),
        worker_interval=config.worker_interval_seconds,
        worker_lease=config.worker_lease_seconds,
        keymap=config.keys,
        spaces=config.spaces,
    )
    if args.ingest and args.command:
        raise UsageError("--ingest cannot be combined with a command")
    if args.ingest:
        from casedesk.ingest_command import run_ingest

        return run_ingest(context, args)
    if args.command == "demo":
        from casedesk.demo import run_demo

        return run_demo(context, args)
    handler = _handler(args)
    if handler is not None:
        return handler(context, args)
    if _ingest_only_options(args):
        raise UsageError("--format, --asset and --partial go with --ingest")
    if args.json:
        raise UsageError("--json goes with --ingest or a command")
    from casedesk.app_command import run_tui

    return run_tui(context, args)


def _handler(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The function that runs ``args.command``; None for no command (the terminal app)."""
    if args.command is None:
        return None
    from casedesk import commands

    if args.command == "worker":
        from casedesk.worker_command import run_worker

        return run_worker
    if args.command == "cases":
        return getattr(commands, f"cases_{args.cases_command}")
    if args.command == "members":
        return commands.members
    if args.command == "settings":
        return commands.settings
    if args.command == "integrations":
        return commands.integrations
    return None


def _ingest_only_options(args: argparse.Namespace) -> bool:
    return args.format != "auto" or args.asset is not None or args.partial


def _fail(message: str) -> None:
    print(f"casedesk: {one_line(message)}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

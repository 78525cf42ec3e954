"""Handlers of ``casedesk cases|members|settings|worker``: parse nothing, print results.

Each handler takes the command :class:`~casedesk.cli.Context` and the parsed arguments, calls a
service (which checks roles) and prints a readable table or the ``--json`` shape of DESIGN.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from casedesk.errors import UsageError, one_line
from integrations.tickets.checks import OPTIONS
from worker.admin_service import AdminService
from worker.case_service import CaseService, CaseSummary
from worker.integration_service import IntegrationError, IntegrationNotFound, IntegrationService
from worker.settings_file import export_settings, import_settings

#: Every option any kind knows, with its type (the types agree across kinds).
OPTION_TYPES = {key: kind for options in OPTIONS.values() for key, kind in options.items()}


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _say(args: argparse.Namespace, text: str, data: dict[str, Any]) -> None:
    """What an action did: ``data`` as JSON with ``--json``, else the line for a person."""
    if getattr(args, "json", False):
        _print_json(data)
    else:
        print(text)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


# cases ---------------------------------------------------------------------------------------


def cases_list(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    service = CaseService(context.engine(), context.user)
    cases = service.list_cases(args.space, args.status)
    if args.json:
        _print_json([case.as_json() for case in cases])
        return 0
    if not cases:
        print(f"No {'' if args.status == 'all' else args.status + ' '}cases.")
        return 0
    print(f"{'ID':>6}  {'STATUS':8} {'RATING':9} {'PROGRESS':16} {'CREATED':17} TITLE")
    for case in cases:
        print(_case_row(case))
    return 0


def _case_row(case: CaseSummary) -> str:
    bar = "#" * (8 * case.fixed // case.assets if case.assets else 0)
    progress = f"{bar:.<8} {case.fixed}/{case.assets}"
    tickets = " ".join(t.key for t in case.tickets)
    title = one_line(case.title, 200) + (f"  [{one_line(tickets, 60)}]" if tickets else "")
    return (
        f"{case.id:>6}  {case.status:8} {case.rating.upper():9} {progress:16} "
        f"{_when(case.created_at):17} {title}"
    )


def cases_show(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    detail = CaseService(context.engine(), context.user).get_case(args.id)
    if args.json:
        _print_json(detail.as_json())
        return 0
    summary = detail.summary
    creator = detail.created_by or "casedesk (automatic)"
    print(f"Case #{summary.id}: {one_line(summary.title)}")
    print(
        f"Status {summary.status.upper()} · Created {_when(summary.created_at)} · "
        f"Last modified {_when(detail.updated_at)} · Created by {one_line(creator)} · "
        f"Assets {summary.assets}"
    )
    if detail.window_closes_at and summary.status == "pending":
        print(f"Aggregation window closes {_when(detail.window_closes_at)}")
    if detail.error_message:
        print(f"Error: {one_line(detail.error_message)}")
    for ticket in summary.tickets:
        print(
            f"Ticket {one_line(ticket.integration)}: {one_line(ticket.key)} "
            f"{one_line(ticket.url)} ({ticket.state})"
        )
    print(f"PROGRESS  {summary.fixed} / {summary.assets} ASSETS FIXED  {summary.percent}%")
    for finding in detail.findings:
        score = f" · score {finding.score:g}" if finding.score is not None else ""
        print(
            f"\n[{(finding.severity or 'none').upper()}] {one_line(finding.title or finding.key)}"
        )
        print(
            f"  {finding.kind} {one_line(finding.key)}{score} · "
            f"{one_line(finding.source) or 'no source'}"
        )
        if finding.description:
            print(f"  {one_line(finding.description, 400)}")
        if finding.remediation:
            print(f"  Remediation: {one_line(finding.remediation, 400)}")
    open_assets = [a for a in detail.assets if a.status == "open"]
    fixed_assets = [a for a in detail.assets if a.status == "fixed"]
    print(f"\nAssets ({len(open_assets)})")
    for asset in open_assets:
        print(f"  {one_line(asset.name or asset.key)}  {one_line(asset.platform)}")
    print(f"Mitigated assets ({len(fixed_assets)})")
    for asset in fixed_assets:
        print(f"  {one_line(asset.name or asset.key)}  fixed {_when(asset.fixed_at)}")
    print("\nHistory")
    for entry in detail.history:
        asset = f" {one_line(entry.asset)}" if entry.asset else ""
        detail_text = f" - {one_line(entry.detail, 200)}" if entry.detail else ""
        print(f"  {_when(entry.at)}  {one_line(entry.actor)}: {entry.action}{asset}{detail_text}")
    return 0


def cases_create(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if (args.integration is None) != (args.destination is None):
        raise UsageError("--integration and --destination go together")
    case = CaseService(context.engine(), context.user).create_manual(
        args.space,
        finding_keys=args.finding,
        asset_keys=args.asset,
        now=context.now,
        title=args.title or "",
        notes=args.notes or "",
        integration=args.integration,
        destination=args.destination,
    )
    if args.json:
        _print_json(case.as_json())
    else:
        print(f"Opened case #{case.id}: {one_line(case.title)} ({case.fixed}/{case.assets} fixed)")
    return 0


def cases_close(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    case = CaseService(context.engine(), context.user).close(
        args.id, now=context.now, reason=args.reason or ""
    )
    if args.json:
        _print_json(case.as_json())
    else:
        print(f"Closed case #{case.id}: {one_line(case.title)}")
    return 0


def cases_retry(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    jobs = CaseService(context.engine(), context.user).retry(args.id, now=context.now)
    text = f"Queued {jobs} ticket job{'s' if jobs != 1 else ''} of case #{args.id} again."
    _say(args, text, {"id": args.id, "queued": jobs})
    return 0


# members -------------------------------------------------------------------------------------


def members(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    service = AdminService(context.engine(), context.user)
    if args.members_command == "add":
        changed = service.add_member(args.space, args.name, args.role, now=context.now)
        text = f"{one_line(args.name)} is {args.role}" + ("" if changed else " (unchanged)")
        _say(args, text, {"user": args.name, "role": args.role, "changed": changed})
    elif args.members_command == "remove":
        service.remove_member(args.space, args.name, now=context.now)
        _say(args, f"Removed {one_line(args.name)}.", {"user": args.name, "removed": True})
    else:
        rows = service.members(args.space)
        if args.json:
            _print_json([{"user": m.user, "role": m.role} for m in rows])
        else:
            for member in rows:
                print(f"{member.role:8} {one_line(member.user)}")
    return 0


# settings ------------------------------------------------------------------------------------


def settings(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    service = AdminService(context.engine(), context.user)
    command = args.settings_command or "show"
    if command == "set":
        changed = service.set_setting(args.space, args.key, args.value, now=context.now)
        stored = service.settings(args.space)[1].as_dict()[args.key]  # "no" is stored as false
        shown = str(stored).lower() if isinstance(stored, bool) else stored
        text = f"{args.key} = {shown}" + ("" if changed else " (unchanged)")
        _say(args, text, {"key": args.key, "value": stored, "changed": changed})
    elif command == "export":
        sys.stdout.write(export_settings(context.engine()))
    elif command == "import":
        text = _read_text(args.file)
        changes = import_settings(context.engine(), text, user=context.user, now=context.now)
        line = f"Imported {args.file}: {changes} change{'s' if changes != 1 else ''}."
        _say(args, line, {"file": args.file, "changes": changes})
    else:
        name, values = service.settings(args.space)
        if args.json:
            _print_json({"space": name, **values.as_dict()})
        else:
            print(f"Space {name!r}")
            for key, value in values.as_dict().items():
                shown = str(value).lower() if isinstance(value, bool) else value
                print(f"  {key} = {shown}")
    return 0


def _read_text(name: str) -> str:
    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{name}: cannot read: {error}") from None


# integrations --------------------------------------------------------------------------------


def integrations(context, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    service = IntegrationService(context.engine(), context.user)
    command = args.integrations_command
    if command == "add":
        changed = service.save(args.space, _integration_entry(args), now=context.now)
        text = f"Integration {one_line(args.name)} saved" + ("." if changed else " (unchanged).")
        _say(args, text, {"name": args.name, "changed": changed})
    elif command == "remove":
        dropped = service.remove(args.space, args.name, now=context.now, force=args.force)
        text = f"Removed integration {one_line(args.name)}" + (
            f"; dropped {dropped}." if dropped else "."
        )
        _say(args, text, {"name": args.name, "removed": True, "dropped": dropped})
    elif command == "test":
        try:
            result = one_line(service.test(args.space, args.name))
            _say(args, result, {"name": args.name, "ok": True, "detail": result})
        except IntegrationNotFound:
            raise  # no such integration: bad input, exit 2
        except IntegrationError as error:  # the check ran and failed: exit 1, not a usage error
            print(f"casedesk: {one_line(str(error))}", file=sys.stderr)
            return 1
    elif args.json:
        _print_json([row.as_json() for row in service.list(args.space)])
    else:
        rows = service.list(args.space)
        if not rows:
            print("No integrations. Add one: casedesk integrations add NAME --kind jira ...")
        for row in rows:
            # E-mail cannot be closed (REFERENCE.md), whatever auto_close_tickets says.
            closes = row.auto_close_tickets and row.kind != "email"
            flags = "auto-close" if closes else "keep-open"
            flags += ", drift tickets" if row.create_drift_tickets else ""
            destination = one_line(row.drift_destination or row.project)
            print(
                f"{one_line(row.name):16} {row.kind:8} {destination:24}"
                f" secret from {one_line(row.token_source)}; {flags}"
            )
    return 0


def _integration_entry(args: argparse.Namespace) -> dict[str, Any]:
    """The fields given on the command line, and only those (an existing integration keeps
    the rest); the service validates the result."""
    entry: dict[str, Any] = {"name": args.name}
    if args.kind is not None:
        entry["kind"] = args.kind
    for option in (
        "url",
        "flavor",
        "email",
        "token_env",
        "token_file",
        "project",
        "issue_type",
        "drift_destination",
    ):
        value = getattr(args, option)
        if value is not None:
            entry[option] = value
    if args.auto_close_tickets is not None:
        entry["auto_close_tickets"] = args.auto_close_tickets
    if args.drift_tickets is not None:
        entry["create_drift_tickets"] = args.drift_tickets
    options: dict[str, Any] = {}
    for pair in args.option:
        key, separator, value = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            raise UsageError(f"--option {one_line(pair, 60)!r}: write KEY=VALUE")
        options[key] = _option_value(key, value)
    if options:
        entry["options"] = options
    return entry


def _option_value(key: str, text: str) -> Any:
    """An --option value as its option's type; "" removes the option (None)."""
    if text == "":
        return None
    wanted = OPTION_TYPES.get(key, "text")
    if wanted == "table":
        raise UsageError(f"--option {key}: a table; set it with casedesk settings import")
    try:
        if wanted == "int":
            return int(text)
        if wanted == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        words = "a whole number" if wanted == "int" else "a number"
        raise UsageError(f"--option {key} must be {words}") from None
    return text

"""``settings export`` / ``settings import``: spaces' settings, members and integrations as TOML.

Import is validated as a whole before anything is applied: an unknown key, a wrong type or a
token written in clear is an error naming its line, and nothing changes. Importing the same
file twice changes nothing the second time. Members and integrations are added or updated by
name; ones the file does not mention are left alone.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import tomli_w
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from integrations.tickets.checks import (
    KINDS as INTEGRATION_KINDS,
)
from integrations.tickets.checks import (
    SettingProblem,
    check_integration,
    env_name_problem,
    file_path_problem,
)
from store.access import ROLES, PermissionDenied, is_owner_anywhere, require
from store.engine import read_session, write_session
from store.models import AuditEvent, Integration, Member, Space
from store.settings import (
    SETTING_NAMES,
    SettingError,
    change_setting,
    load_settings,
    validate_setting,
)
from store.spaces import get_or_create_space, validate_space_name
from worker.admin_service import MemberError, require_an_owner

_TEXT_FIELDS = (
    "url",
    "flavor",
    "email",
    "token_env",
    "token_file",
    "project",
    "issue_type",
    "drift_destination",
)
_BOOL_FIELDS = ("auto_close_tickets", "create_drift_tickets")
INTEGRATION_FIELDS = ("name", "kind", *_TEXT_FIELDS, *_BOOL_FIELDS, "options")
#: Keys that would put a secret in the file; secrets live in the environment or a 0600 file.
_SECRET_WORDS = re.compile(r"(^|_)(token|password|secret|api_key|apikey|pat)$", re.IGNORECASE)
_SECRET_SOURCES = re.compile(r"_(env|file)$")


class SettingsFileError(ValueError):
    """The settings file is wrong; the message names the line."""


class KindChangeError(ValueError):
    """An existing integration cannot become another kind (its tickets live in the old one)."""


@dataclass(slots=True)
class SpacePlan:
    """What one ``[spaces.NAME]`` block asks for, validated."""

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    #: Line numbers for refusals that need the database: ("members", user) / ("kind", name).
    lines: dict[tuple[str, str], int] = field(default_factory=dict)


def export_settings(engine: Engine) -> str:
    """Every space's settings, members and integrations, as TOML (tomli-w)."""
    with read_session(engine) as session:
        spaces: dict[str, Any] = {}
        for space in session.scalars(select(Space).order_by(Space.id)):
            block: dict[str, Any] = {"settings": load_settings(session, space.id).as_dict()}
            block["members"] = {
                m.user: m.role
                for m in session.scalars(
                    select(Member).where(Member.space_id == space.id).order_by(Member.user)
                )
            }
            integrations = []
            for row in session.scalars(
                select(Integration).where(Integration.space_id == space.id).order_by(Integration.id)
            ):
                entry: dict[str, Any] = {"name": row.name, "kind": row.kind}
                entry.update(
                    {name: getattr(row, name) for name in _TEXT_FIELDS if getattr(row, name)}
                )
                entry.update({name: getattr(row, name) for name in _BOOL_FIELDS})
                options = json.loads(row.options or "{}")
                _drop_unsafe_sources(entry)
                _drop_unsafe_sources(options)
                if options:
                    entry["options"] = options
                integrations.append(entry)
            if integrations:
                block["integrations"] = integrations
            spaces[space.name] = block
    return tomli_w.dumps({"spaces": spaces})


def _drop_unsafe_sources(table: dict[str, Any]) -> None:
    """Rule 18: a stored token source that is not a variable name or a path may be the token
    itself (saved before sources were checked); it is left out of the export, never written."""
    for key in list(table):
        value = table[key]
        if not isinstance(value, str) or not value:
            continue
        env = key.endswith("_env") and env_name_problem(value, key)
        file = key.endswith("_file") and file_path_problem(value, key)
        if env or file:
            del table[key]


def parse_settings_file(text: str) -> list[SpacePlan]:
    """Validate a whole settings file; raises SettingsFileError naming the line."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsFileError(f"not valid TOML: {error}") from None
    lines = _LineFinder(text)
    unknown = [key for key in document if key != "spaces"]
    if unknown:
        raise SettingsFileError(
            f"line {lines.find(unknown[0])}: unknown key {unknown[0]!r}; expected [spaces.NAME]"
        )
    spaces = document.get("spaces", {})
    if not isinstance(spaces, dict):
        raise SettingsFileError(f"line {lines.find('spaces')}: spaces must be a table")
    plans = []
    for name, block in spaces.items():
        try:
            validate_space_name(name)
        except ValueError as error:
            raise SettingsFileError(f"line {lines.find(name)}: {error}") from None
        if not isinstance(block, dict):
            raise SettingsFileError(f"line {lines.find(name)}: spaces.{name} must be a table")
        plans.append(_plan(name, block, lines))
    return plans


def _plan(name: str, block: dict[str, Any], lines: _LineFinder) -> SpacePlan:
    plan = SpacePlan(name=name)
    where = f"spaces.{name}"
    for key in block:
        if key not in ("settings", "members", "integrations"):
            raise SettingsFileError(
                f"line {lines.find(key, where)}: unknown key {key!r} in [{where}]"
            )
    settings = _table(block.get("settings", {}), f"{where}.settings", lines)
    for key, value in settings.items():
        try:
            plan.settings[key] = validate_setting(key, value)
        except SettingError as error:
            raise SettingsFileError(
                f"line {lines.find(key, f'{where}.settings')}: {error}"
            ) from None
    for user, role in _table(block.get("members", {}), f"{where}.members", lines).items():
        if role not in ROLES or not user.strip() or not user.isprintable():
            raise SettingsFileError(
                f"line {lines.find(user, f'{where}.members')}: member {user!r} needs a role:"
                f" {', '.join(ROLES)}"
            )
        plan.members[user] = role
        plan.lines[("members", user)] = lines.find(user, f"{where}.members")
    integrations = block.get("integrations", [])
    if not isinstance(integrations, list):
        raise SettingsFileError(
            f"line {lines.find('integrations', where)}: integrations must be [[...]] tables"
        )
    seen: set[str] = set()
    header = f"{where}.integrations"
    for index, entry in enumerate(integrations):

        def line_of(key: str, i: int = index) -> int:
            # A key the table lacks (a missing token source): the line of the table's name.
            return lines.find(key, header, i, strict=True) or lines.find("name", header, i)

        integration = validate_integration(entry, line_of)
        if integration["name"] in seen:
            raise SettingsFileError(
                f"line {lines.find('name', header, index)}:"
                f" two integrations named {integration['name']!r}"
            )
        seen.add(integration["name"])
        plan.lines[("kind", integration["name"])] = lines.find("kind", header, index)
        plan.integrations.append(integration)
    return plan


def _table(value: object, where: str, lines: _LineFinder) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsFileError(
            f"line {lines.find(where.rsplit('.', 1)[-1])}: [{where}] must be a table"
        )
    return value


def validate_integration(entry: object, line_of, *, new_name: bool = True) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Check one integration table; ``line_of(key)`` says where a key is, for messages.

    Every check of :func:`integrations.tickets.checks.check_integration` runs here: per-kind
    required fields, URLs, destinations, token sources (never a token), options.
    """
    if not isinstance(entry, dict):
        raise SettingsFileError(f"line {line_of('integrations')}: an integration must be a table")
    result: dict[str, Any] = {}
    for key, value in entry.items():
        if _SECRET_WORDS.search(key) and not _SECRET_SOURCES.search(key):
            raise SettingsFileError(
                f"line {line_of(key)}: {key} would put a secret in the file; name an environment"
                " variable (token_env) or a 0600 file (token_file) instead"
            )
        if key not in INTEGRATION_FIELDS:
            raise SettingsFileError(f"line {line_of(key)}: unknown integration key {key!r}")
        if key in _BOOL_FIELDS and not isinstance(value, bool):
            raise SettingsFileError(f"line {line_of(key)}: {key} must be true or false")
        if key in ("name", "kind", *_TEXT_FIELDS) and not isinstance(value, str):
            raise SettingsFileError(f"line {line_of(key)}: {key} must be a string")
        if key == "options":
            if not isinstance(value, dict):
                raise SettingsFileError(f"line {line_of(key)}: options must be a table")
            for option in value:
                if _SECRET_WORDS.search(option) and not _SECRET_SOURCES.search(option):
                    raise SettingsFileError(
                        f"line {line_of(option)}: options.{option} would put a secret in the file;"
                        " use an _env or _file option instead"
                    )
        result[key] = value
    for required in ("name", "kind"):
        if not str(result.get(required, "")).strip():
            raise SettingsFileError(f"line {line_of('name')}: an integration needs {required}")
    if result["kind"] not in INTEGRATION_KINDS:
        raise SettingsFileError(
            f"line {line_of('kind')}: kind must be one of {', '.join(INTEGRATION_KINDS)}"
        )
    # One check for every entry point (settings import, the command line, the terminal app).
    try:
        check_integration(result, new_name=new_name)
    except SettingProblem as problem:
        raise SettingsFileError(
            f"line {line_of(problem.key)}: integration {result['name']!r}: {problem.message}"
            if problem.key != "name"
            else f"line {line_of(problem.key)}: {problem.message}"
        ) from None
    return result


def import_settings(engine: Engine, text: str, *, user: str, now: datetime) -> int:
    """Validate, then apply everything in one transaction; returns the number of changes."""
    plans = parse_settings_file(text)
    changes = 0
    with write_session(engine) as session:
        for plan in plans:
            space = session.scalar(select(Space).where(Space.name == plan.name))
            if space is None:
                if session.scalar(select(Space.id).limit(1)) is not None and not is_owner_anywhere(
                    session, user
                ):
                    raise PermissionDenied(
                        f"creating space {plan.name!r} needs the owner role in some space"
                    )
                space = get_or_create_space(session, name=plan.name, user=user, now=now)
                changes += 1
            if plan.settings or plan.integrations:
                require(
                    session, space, user, "editor", f"changing the settings of space {plan.name!r}"
                )
            for key, value in plan.settings.items():
                if key == "default_role":
                    require(session, space, user, "owner", "changing default_role")
                changes += change_setting(session, space, key, value, actor=user, now=now)
            if plan.members:
                require(session, space, user, "owner", "changing members")
                member_changes = _apply_members(session, space, plan.members, user, now)
                changes += member_changes
                if member_changes:
                    _keep_an_owner(session, space, plan)
            for entry in plan.integrations:
                try:
                    changes += apply_integration(session, space, entry, user, now)
                except KindChangeError as error:
                    line = plan.lines.get(("kind", entry["name"]), 1)
                    raise SettingsFileError(f"line {line}: {error}") from None
    return changes


def _keep_an_owner(session: Session, space: Space, plan: SpacePlan) -> None:
    """The file may not leave the space without an owner (the same rule as members remove)."""
    session.flush()
    try:
        require_an_owner(session, space.id)
    except MemberError as error:
        demoted = [u for u, role in plan.members.items() if role != "owner"]
        line = plan.lines.get(("members", demoted[0]), 1) if demoted else 1
        raise SettingsFileError(
            f"line {line}: {error}: space {plan.name!r} would have no owner"
        ) from None


def apply_config_spaces(engine: Engine, spaces: dict[str, Any], *, user: str, now: datetime) -> int:
    """The install config's ``[spaces…]`` block, applied once when the database is created."""
    return import_settings(engine, tomli_w.dumps({"spaces": spaces}), user=user, now=now)


def _apply_members(
    session: Session, space: Space, members: dict[str, str], actor: str, now: datetime
) -> int:
    changes = 0
    for name, role in members.items():
        member = session.scalar(
            select(Member).where(Member.space_id == space.id, Member.user == name)
        )
        if member is not None and member.role == role:
            continue
        old = member.role if member else "none"
        if member is None:
            session.add(Member(space_id=space.id, user=name, role=role))
        else:
            member.role = role
        session.add(
            AuditEvent(
                space_id=space.id,
                at=now,
                actor=actor,
                action="member_changed",
                detail=f"{name}: {old} -> {role}",
            )
        )
        changes += 1
    return changes


def apply_integration(
    session: Session, space: Space, entry: dict[str, Any], actor: str, now: datetime
) -> int:
    row = session.scalar(
        select(Integration).where(
            Integration.space_id == space.id, Integration.name == entry["name"]
        )
    )
    if row is not None and row.kind != entry["kind"]:
        raise KindChangeError(
            f"integration {row.name!r} is a {row.kind} integration and stays one (its tickets "
            f"live there): remove it and add a new {entry['kind']} integration instead"
        )
    wanted = {name: entry.get(name, "") for name in _TEXT_FIELDS}
    wanted["issue_type"] = entry.get("issue_type", "Task")
    wanted.update({name: entry.get(name, True) for name in _BOOL_FIELDS})
    wanted["kind"] = entry["kind"]
    wanted["options"] = json.dumps(entry.get("options", {}), sort_keys=True)
    if row is not None and all(getattr(row, name) == value for name, value in wanted.items()):
        return 0
    if row is None:
        row = Integration(space_id=space.id, name=entry["name"], **wanted)
        session.add(row)
        action = "integration_added"
    else:
        for name, value in wanted.items():
            setattr(row, name, value)
        action = "integration_changed"
    session.add(
        AuditEvent(space_id=space.id, at=now, actor=actor, action=action, detail=entry["name"])
    )
    session.flush()
    return 1


class _LineFinder:
    """Line numbers of keys in a TOML text, by the table they sit in (for error messages)."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r'^\s*("?)([^"=]+?)\1\s*=')

    def __init__(self, text: str) -> None:
        self.keys: list[tuple[str, int, str, int]] = []  # (table, occurrence, key, line)
        counts: dict[str, int] = {}
        table, occurrence = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                table = header.group(2).replace('"', "").replace(" ", "")
                if header.group(1) == "[[":
                    occurrence = counts.get(table, -1) + 1
                    counts[table] = occurrence
                else:  # a sub-table ([….integrations.options]) belongs to the current [[…]]
                    parents = [t for t in counts if table.startswith(t + ".")]
                    occurrence = counts[max(parents, key=len)] if parents else 0
                self.keys.append((table, occurrence, table.rsplit(".", 1)[-1], number))
                continue
            key = self._KEY.match(line)
            if key:
                self.keys.append((table, occurrence, key.group(2).strip(), number))

    def find(
        self,
        key: str,
        table: str | None = None,
        occurrence: int | None = None,
        *,
        strict: bool = False,
    ) -> int:
        """The line of ``key`` in ``table`` (its ``occurrence``-th [[…]]); else, unless
        ``strict`` (then 0), of ``key`` anywhere, else 1."""
        for row_table, row_occurrence, row_key, number in self.keys:
            if row_key != key:
                continue
            if table is not None and not row_table.startswith(table):
                continue
            if occurrence is not None and row_occurrence != occurrence:
                continue
            return number
        if strict:
            return 0
        for _table, _occurrence, row_key, number in self.keys:
            if row_key == key:
                return number
        return 1


__all__ = [
    "SETTING_NAMES",
    "SettingsFileError",
    "apply_config_spaces",
    "export_settings",
    "import_settings",
    "parse_settings_file",
]

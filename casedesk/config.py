"""The install-level config file (``--config`` / ``CASEDESK_CONFIG``), the user and the clock.

The file is TOML and validated as a whole: an unknown key or a wrong type is an error that names
it, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from store.location import default_database_url


class ConfigError(ValueError):
    """The config file, an option or an environment variable is wrong; one line for a person."""


@dataclass(frozen=True, slots=True)
class InstallConfig:
    """What the install-level config file may hold."""

    database_url: str | None = None
    user: str | None = None
    worker_interval_seconds: float = 30.0
    # How long a claimed ticket job stays with one worker before another may take it over.
    worker_lease_seconds: float = 300.0
    spaces: dict[str, Any] | None = None  # a [spaces…] block applied when the database is created
    # The terminal app's key remapping: binding id (``cases.close``) → key(s), e.g. "x,delete".
    keys: dict[str, str] | None = None


_KEYS: dict[str, tuple[type, ...]] = {
    "database_url": (str,),
    "user": (str,),
    "worker_interval_seconds": (int, float),
    "worker_lease_seconds": (int, float),
    "spaces": (dict,),
    "keys": (dict,),
}


def load_config(path: str | None) -> InstallConfig:
    """Read the config at ``path`` (or ``CASEDESK_CONFIG``); no path means all defaults."""
    path = path or os.environ.get("CASEDESK_CONFIG") or None
    if path is None:
        return InstallConfig()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config {path}: {error}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise ConfigError(f"config {path}: unknown key {key!r}; known: {', '.join(_KEYS)}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"config {path}: {key} must be {expected[0].__name__}")
        values[key] = value
    for key in ("worker_interval_seconds", "worker_lease_seconds"):
        if values.get(key, 1) <= 0:
            raise ConfigError(f"config {path}: {key} must be positive")
    if "keys" in values:
        values["keys"] = _validate_keys(path, values["keys"])
    return InstallConfig(**values)


#: A key name as Textual spells it (``x``, ``ctrl+d``, ``f5``, ``pagedown``), comma-separated.
_KEY_LIST = re.compile(r"^[A-Za-z0-9_+\-]+(,[A-Za-z0-9_+\-]+)*$")


def _validate_keys(path: str, keys: dict[str, Any]) -> dict[str, str]:
    """``[keys]``: every id must be a command of the app and every value a list of key names."""
    from tui.commands import COMMANDS  # the one list of commands; plain data, no terminal

    known = {command.id for command in COMMANDS}
    result: dict[str, str] = {}
    for command_id, value in keys.items():
        if command_id not in known:
            raise ConfigError(
                f"config {path}: keys.{command_id} is not a command; see the app's help screen (?)"
            )
        text = value.replace(" ", "") if isinstance(value, str) else None
        if not text or not _KEY_LIST.match(text):
            raise ConfigError(
                f'config {path}: keys.{command_id} must be key names like "x" or "ctrl+d,f5"'
            )
        result[command_id] = text
    return result


def resolve_database_url(option: str | None, config: InstallConfig) -> str:
    """``--db``, else ``CASEDESK_DB``, else the config, else the embedded SQLite file."""
    return option or os.environ.get("CASEDESK_DB") or config.database_url or default_database_url()


def resolve_user(option: str | None, config: InstallConfig) -> str:
    """``--user``, else ``CASEDESK_USER``, else the config, else the OS login (rule 20)."""
    user = option or os.environ.get("CASEDESK_USER") or config.user
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = f"uid-{os.getuid()}"
    user = user.strip()
    if not user or len(user) > 200 or not user.isprintable():
        raise ConfigError("the user name must be 1-200 printable characters")
    return user


#: The range ``--at`` accepts: any real backfill or replay, and nothing that overflows.
EARLIEST_CLOCK = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_CLOCK = datetime(3000, 1, 1, tzinfo=UTC)


def parse_at(value: str | None) -> datetime:
    """``--at``: an ISO 8601 time (a time without offset is UTC); no value means now."""
    if value is None:
        return datetime.now(UTC)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--at {value!r}: not an ISO 8601 time (e.g. 2026-01-31T09:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if not EARLIEST_CLOCK <= moment < LATEST_CLOCK:
        # Windows and backoffs are added to the clock; near year 9999 they would overflow.
        raise ConfigError(f"--at {value!r}: give a time between 1970 and 2999")
    return moment

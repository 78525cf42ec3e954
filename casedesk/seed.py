"""The install config's ``[spaces…]`` block: spaces, settings, members and integrations that a
new database starts with (DESIGN.md: "applied once when the database is created").

"Created" means: no space exists yet. Once any space exists, the block is left alone, so a later
edit in the UI or by ``settings import`` is never overwritten by the config on the next start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import tomli_w
from sqlalchemy import Engine, select

from casedesk.config import ConfigError
from store.engine import read_session
from store.models import Space
from worker.settings_file import SettingsFileError, import_settings


def seed_new_database(engine: Engine, spaces: dict[str, Any], *, user: str, now: datetime) -> bool:
    """Apply ``spaces`` if the database has no space yet; True when it was applied."""
    with read_session(engine) as session:
        if session.scalar(select(Space.id).limit(1)) is not None:
            return False
    try:
        text = tomli_w.dumps({"spaces": spaces})
    except (TypeError, ValueError) as error:
        raise ConfigError(f"config [spaces]: {error}") from None
    try:
        import_settings(engine, text, user=user, now=now)
    except SettingsFileError as error:
        # Line numbers would point into a generated text, not the user's file: drop them.
        message = str(error).split(": ", 1)[-1] if str(error).startswith("line ") else str(error)
        raise ConfigError(f"config [spaces]: {message}") from None
    return True

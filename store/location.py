"""Where the embedded database lives when no URL is given (no SQLAlchemy: config reads it)."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_database_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    directory = Path(platformdirs.user_data_dir("casedesk", appauthor=False))
    return f"sqlite:///{directory / 'casedesk.db'}"

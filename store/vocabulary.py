"""Names the store gives meaning to, importable without loading SQLAlchemy.

The command line builds its parser from them, and the terminal app's first screen is read
before the data layer loads (``worker.first_screen``); both need these and nothing heavier.
"""

from __future__ import annotations

#: The newest revision in migrations/versions (a test keeps this equal to alembic's head).
HEAD_REVISION = "0006"

#: The space a command works in without ``--space`` (else the oldest space).
DEFAULT_SPACE = "default"

#: Roles per space, weakest first (DESIGN.md rules 19-20).
ROLES = ("viewer", "editor", "owner")

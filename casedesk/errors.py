"""Errors the command line turns into exit codes, and one-line messages."""

from __future__ import annotations

from integrations.scanners.sanitize import clean_line


class UsageError(ValueError):
    """Bad input or usage: exit 2, one line on stderr, nothing written."""


def one_line(message: str, limit: int = 500) -> str:
    """A message fit for one terminal line: no escapes, no newlines, not endless."""
    return clean_line(message, limit)

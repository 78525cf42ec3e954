"""Scan times as reports write them, to timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """Parse an ISO 8601 time (``Z``, offsets, fractions, or a bare date-time taken as UTC).

    Returns None for anything that is not a time, so a parser can fall back to ``--at``/now.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Go and Trivy write nanoseconds; Python takes at most microseconds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = head + "." + rest[: min(digits, 6)] + rest[digits:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year < 1970:
        return None  # Go's zero time (0001-01-01) is how scanners write "not set"
    return moment.astimezone(UTC)

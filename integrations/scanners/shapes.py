"""Readers for JSON values of the wrong shape: hostile or broken reports put numbers where text
belongs and null where a list does. Each answers the empty value of the shape it was asked for,
so a parser reads optional fields without a type check at every step."""

from __future__ import annotations

from typing import Any


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: object) -> str:
    """A string field without surrounding white space, or "" for anything else."""
    return value.strip() if isinstance(value, str) else ""

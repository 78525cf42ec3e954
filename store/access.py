"""Roles per space (DESIGN.md rules 19-20), checked by every service whatever the entry point."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Member, Space, SpaceSettings
from store.vocabulary import ROLES

_RANK = {role: rank for rank, role in enumerate(ROLES)}


class PermissionDenied(Exception):
    """The user's role in the space does not allow the action (exit 3)."""


def role_of(session: Session, space: Space, user: str) -> str:
    """The user's role: their membership, else the space's default role."""
    role = session.scalar(
        select(Member.role).where(Member.space_id == space.id, Member.user == user)
    )
    if role is not None:
        return role
    default = session.scalar(
        select(SpaceSettings.default_role).where(SpaceSettings.space_id == space.id)
    )
    return default or "viewer"


def allows(role: str, needed: str) -> bool:
    return _RANK.get(role, -1) >= _RANK[needed]


def require(session: Session, space: Space, user: str, needed: str, action: str) -> str:
    """Raise PermissionDenied unless ``user`` has at least ``needed`` in ``space``."""
    role = role_of(session, space, user)
    if not allows(role, needed):
        raise PermissionDenied(
            f"{action} needs the {needed} role; {user} is {role} in space {space.name!r}"
        )
    return role


def is_owner_anywhere(session: Session, user: str) -> bool:
    return (
        session.scalar(
            select(Member.id).where(Member.user == user, Member.role == "owner").limit(1)
        )
        is not None
    )

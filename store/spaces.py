"""Spaces and their first owner (DESIGN.md rule 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.access import PermissionDenied, is_owner_anywhere
from store.models import Member, Space, SpaceSettings
from store.vocabulary import DEFAULT_SPACE


class SpaceNameError(ValueError):
    """A space name casedesk refuses."""


def validate_space_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise SpaceNameError("a space name is 1-200 printable characters")
    return name


def find_space(session: Session, name: str) -> Space | None:
    return session.scalars(select(Space).where(Space.name == name)).one_or_none()


def find_default_space(session: Session) -> Space | None:
    """The space a command works in without ``--space``: "default", else the oldest one."""
    return (
        find_space(session, DEFAULT_SPACE)
        or session.scalars(select(Space).order_by(Space.id).limit(1)).first()
    )


def get_or_create_space(session: Session, *, name: str, user: str, now: datetime) -> Space:
    """The space called ``name``, created if missing.

    Whoever creates a database's first space becomes its owner, so a fresh install is usable
    without any set-up. Later spaces can be created by an owner of any space (rule 19), who
    becomes the new space's owner.
    """
    name = validate_space_name(name)
    space = find_space(session, name)
    if space is not None:
        return space
    first = session.scalar(select(func.count()).select_from(Space)) == 0
    if not first and not is_owner_anywhere(session, user):
        raise PermissionDenied(f"creating space {name!r} needs the owner role in some space")
    space = Space(name=name, created_at=now, created_by=user)
    try:
        with session.begin_nested():  # another process may be creating it right now
            session.add(space)
            session.flush()
    except IntegrityError:
        existing = find_space(session, name)
        assert existing is not None, "space vanished after a unique violation"
        return existing
    session.add(SpaceSettings(space_id=space.id))
    session.add(Member(space_id=space.id, user=user, role="owner"))
    session.flush()
    return space


def lock_space(session: Session, space_id: int) -> None:
    """Serialize the writers of one space's drift and cases (PostgreSQL row lock; on SQLite
    the write transaction is already exclusive). Always taken first, so no deadlock cycle."""
    session.execute(select(Space.id).where(Space.id == space_id).with_for_update())


def require_space(session: Session, name: str) -> Space:
    """The existing space called ``name``; a one-line error when there is none."""
    space = find_space(session, validate_space_name(name))
    if space is None:
        raise SpaceNameError(f"no space called {name!r}")
    return space

"""Members and settings of a space, for the command line and the terminal app (rules 19-20)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from store.access import ROLES, require, role_of
from store.engine import read_session, write_session
from store.models import AuditEvent, Member
from store.settings import (
    CaseSettings,
    SettingError,
    change_setting,
    load_settings,
    parse_setting_text,
)
from worker.case_service import resolve_space


@dataclass(frozen=True, slots=True)
class MemberInfo:
    user: str
    role: str


class MemberError(ValueError):
    """A membership change casedesk refuses (e.g. removing the last owner)."""


class AdminService:
    """Members and settings of spaces, for one acting user."""

    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = user

    def members(self, space: str | None) -> list[MemberInfo]:
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            return [
                MemberInfo(user=m.user, role=m.role)
                for m in session.scalars(
                    select(Member).where(Member.space_id == space_row.id).order_by(Member.user)
                )
            ]

    def add_member(self, space: str | None, user: str, role: str, *, now: datetime) -> bool:
        """Add or change a member (owner only); False when nothing changed."""
        user = user.strip()
        if not user or len(user) > 200 or not user.isprintable():
            raise MemberError("a user name is 1-200 printable characters")
        if role not in ROLES:
            raise MemberError(f"role must be one of {', '.join(ROLES)}")
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "owner", "changing members")
            member = session.scalar(
                select(Member).where(Member.space_id == space_row.id, Member.user == user)
            )
            if member is not None and member.role == role:
                return False
            old = member.role if member else "none"
            if member is None:
                session.add(Member(space_id=space_row.id, user=user, role=role))
            else:
                member.role = role
            if old == "owner":
                session.flush()
                require_an_owner(session, space_row.id)
            session.add(
                AuditEvent(
                    space_id=space_row.id,
                    at=now,
                    actor=self.user,
                    action="member_changed",
                    detail=f"{user}: {old} -> {role}",
                )
            )
            return True

    def remove_member(self, space: str | None, user: str, *, now: datetime) -> None:
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            require(session, space_row, self.user, "owner", "changing members")
            member = session.scalar(
                select(Member).where(Member.space_id == space_row.id, Member.user == user)
            )
            if member is None:
                raise MemberError(f"{user!r} is not a member of space {space_row.name!r}")
            session.delete(member)
            if member.role == "owner":
                session.flush()
                require_an_owner(session, space_row.id)
            session.add(
                AuditEvent(
                    space_id=space_row.id,
                    at=now,
                    actor=self.user,
                    action="member_removed",
                    detail=f"{user} (was {member.role})",
                )
            )

    def settings(self, space: str | None) -> tuple[str, CaseSettings]:
        with read_session(self.engine) as session:
            space_row = resolve_space(session, space)
            return space_row.name, load_settings(session, space_row.id)

    def set_setting(self, space: str | None, name: str, text: str, *, now: datetime) -> bool:
        """Change one space setting (editor or owner); False when it already had that value."""
        value = parse_setting_text(name, text)
        with write_session(self.engine) as session:
            space_row = resolve_space(session, space)
            needed = "owner" if name == "default_role" else "editor"
            require(session, space_row, self.user, needed, f"changing {name}")
            return change_setting(session, space_row, name, value, actor=self.user, now=now)

    def role(self, space: str | None) -> str:
        with read_session(self.engine) as session:
            return role_of(session, resolve_space(session, space), self.user)


def require_an_owner(session, space_id: int) -> None:  # type: ignore[no-untyped-def]
    """After a membership change (flushed, not committed): the space still has an owner.

    The one check behind ``members add|remove``, ``settings import`` and the terminal app; the
    caller's transaction is rolled back by the MemberError, so nothing is applied.
    """
    owner = session.scalar(
        select(Member.id).where(Member.space_id == space_id, Member.role == "owner").limit(1)
    )
    if owner is None:
        raise MemberError("a space keeps at least one owner")


__all__ = ["AdminService", "MemberError", "MemberInfo", "SettingError", "require_an_owner"]

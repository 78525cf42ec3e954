"""A space's case settings: read, validate, change (with an audit trail)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.access import ROLES
from store.case_settings import (
    MAX_WINDOW_HOURS,
    SETTING_NAMES,
    CaseSettings,
    SettingError,
)
from store.models import AuditEvent, Space, SpaceSettings


def load_settings(session: Session, space_id: int) -> CaseSettings:
    row = session.get(SpaceSettings, space_id)
    if row is None:
        return CaseSettings()
    return CaseSettings(
        auto_create_drift_cases=row.auto_create_drift_cases,
        aggregation_window_hours=row.aggregation_window_hours,
        auto_close_cases_when_fixed=row.auto_close_cases_when_fixed,
        default_role=row.default_role,
    )


def validate_setting(name: str, value: object) -> bool | int | str:
    """Check one setting's value (already typed, e.g. from TOML); returns it."""
    if name in ("auto_create_drift_cases", "auto_close_cases_when_fixed"):
        if not isinstance(value, bool):
            raise SettingError(f"{name} must be true or false")
        return value
    if name == "aggregation_window_hours":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(f"{name} must be a whole number of hours (0 = no aggregation)")
        if not 0 <= value <= MAX_WINDOW_HOURS:
            raise SettingError(f"{name} must be between 0 and {MAX_WINDOW_HOURS}")
        return value
    if name == "default_role":
        if value not in ROLES:
            raise SettingError(f"default_role must be one of {', '.join(ROLES)}")
        return value
    raise SettingError(f"unknown setting {name!r}; known: {', '.join(SETTING_NAMES)}")


def parse_setting_text(name: str, text: str) -> bool | int | str:
    """A value typed on the command line (``true``, ``4``, ``editor``), validated."""
    if name in ("auto_create_drift_cases", "auto_close_cases_when_fixed"):
        words = {"true": True, "on": True, "yes": True, "false": False, "off": False, "no": False}
        if text.strip().lower() not in words:
            raise SettingError(f"{name} must be true or false")
        return validate_setting(name, words[text.strip().lower()])
    if name == "aggregation_window_hours":
        try:
            return validate_setting(name, int(text.strip()))
        except ValueError:
            raise SettingError(
                f"{name} must be a whole number of hours (0 = no aggregation)"
            ) from None
    return validate_setting(name, text.strip())


def change_setting(
    session: Session, space: Space, name: str, value: object, *, actor: str, now: datetime
) -> bool:
    """Set one setting (caller checked the role); returns False when it already had the value."""
    value = validate_setting(name, value)
    row = session.get(SpaceSettings, space.id)
    if row is None:
        row = SpaceSettings(space_id=space.id)
        session.add(row)
    old = getattr(row, name)
    if old == value:
        return False
    setattr(row, name, value)
    session.add(
        AuditEvent(
            space_id=space.id,
            at=now,
            actor=actor,
            action="setting_changed",
            detail=f"{name}: {old} -> {value}",
        )
    )
    session.flush()
    return True

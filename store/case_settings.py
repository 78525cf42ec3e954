"""A space's case settings as a plain value, and the names and limits that go with them.

Free of SQLAlchemy: the command line lists the setting names in its help, and the settings
screen shows the window choices, without loading the data layer (``store.settings`` reads
and writes them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: The aggregation windows offered in the app; the CLI accepts any whole number of hours.
WINDOW_CHOICES = (0, 1, 2, 4, 8, 12, 24, 48)
MAX_WINDOW_HOURS = 24 * 30


class SettingError(ValueError):
    """A setting name or value casedesk refuses; one line for a person."""


@dataclass(frozen=True, slots=True)
class CaseSettings:
    """Plain copy of a space's settings (what services and the TUI pass around)."""

    auto_create_drift_cases: bool = True
    aggregation_window_hours: int = 4
    auto_close_cases_when_fixed: bool = True
    default_role: str = "viewer"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


SETTING_NAMES = tuple(CaseSettings.__dataclass_fields__)

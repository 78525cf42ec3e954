"""Scanner report parsers: one module per format, all returning :class:`ParsedReport`.

Each format module offers ``FORMAT`` (its name on the command line), ``detect(document) -> bool``
(does this decoded document look like mine?) and ``parse(document) -> ParsedReport``.

The parsers load on first use (``parse_report``, ``FORMATS``…): the terminal app and most
commands never parse a report, and importing every parser costs start-up time.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Format names in detection order, as ``--format`` accepts them (registry.FORMATS, checked
#: equal by a test, without importing the parsers).
FORMAT_NAMES: tuple[str, ...] = ("native", "sarif", "xccdf", "trivy", "grype", "inspec", "cnspec")

_REGISTRY = ("PARSERS", "FORMATS", "detect_format", "parse_report")


def __getattr__(name: str) -> Any:
    if name in _REGISTRY:
        return getattr(import_module("integrations.scanners.registry"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

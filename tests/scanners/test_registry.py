"""The parser registry: what ``--format`` offers is what the parsers are, in detection order."""

from __future__ import annotations

import subprocess
import sys

import integrations.scanners as scanners
from integrations.scanners import registry


def test_format_names_are_the_parsers_in_detection_order():
    assert scanners.FORMAT_NAMES == registry.FORMATS
    assert tuple(parser.FORMAT for parser in registry.PARSERS) == scanners.FORMATS


def test_the_command_line_loads_no_parser_until_a_report_is_read():
    # The terminal app starts through casedesk.cli; parsers cost start-up time it never uses.
    code = (
        "import sys, casedesk.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('integrations.scanners.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "integrations.scanners.cnspec" not in loaded
    assert "integrations.scanners.registry" not in loaded

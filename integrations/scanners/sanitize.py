"""Make untrusted report text safe to store and show (DESIGN.md rule 21).

Terminal escape sequences and control characters are removed here, at the edge, so nothing
downstream (a terminal, a log, a ticket) ever receives them. Markup is *not* escaped here:
each place that renders text does that for its own markup language.
"""

from __future__ import annotations

import hashlib
import re

from integrations.scanners.records import ParsedReport, ReportError

# CSI/OSC/other ESC sequences first (so their parameters go too), then any remaining C0/C1
# control character except newline and tab.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[@-Z\\-_]?"  # other two-byte escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    # Bidi embeddings, overrides and isolates: they reorder the text around them wherever
    # it is shown ("Trojan Source"), so a title could read differently from what it says.
    r"|[\u202a-\u202e\u2066-\u2069]"
)

MAX_KEY_LENGTH = 1000
KEY_DIGEST_LENGTH = 12
MAX_TEXT_LENGTH = 100_000


def clean_text(value: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """Strip escapes and control characters; cut absurdly long text."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return _ESCAPES.sub("", value)


def clean_line(value: str, limit: int = MAX_KEY_LENGTH) -> str:
    """Like :func:`clean_text`, and also one line: for keys, names and titles."""
    return " ".join(clean_text(value, limit).split()) if value else ""


def clean_key(value: str) -> str:
    """A finding or asset key, cleaned like a line; a key too long to store is shortened
    with a digest of the whole, so two long keys that differ only at the end stay apart."""
    key = clean_line(value, limit=len(value) + 1) if value else ""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:KEY_DIGEST_LENGTH]
    return key[: MAX_KEY_LENGTH - KEY_DIGEST_LENGTH - 1] + "…" + digest


def clean_report(report: ParsedReport) -> ParsedReport:
    """Clean every text field of a parsed report in place and return it."""
    renamed: dict[str, str] = {}
    for key, finding in list(report.findings.items()):
        new_key = clean_key(key)
        if not new_key:
            raise ReportError("the report names a finding with an empty id")
        finding.key = new_key
        finding.title = clean_line(finding.title, 2000)
        finding.description = clean_text(finding.description)
        finding.remediation = clean_text(finding.remediation)
        finding.source = clean_line(finding.source)
        if new_key != key:
            renamed[key] = new_key
    if renamed:
        report.findings = {finding.key: finding for finding in report.findings.values()}
    for asset in report.assets:
        asset.key = clean_key(asset.key)
        if not asset.key:
            raise ReportError("the report names an asset with an empty id")
        asset.name = clean_line(asset.name) or asset.key
        asset.platform = clean_line(asset.platform)
        if renamed:
            results, asset.results = asset.results, {}
            for key, status in results.items():
                asset.add(renamed.get(key, key), status)
    return report

"""Build small native-format reports for rule tests: exact inputs, exact expected outputs."""

from __future__ import annotations

from typing import Any

import orjson

VULN_PREFIXES = ("CVE-", "GHSA-")


def native(
    assets: dict[str, dict[str, str]],
    *,
    scanned_at: str | None = None,
    complete: tuple[str, ...] = (),
    titles: dict[str, str] | None = None,
) -> bytes:
    """``assets``: asset key → {finding key → status}.

    Keys starting CVE-/GHSA- are vulnerabilities, the rest checks."""
    keys = sorted({key for results in assets.values() for key in results})
    document: dict[str, Any] = {
        "casedesk_report": 1,
        "findings": [
            {
                "key": key,
                "kind": "vulnerability" if key.startswith(VULN_PREFIXES) else "check",
                "title": (titles or {}).get(key, f"Title of {key}"),
                "severity": "high",
            }
            for key in keys
        ],
        "assets": [
            {"key": asset, "complete": list(complete), "results": results}
            for asset, results in assets.items()
        ],
    }
    if scanned_at is not None:
        document["scanned_at"] = scanned_at
    return orjson.dumps(document)

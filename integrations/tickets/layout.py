"""What every ticket says, before any markup: sections, labels, a title that fits.

The same `Section` list is rendered as Markdown (GitHub, GitLab), Jira wiki (Data Center) or an
Atlassian Document (Jira Cloud). :func:`fit_body` picks how much of the untrusted text and how
many assets fit the tracker's limit, so a case with 5,000 assets still makes a valid ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from integrations.scanners.sanitize import clean_line, clean_text
from integrations.tickets.base import PermanentError, TicketContent

MARKER_PATTERN = re.compile(r"casedesk-[0-9a-f]{12}")
TITLE_LIMIT = 255
# More than this many bullet points helps nobody; the count says the rest.
MAX_LISTED_ASSETS = 1000
# A first cap on each free text (description, remediation), halved until the body fits.
TEXT_CAP = 8000
ASSET_LINE_CAP = 300

Rendered = TypeVar("Rendered")


@dataclass(frozen=True)
class Section:
    """One headed part of a ticket body. Only `heading` and fact labels are our own text."""

    heading: str  # "" for the closing reference, set apart by a rule instead
    paragraphs: tuple[str, ...] = ()  # untrusted; may hold single newlines (line breaks)
    facts: tuple[tuple[str, str], ...] = ()  # (our label, untrusted value)
    items: tuple[str, ...] = ()  # untrusted bullet points
    note: str = ""  # a closing line after the items ("… and 12 more assets")


def check_marker(marker: str) -> str:
    """Return the marker if it is well formed: it goes into JQL and URLs, so nothing else may."""
    if not MARKER_PATTERN.fullmatch(marker):
        raise PermanentError(f"not a casedesk marker: {marker[:40]!r}")
    return marker


def labels(content: TicketContent) -> list[str]:
    """The labels every ticket carries: casedesk, security, the kind and the idempotency marker."""
    kind = re.sub(r"[^a-z0-9-]+", "-", content.kind.lower()).strip("-")[:50] or "finding"
    return ["casedesk", "security", kind, check_marker(content.marker)]


def one_line_title(content: TicketContent, limit: int = TITLE_LIMIT) -> str:
    """The title on one line, cut to `limit` characters with an ellipsis."""
    title = clean_line(content.title, 10_000) or f"casedesk case {content.case_id}"
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def fit_body(
    content: TicketContent,
    render: Callable[[list[Section]], Rendered],
    size: Callable[[Rendered], int],
    limit: int,
) -> Rendered:
    """Render the largest body within `limit`: shorten the free texts, then list fewer assets."""
    parts = _Parts.of(content)
    text_cap = TEXT_CAP
    while size(render(parts.sections(0, text_cap))) > limit:
        if text_cap < 50:
            raise ValueError(f"a ticket body cannot fit in {limit} characters")
        text_cap //= 2
    low, high = 0, len(parts.asset_lines)
    # Binary search: the body grows with every listed asset.
    while low < high:
        middle = (low + high + 1) // 2
        if size(render(parts.sections(middle, text_cap))) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(parts.sections(low, text_cap))


@dataclass(frozen=True)
class _Parts:
    """The cleaned pieces of a body, computed once however many sizes are tried."""

    overview: str
    description: str
    facts: tuple[tuple[str, str], ...]
    asset_lines: tuple[str, ...]  # at most MAX_LISTED_ASSETS
    total_assets: int
    remediation: str
    reference: str

    @classmethod
    def of(cls, content: TicketContent) -> _Parts:
        total = len(content.assets)
        noun = "asset" if total == 1 else "assets"
        key = clean_line(content.finding_key)
        finding = clean_line(content.finding_title) or key
        if content.kind == "vulnerability":
            overview = f"Mitigate vulnerability {key} on {total} {noun}."
            if finding != key:
                overview += f" {finding}"
        else:
            overview = f"The check “{finding}” fails on {total} {noun}."
        score = "n/a" if content.score is None else f"{content.score:g}"
        facts = (
            ("Finding", key or "n/a"),
            ("Title", clean_line(content.finding_title) or "n/a"),
            ("Source", clean_line(content.source) or "n/a"),
            ("Severity", clean_line(content.rating).upper() or "NONE"),
            ("Score", score),
        )
        lines = []
        for asset in content.assets[:MAX_LISTED_ASSETS]:
            name = clean_line(asset.name, ASSET_LINE_CAP) or "(unnamed asset)"
            platform = clean_line(asset.platform, ASSET_LINE_CAP)
            lines.append(f"{name} ({platform})" if platform else name)
        return cls(
            overview,
            _clean_block(content.description),
            facts,
            tuple(lines),
            total,
            _clean_block(content.remediation),
            f"casedesk case {content.case_id} · {check_marker(content.marker)}",
        )

    def sections(self, shown: int, text_cap: int) -> list[Section]:
        hidden = self.total_assets - shown
        note = f"… and {hidden} more {'asset' if hidden == 1 else 'assets'}" if hidden else ""
        sections = [
            Section("Overview", (self.overview, *_paragraphs(self.description, text_cap))),
            Section("Details", facts=self.facts),
            Section("Assets", items=self.asset_lines[:shown], note=note),
        ]
        if self.remediation:
            sections.append(Section("Remediation", _paragraphs(self.remediation, text_cap)))
        sections.append(Section("", (self.reference,)))
        return sections


def _clean_block(text: str) -> str:
    """Free text without escapes or control characters, tabs as spaces, trimmed."""
    return clean_text(text or "").replace("\t", "    ").strip()


def _paragraphs(text: str, cap: int) -> tuple[str, ...]:
    """Split cleaned text into paragraphs at blank lines, after cutting it to `cap` characters."""
    if len(text) > cap:
        text = text[:cap].rstrip() + " … (shortened)"
    blocks = re.split(r"\n\s*\n", text)
    paragraphs = ("\n".join(line.strip() for line in block.splitlines()) for block in blocks)
    return tuple(paragraph for paragraph in paragraphs if paragraph)

"""The contract every ticket system implements, and the errors it may raise.

Clients are pure: no database, no UI. The outbox worker calls them and decides from the error
class alone whether to retry (RetryableError), give up (PermanentError) or reconcile by marker
before trying again (OutcomeUnknownError).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class TicketAsset:
    """One affected asset as listed in a ticket."""

    name: str
    platform: str = ""


@dataclass(frozen=True)
class TicketContent:
    """Everything a ticket says. All texts are UNTRUSTED report text and must be escaped."""

    case_id: int
    marker: str  # "casedesk-" + 12 lowercase hex, deterministic per case
    title: str  # e.g. "[HIGH] Ensure SSH root login is disabled on 3 assets"
    kind: str  # "check" | "vulnerability"
    rating: str  # critical|high|medium|low|none
    finding_key: str
    finding_title: str
    source: str
    score: float | None
    description: str
    remediation: str
    assets: tuple[TicketAsset, ...]  # may be 5,000 long: truncate with "… and N more assets"


@dataclass(frozen=True)
class TicketRef:
    """Where a ticket lives: "SEC-12" / "42" (issue number or iid) / a message-id, and a URL."""

    key: str
    url: str


class TicketError(Exception):
    """A ticket operation failed. `message` is one line a person can act on; never a token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class RetryableError(TicketError):
    """429/5xx/connection errors. `retry_after` is seconds to wait if the server said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retry_after={self.retry_after!r})"


class PermanentError(TicketError):
    """400/401/403/404/422: do not retry; the message carries the tracker's own words."""


class OutcomeUnknownError(RetryableError):
    """The request was sent but no answer came: reconcile by marker (find) before retrying."""


@runtime_checkable
class TicketSystem(Protocol):
    """One ticket system. `destination` is a project key / "owner/repo" / project id / address."""

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Open one ticket for the case and return where it lives."""
        ...

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """Idempotency: search the destination for a ticket carrying the marker."""
        ...

    def close(self, destination: str, ref: TicketRef) -> None:
        """Close (resolve) the ticket. Never called for e-mail."""
        ...

    def test(self, destination: str) -> None:
        """Check credentials and destination; raise TicketError with one actionable line."""
        ...

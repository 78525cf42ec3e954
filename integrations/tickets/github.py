"""GitHub Issues, on github.com or GitHub Enterprise Server (`https://HOST/api/v3`).

A ticket is found again by its marker label (the issues list is consistent at once; the search
API lags) and closed as completed (REFERENCE.md, GitHub).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from integrations.tickets.base import OutcomeUnknownError, PermanentError, TicketContent, TicketRef
from integrations.tickets.checks import github_repository as _repository
from integrations.tickets.http import Api, Tracker, make_client
from integrations.tickets.layout import check_marker, fit_body, labels, one_line_title
from integrations.tickets.markup import render_markdown

GITHUB_API = "https://api.github.com"
TITLE_LIMIT = 255
BODY_LIMIT = 65_536
# GitHub asks for at least a minute when a secondary rate limit names no time.
RATE_LIMIT_WAIT = 60.0


def github_api_url(url: str | None) -> str:
    """The REST root for a configured URL: api.github.com, or `https://HOST/api/v3`."""
    if not url:
        return GITHUB_API
    url = url.rstrip("/")
    if urlsplit(url).netloc.lower() in ("github.com", "www.github.com", "api.github.com"):
        return GITHUB_API
    return url if url.endswith("/api/v3") else f"{url}/api/v3"


def _github_words(body: Any) -> str:
    """GitHub's `message` and its validation `errors` ("body is too long (maximum is …)")."""
    if not isinstance(body, dict):
        return ""
    parts = [str(body["message"])] if body.get("message") else []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            detail = error.get("message") or f"{error.get('field', '')} {error.get('code', '')}"
            parts.append(str(detail).strip())
        else:
            parts.append(str(error))
    return ": ".join(parts[:1]) + "".join(f"; {part}" for part in parts[1:])


class GitHub:
    """A TicketSystem for GitHub Issues; `api_url` is the REST root (see :func:`github_api_url`)."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = GITHUB_API,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = Api(
            Tracker(
                "GitHub",
                _github_words,
                "check the token and that it has not expired",
                rate_limit_wait=RATE_LIMIT_WAIT,
            ),
            api_url,
            client or make_client(),
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "casedesk",
            },
            (token,),
            clock,
        )

    def __repr__(self) -> str:
        return f"GitHub({self._api.base_url!r})"

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Open one issue with the marker label; body ≤ 65,536 characters."""
        repository = _repository(destination)
        issue = {
            "title": one_line_title(content, TITLE_LIMIT),
            "body": fit_body(content, render_markdown, len, BODY_LIMIT),
            "labels": labels(content),
        }
        doing = f"creating an issue in {repository}"
        created = self._api.call("POST", f"/repos/{repository}/issues", json=issue, doing=doing)
        if not isinstance(created, dict) or "number" not in created:
            raise OutcomeUnknownError(f"GitHub answered without an issue number while {doing}")
        return _ref(created)

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """The oldest issue (not pull request) of the repository carrying the marker label."""
        repository = _repository(destination)
        found = self._api.call(
            "GET",
            f"/repos/{repository}/issues",
            params={
                "labels": check_marker(marker),
                "state": "all",
                "sort": "created",
                "direction": "asc",
                "per_page": 100,
            },
            doing=f"searching {repository} for {marker}",
        )
        # The issues list also holds pull requests, which carry a "pull_request" key.
        issues = [item for item in found or [] if "pull_request" not in item]
        return _ref(issues[0]) if issues else None

    def close(self, destination: str, ref: TicketRef) -> None:
        """Close the issue as completed (repeating it is harmless)."""
        repository = _repository(destination)
        self._api.call(
            "PATCH",
            f"/repos/{repository}/issues/{_number(ref)}",
            json={"state": "closed", "state_reason": "completed"},
            doing=f"closing {repository}#{ref.key}",
        )

    def test(self, destination: str) -> None:
        """Check the token, the repository, that it takes issues and that labels will stick."""
        repository = _repository(destination)
        self._api.call("GET", "/user", doing="checking the token")
        repo = self._api.call(
            "GET",
            f"/repos/{repository}",
            doing=f"checking repository {repository}",
            not_found=f"repository {repository} does not exist or this token cannot see it",
        )
        repo = repo if isinstance(repo, dict) else {}
        if repo.get("has_issues") is False:
            raise PermanentError(f"GitHub repository {repository} has issues turned off")
        if repo.get("archived") is True:
            raise PermanentError(f"GitHub repository {repository} is archived (read-only)")
        permissions = repo.get("permissions")
        # GitHub silently drops labels set by users without push access, and casedesk finds its
        # tickets again by label: without push, every retry would open another issue.
        if isinstance(permissions, dict) and not permissions.get("push"):
            raise PermanentError(
                f"GitHub token may not label issues in {repository}: it needs write (push) access"
            )


def _ref(issue: dict[str, Any]) -> TicketRef:
    return TicketRef(str(issue["number"]), str(issue.get("html_url", "")))


def _number(ref: TicketRef) -> int:
    if not ref.key.isdigit():
        raise PermanentError(f"GitHub issue key must be a number, not {ref.key!r}")
    return int(ref.key)

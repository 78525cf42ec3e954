"""GitLab Issues, on gitlab.com or a self-managed instance (REST API v4).

A project is named by its numeric id or its path (`group/sub/project`, sent URL-encoded). A
ticket is found again by its marker label and closed with `state_event=close`
(REFERENCE.md, GitLab).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from integrations.tickets.base import OutcomeUnknownError, PermanentError, TicketContent, TicketRef
from integrations.tickets.checks import gitlab_project
from integrations.tickets.http import Api, Tracker, make_client
from integrations.tickets.layout import check_marker, fit_body, labels, one_line_title
from integrations.tickets.markup import render_markdown

GITLAB_URL = "https://gitlab.com"
TITLE_LIMIT = 255
DESCRIPTION_LIMIT = 1_048_576
# Guests may open issues but GitLab drops the labels they set; Reporter (20) keeps them.
REPORTER = 20


def _gitlab_words(body: Any) -> str:
    """GitLab's `message` (a text, or per-field lists) or OAuth-style `error_description`."""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    if isinstance(message, dict):
        return "; ".join(
            f"{name} {' '.join(map(str, problems)) if isinstance(problems, list) else problems}"
            for name, problems in message.items()
        )
    if message:
        return str(message)
    return str(body.get("error_description") or body.get("error") or "")


class GitLab:
    """A TicketSystem for GitLab Issues; `base_url` is the instance (default gitlab.com)."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = GITLAB_URL,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = Api(
            Tracker("GitLab", _gitlab_words, "check the token, its expiry and its api scope"),
            f"{base_url.rstrip('/')}/api/v4",
            client or make_client(),
            {"PRIVATE-TOKEN": token, "Accept": "application/json"},
            (token,),
            clock,
        )

    def __repr__(self) -> str:
        return f"GitLab({self._api.base_url!r})"

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Open one issue with the marker label; title ≤ 255 characters."""
        project = _project_id(destination)
        issue = {
            "title": one_line_title(content, TITLE_LIMIT),
            "description": fit_body(content, render_markdown, len, DESCRIPTION_LIMIT),
            "labels": ",".join(labels(content)),
        }
        doing = f"creating an issue in {destination}"
        created = self._api.call("POST", f"/projects/{project}/issues", json=issue, doing=doing)
        if not isinstance(created, dict) or "iid" not in created:
            raise OutcomeUnknownError(f"GitLab answered without an issue iid while {doing}")
        return _ref(created)

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """The oldest issue of the project carrying the marker label, if any."""
        project = _project_id(destination)
        found = self._api.call(
            "GET",
            f"/projects/{project}/issues",
            params={
                "labels": check_marker(marker),
                "state": "all",
                "order_by": "created_at",
                "sort": "asc",
                "per_page": 1,
            },
            doing=f"searching {destination} for {marker}",
        )
        return _ref(found[0]) if found else None

    def close(self, destination: str, ref: TicketRef) -> None:
        """Close the issue (closing a closed issue changes nothing)."""
        project = _project_id(destination)
        self._api.call(
            "PUT",
            f"/projects/{project}/issues/{_number(ref)}",
            json={"state_event": "close"},
            doing=f"closing {destination}#{ref.key}",
        )

    def test(self, destination: str) -> None:
        """Check the token, the project, that it takes issues and that labels will stick."""
        project = _project_id(destination)
        user = self._api.call("GET", "/user", doing="checking the token")
        found = self._api.call(
            "GET",
            f"/projects/{project}",
            doing=f"checking project {destination}",
            not_found=f"project {destination} does not exist or this token cannot see it",
        )
        found = found if isinstance(found, dict) else {}
        name = found.get("path_with_namespace") or destination
        if found.get("issues_enabled") is False:
            raise PermanentError(f"GitLab project {name} has issues turned off")
        if found.get("archived") is True:
            raise PermanentError(f"GitLab project {name} is archived (read-only)")
        permissions = found.get("permissions")
        if isinstance(permissions, dict) and not (isinstance(user, dict) and user.get("is_admin")):
            levels = [
                (permissions.get(scope) or {}).get("access_level") or 0
                for scope in ("project_access", "group_access")
            ]
            if max(levels) < REPORTER:
                raise PermanentError(
                    f"GitLab user may not label issues in {name}: it needs the Reporter "
                    "role or higher"
                )


def _project_id(destination: str) -> str:
    """A numeric id as is; a path URL-encoded as one segment (group%2Fproject)."""
    project = gitlab_project(destination)
    if project.isdigit() or "%2f" in project.lower():
        return project
    return quote(project, safe="")


def _ref(issue: dict[str, Any]) -> TicketRef:
    return TicketRef(str(issue["iid"]), str(issue.get("web_url", "")))


def _number(ref: TicketRef) -> int:
    if not ref.key.isdigit():
        raise PermanentError(f"GitLab issue key must be a number, not {ref.key!r}")
    return int(ref.key)

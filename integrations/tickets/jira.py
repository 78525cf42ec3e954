"""Jira Cloud (REST API v3, Atlassian Document bodies) and Jira Data Center (v2, wiki markup).

Cloud signs in with Basic `email:api_token`, Data Center with a Bearer personal access token.
A ticket is found again by its marker label through JQL; it is closed by the transition that
leads to a status in the "done" category (REFERENCE.md, Jira).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

from integrations.tickets.adf import adf_size, render_adf
from integrations.tickets.base import (
    OutcomeUnknownError,
    PermanentError,
    TicketContent,
    TicketRef,
)
from integrations.tickets.checks import jira_account, jira_project_key
from integrations.tickets.http import Api, Tracker, make_client
from integrations.tickets.layout import check_marker, fit_body, labels, one_line_title
from integrations.tickets.markup import render_jira_wiki

SUMMARY_LIMIT = 255
DESCRIPTION_LIMIT = 32_767
# Resolutions to prefer when a done transition asks for one, in order.
_RESOLUTIONS = ("done", "fixed", "resolved")


def _jira_words(body: Any) -> str:
    """Jira's `errorMessages` and per-field `errors`, e.g. "customfield_10010: Team is required"."""
    if not isinstance(body, dict):
        return ""
    parts = [str(message) for message in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts.extend(f"{name}: {message}" for name, message in errors.items())
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts)


@dataclass(frozen=True)
class JiraConfig:
    """One Jira integration's settings (the token is passed separately, never stored here)."""

    base_url: str  # https://example.atlassian.net, or a Data Center URL with its context path
    flavor: Literal["cloud", "datacenter"] = "cloud"
    email: str = ""  # Cloud only: the account the API token belongs to
    project: str = ""  # default project key when a call names no destination
    issue_type: str = "Task"  # a name, or an id when all digits
    # Static values for fields a project requires, e.g. {"customfield_10010": {"id": "42"}}.
    extra_fields: Mapping[str, Any] = field(default_factory=dict)
    close_transition: str = ""  # a transition id or name; default: the first to a done status

    def __post_init__(self) -> None:
        jira_account(self.flavor, self.email)


class Jira:
    """A TicketSystem for Jira Cloud and Jira Data Center."""

    def __init__(
        self,
        config: JiraConfig,
        token: str,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        cloud = config.flavor == "cloud"
        if cloud:
            basic = base64.b64encode(f"{config.email}:{token}".encode()).decode()
            authorization, secrets = f"Basic {basic}", (token, basic)
            hint = "check the e-mail address and the API token"
        else:
            authorization, secrets = f"Bearer {token}", (token,)
            hint = "check the personal access token"
        self._api = Api(
            Tracker("Jira", _jira_words, hint),
            f"{self.base_url}/rest/api/{'3' if cloud else '2'}",
            client or make_client(),
            {"Authorization": authorization, "Accept": "application/json"},
            secrets,
            clock,
        )

    def __repr__(self) -> str:
        return f"Jira({self.base_url!r}, flavor={self.config.flavor!r})"

    @property
    def cloud(self) -> bool:
        return self.config.flavor == "cloud"

    def create(self, destination: str, content: TicketContent) -> TicketRef:
        """Create one issue: summary ≤ 255, description ≤ 32,767 characters, marker label."""
        project = self._project(destination)
        if self.cloud:
            description: Any = fit_body(content, render_adf, adf_size, DESCRIPTION_LIMIT)
        else:
            description = fit_body(content, render_jira_wiki, len, DESCRIPTION_LIMIT)
        extra = dict(self.config.extra_fields)
        fields = {
            **extra,
            "project": {"key": project},
            "issuetype": _issue_type(self.config.issue_type),
            "summary": one_line_title(content, SUMMARY_LIMIT),
            "description": description,
            "labels": [*extra.get("labels", []), *labels(content)],
        }
        doing = f"creating an issue in {project}"
        created = self._api.call("POST", "/issue", json={"fields": fields}, doing=doing)
        key = created.get("key") if isinstance(created, dict) else None
        if not key:
            raise OutcomeUnknownError(f"Jira answered without an issue key while {doing}")
        return self._ref(str(key))

    def find(self, destination: str, marker: str) -> TicketRef | None:
        """The oldest issue of the project carrying the marker label, if any."""
        project = self._project(destination)
        jql = (
            f"project = {_jql_string(project)} AND labels = {_jql_string(check_marker(marker))} "
            "ORDER BY created ASC"
        )
        query = {"jql": jql, "maxResults": 1, "fields": ["summary"]}
        # Cloud retired /search (it answers 410); Data Center has only /search.
        path = "/search/jql" if self.cloud else "/search"
        # A search is read-only, even sent as a POST.
        found = self._api.call(
            "POST", path, json=query, doing=f"searching {project} for {marker}", repeatable=True
        )
        issues = found.get("issues") if isinstance(found, dict) else None
        if not issues:
            return None
        return self._ref(str(issues[0]["key"]))

    def close(self, destination: str, ref: TicketRef) -> None:
        """Move the issue to a done status; do nothing when it is already done."""
        issue = f"/issue/{quote(ref.key, safe='')}"
        doing = f"closing {ref.key}"
        current = self._api.call("GET", issue, params={"fields": "status"}, doing=doing) or {}
        if _status_category((current.get("fields") or {}).get("status")) == "done":
            return
        available = (
            self._api.call(
                "GET", f"{issue}/transitions", params={"expand": "transitions.fields"}, doing=doing
            )
            or {}
        )
        transition = self._done_transition(ref.key, available.get("transitions") or [])
        body: dict[str, Any] = {"transition": {"id": str(transition["id"])}}
        # Only a transition whose screen has the resolution field accepts one.
        resolution = (transition.get("fields") or {}).get("resolution")
        if resolution is not None:
            body["fields"] = {"resolution": _pick_resolution(resolution)}
        # Repeatable: a second close() sees the done status above and stops there.
        self._api.call("POST", f"{issue}/transitions", json=body, doing=doing, repeatable=True)

    def test(self, destination: str) -> None:
        """Check the credentials, the project and that the issue type can be created in it."""
        project = self._project(destination)
        self._api.call("GET", "/myself", doing="checking the credentials")
        # Create metadata answers only for issue types this user may create in the project, so
        # one call proves the project exists, is visible and accepts the configured issue type.
        meta = self._api.call(
            "GET",
            f"/issue/createmeta/{quote(project, safe='')}/issuetypes",
            params={"maxResults": 200},
            doing=f"checking project {project}",
            not_found=f"project {project} does not exist or this user cannot see it",
        )
        meta = meta if isinstance(meta, dict) else {}
        types = meta.get("issueTypes") or meta.get("values") or []
        if not types:
            raise PermanentError(f"Jira user may not create issues in project {project}")
        wanted = self.config.issue_type.casefold()
        if not any(wanted in (str(t.get("name", "")).casefold(), str(t.get("id"))) for t in types):
            names = ", ".join(sorted(str(t.get("name")) for t in types))
            raise PermanentError(
                f"Jira project {project} has no issue type {self.config.issue_type!r} this user "
                f"can create (available: {names})"
            )

    def _project(self, destination: str) -> str:
        return jira_project_key(destination or self.config.project)

    def _ref(self, key: str) -> TicketRef:
        return TicketRef(key, f"{self.base_url}/browse/{key}")

    def _done_transition(self, key: str, transitions: list[dict[str, Any]]) -> dict[str, Any]:
        wanted = self.config.close_transition.casefold()
        for transition in transitions:
            if wanted:
                names = (str(transition.get("id")), str(transition.get("name", "")).casefold())
                matches = wanted in names
            else:
                matches = _status_category(transition.get("to")) == "done"
            if matches:
                return transition
        if wanted:
            raise PermanentError(
                f"Jira issue {key} has no transition {self.config.close_transition!r} from its "
                "current status; check the close transition setting"
            )
        raise PermanentError(
            f"Jira issue {key} has no transition to a done status from its current status; "
            "close it by hand or add a Done transition to its workflow"
        )


def _issue_type(issue_type: str) -> dict[str, str]:
    return {"id": issue_type} if issue_type.isdigit() else {"name": issue_type}


def _status_category(status: Any) -> str:
    if not isinstance(status, dict):
        return ""
    return str((status.get("statusCategory") or {}).get("key", ""))


def _pick_resolution(field_meta: dict[str, Any]) -> dict[str, str]:
    """A resolution the screen allows, preferring Done/Fixed/Resolved over Won't Do."""
    allowed = [value for value in field_meta.get("allowedValues") or [] if isinstance(value, dict)]
    for name in _RESOLUTIONS:
        for value in allowed:
            if str(value.get("name", "")).casefold() == name and value.get("id"):
                return {"id": str(value["id"])}
    if allowed and allowed[0].get("id"):
        return {"id": str(allowed[0]["id"])}
    return {"name": "Done"}


def _jql_string(value: str) -> str:
    """A JQL string literal: quoted, with quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

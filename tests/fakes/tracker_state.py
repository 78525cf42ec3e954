"""What the fake trackers hold: destinations, issues, and the requests they were sent.

Kept apart from the server (:mod:`tests.fakes.trackers`) so the per-tracker route modules can
work on it without importing the server.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

TOKEN = "fake-token-0123456789abcdef"
JIRA_EMAIL = "bot@example.com"

JiraWorkflow = Literal["done", "resolution", "no-done"]
System = Literal["jira", "github", "gitlab"]


@dataclass
class Issue:
    """One issue the fake holds."""

    system: System
    destination: str  # Jira project key, GitHub "owner/repo", GitLab project path
    key: str  # "SEC-1", or the GitHub number / GitLab iid as text
    title: str
    body: Any  # ADF document (Jira v3), wiki text (Jira v2) or Markdown
    labels: list[str]
    closed: bool = False
    resolution: Any = None
    state_reason: str = ""
    pull_request: bool = False
    fields: dict[str, Any] = field(default_factory=dict)  # Jira: every field as sent


@dataclass
class Request:
    """One request as received (the path still URL-encoded)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    """One JSON answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class JiraProject:
    key: str
    workflow: JiraWorkflow = "done"  # "resolution": Done asks for one; "no-done": no Done at all
    issue_types: tuple[str, ...] = ("Task", "Bug")
    required_fields: tuple[str, ...] = ()  # e.g. ("customfield_10010",)


@dataclass
class GitHubRepo:
    full_name: str
    push: bool = True  # without it GitHub silently drops the labels of a new issue
    has_issues: bool = True


@dataclass
class GitLabProject:
    id: int
    path: str
    access_level: int = 30  # Developer; below Reporter (20) GitLab drops labels
    issues_enabled: bool = True


class TrackerState:
    """Destinations, issues and requests; every change happens under `lock`."""

    def __init__(self, *, token: str = TOKEN, jira_email: str = JIRA_EMAIL) -> None:
        self.token = token
        self.jira_email = jira_email
        self.base_url = ""  # set by the server once it listens
        self.issues: list[Issue] = []
        self.requests: list[Request] = []
        self.jira_projects: dict[str, JiraProject] = {}
        self.github_repos: dict[str, GitHubRepo] = {}
        self.gitlab_projects: dict[int, GitLabProject] = {}
        self.lock = threading.RLock()

    def add_jira_project(
        self,
        key: str,
        *,
        workflow: JiraWorkflow = "done",
        issue_types: tuple[str, ...] = ("Task", "Bug"),
        required_fields: tuple[str, ...] = (),
    ) -> None:
        self.jira_projects[key] = JiraProject(key, workflow, issue_types, required_fields)

    def add_github_repo(
        self, full_name: str, *, push: bool = True, has_issues: bool = True
    ) -> None:
        self.github_repos[full_name] = GitHubRepo(full_name, push, has_issues)

    def add_gitlab_project(
        self, project_id: int, path: str, *, access_level: int = 30, issues_enabled: bool = True
    ) -> None:
        self.gitlab_projects[project_id] = GitLabProject(
            project_id, path, access_level, issues_enabled
        )

    def add_github_pull_request(self, repo: str, labels: list[str]) -> None:
        """A pull request: GitHub's issues list returns those too."""
        with self.lock:
            number = self.next_number("github", repo)
            self.issues.append(
                Issue("github", repo, str(number), "a PR", "", labels, pull_request=True)
            )

    def issues_in(self, system: System, destination: str) -> list[Issue]:
        """The issues (not pull requests) held for one destination, oldest first."""
        with self.lock:
            return [
                issue
                for issue in self.issues
                if issue.system == system
                and issue.destination == destination
                and not issue.pull_request
            ]

    def next_number(self, system: System, destination: str) -> int:
        """The next issue number in a destination (GitHub counts pull requests too)."""
        return 1 + sum(
            1
            for issue in self.issues
            if issue.system == system and issue.destination == destination
        )

    def authorized(self, request: Request) -> bool:
        """Whether the request carries this system's form of the token."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        authorization = headers.get("authorization", "")
        if request.path.startswith("/api/v4/"):
            return headers.get("private-token") == self.token
        basic = base64.b64encode(f"{self.jira_email}:{self.token}".encode()).decode()
        if request.path.startswith("/rest/api/3/"):  # Cloud: Basic e-mail:API token only
            return authorization == f"Basic {basic}"
        if request.path.startswith("/rest/api/2/"):  # Data Center: a PAT, or Basic
            return authorization in (f"Bearer {self.token}", f"Basic {basic}")
        return authorization in (f"Bearer {self.token}", f"token {self.token}")  # GitHub


def path_segments(path: str) -> list[str]:
    """Path segments, each URL-decoded on its own (so "acme%2Fapp" stays one segment)."""
    return [unquote(segment) for segment in path.strip("/").split("/")]

"""The fake's GitHub: REST at the root (like api.github.com) and under /api/v3 (Enterprise).

Answers the way GitHub does where casedesk depends on it: 422 "Validation Failed" naming the
field, the 65,536-character body and 50-character label limits, labels silently dropped for
users without push access, and pull requests mixed into the issues list.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.tracker_state import Issue, Reply, Request, TrackerState, path_segments

TITLE_LIMIT = 256
BODY_LIMIT = 65_536
LABEL_LIMIT = 50
_DOCS = "https://docs.github.com/rest"


def answer_github(state: TrackerState, request: Request) -> Reply:
    """Route one GitHub REST request."""
    segments = path_segments(request.path)
    if segments[:2] == ["api", "v3"]:
        segments = segments[2:]
    match request.method, segments:
        case "GET", ["user"]:
            return Reply(200, {"login": "casedesk-bot", "id": 1, "type": "User"})
        case "GET", ["repos", owner, name]:
            return _repository(state, f"{owner}/{name}")
        case "POST", ["repos", owner, name, "issues"]:
            return _create(state, f"{owner}/{name}", request.body)
        case "GET", ["repos", owner, name, "issues"]:
            return _list(state, f"{owner}/{name}", request.query)
        case "PATCH", ["repos", owner, name, "issues", number]:
            return _update(state, f"{owner}/{name}", number, request.body)
    return _not_found()


def _not_found() -> Reply:
    return Reply(404, {"message": "Not Found", "documentation_url": _DOCS, "status": "404"})


def _invalid(field: str, message: str, resource: str = "Issue") -> Reply:
    error = {"resource": resource, "code": "custom", "field": field, "message": message}
    return Reply(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": _DOCS}
    )


def _repository(state: TrackerState, full_name: str) -> Reply:
    repo = state.github_repos.get(full_name)
    if repo is None:
        return _not_found()
    permissions = {
        "admin": False,
        "maintain": False,
        "push": repo.push,
        "triage": repo.push,
        "pull": True,
    }
    return Reply(
        200,
        {
            "full_name": full_name,
            "has_issues": repo.has_issues,
            "archived": False,
            "permissions": permissions,
        },
    )


def _json(state: TrackerState, issue: Issue) -> dict[str, Any]:
    number = int(issue.key)
    body: dict[str, Any] = {
        "number": number,
        "html_url": f"{state.base_url}/{issue.destination}/issues/{number}",
        "title": issue.title,
        "body": issue.body,
        "state": "closed" if issue.closed else "open",
        "state_reason": issue.state_reason or None,
        "labels": [{"name": label} for label in issue.labels],
    }
    if issue.pull_request:
        body["pull_request"] = {"url": f"{state.base_url}/{issue.destination}/pull/{number}"}
    return body


def _create(state: TrackerState, full_name: str, body: Any) -> Reply:
    repo = state.github_repos.get(full_name)
    if repo is None:
        return _not_found()
    if not repo.has_issues:
        return Reply(
            410, {"message": "Issues are disabled for this repo", "documentation_url": _DOCS}
        )
    body = body or {}
    title, text, labels = body.get("title"), body.get("body") or "", body.get("labels") or []
    if not isinstance(title, str) or not title.strip():
        return _invalid("title", "title wasn't supplied")
    if len(title) > TITLE_LIMIT:
        return _invalid("title", f"title is too long (maximum is {TITLE_LIMIT} characters)")
    if len(text) > BODY_LIMIT:
        return _invalid("body", f"body is too long (maximum is {BODY_LIMIT} characters)")
    for label in labels:
        if len(label) > LABEL_LIMIT:
            return _invalid(
                "name", f"name is too long (maximum is {LABEL_LIMIT} characters)", "Label"
            )
    number = state.next_number("github", full_name)
    # GitHub drops the labels of users without push access, without a word.
    issue = Issue("github", full_name, str(number), title, text, list(labels) if repo.push else [])
    state.issues.append(issue)
    return Reply(201, _json(state, issue))


def _list(state: TrackerState, full_name: str, query: dict[str, list[str]]) -> Reply:
    if full_name not in state.github_repos:
        return _not_found()
    wanted = {label for value in query.get("labels", []) for label in value.split(",") if label}
    state_filter = (query.get("state") or ["open"])[0]
    found = [
        issue
        for issue in state.issues
        if issue.system == "github"
        and issue.destination == full_name
        and wanted <= set(issue.labels)
        and (state_filter == "all" or (state_filter == "closed") == issue.closed)
    ]
    if (query.get("direction") or ["desc"])[0] == "desc":
        found.reverse()
    per_page = int((query.get("per_page") or ["30"])[0])
    return Reply(200, [_json(state, issue) for issue in found[:per_page]])


def _update(state: TrackerState, full_name: str, number: str, body: Any) -> Reply:
    issue = next(
        (
            i
            for i in state.issues
            if i.system == "github" and i.destination == full_name and i.key == number
        ),
        None,
    )
    if issue is None:
        return _not_found()
    body = body or {}
    if body.get("state") not in (None, "open", "closed"):
        return _invalid("state", "state is not included in the list")
    if body.get("state") == "closed":
        issue.closed = True
        issue.state_reason = body.get("state_reason") or "completed"
    return Reply(200, _json(state, issue))

"""The fake's GitLab: REST API v4, projects by numeric id or URL-encoded path.

Answers the way GitLab does where casedesk depends on it: 400 with per-field `message` lists,
the 255-character title limit, labels as a comma list (dropped for Guests), `state=all`.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.tracker_state import (
    GitLabProject,
    Issue,
    Reply,
    Request,
    TrackerState,
    path_segments,
)

TITLE_LIMIT = 255
DESCRIPTION_LIMIT = 1_048_576
REPORTER = 20


def answer_gitlab(state: TrackerState, request: Request) -> Reply:
    """Route one /api/v4 request."""
    match request.method, path_segments(request.path)[2:]:
        case "GET", ["user"]:
            return Reply(200, {"id": 1, "username": "casedesk-bot", "is_admin": False})
        case "GET", ["projects", project_id]:
            return _project_reply(state, project_id)
        case "POST", ["projects", project_id, "issues"]:
            return _create(state, project_id, request.body)
        case "GET", ["projects", project_id, "issues"]:
            return _list(state, project_id, request.query)
        case "PUT", ["projects", project_id, "issues", iid]:
            return _update(state, project_id, iid, request.body)
    return Reply(404, {"error": "404 Not Found"})


def _project(state: TrackerState, project_id: str) -> GitLabProject | None:
    if project_id.isdigit():
        return state.gitlab_projects.get(int(project_id))
    return next((p for p in state.gitlab_projects.values() if p.path == project_id), None)


def _project_not_found() -> Reply:
    return Reply(404, {"message": "404 Project Not Found"})


def _project_reply(state: TrackerState, project_id: str) -> Reply:
    project = _project(state, project_id)
    if project is None:
        return _project_not_found()
    return Reply(
        200,
        {
            "id": project.id,
            "path_with_namespace": project.path,
            "issues_enabled": project.issues_enabled,
            "archived": False,
            "web_url": f"{state.base_url}/{project.path}",
            "permissions": {
                "project_access": {"access_level": project.access_level},
                "group_access": None,
            },
        },
    )


def _json(state: TrackerState, project: GitLabProject, issue: Issue) -> dict[str, Any]:
    return {
        "iid": int(issue.key),
        "project_id": project.id,
        "title": issue.title,
        "description": issue.body,
        "state": "closed" if issue.closed else "opened",
        "labels": issue.labels,
        "web_url": f"{state.base_url}/{project.path}/-/issues/{issue.key}",
    }


def _create(state: TrackerState, project_id: str, body: Any) -> Reply:
    project = _project(state, project_id)
    if project is None:
        return _project_not_found()
    body = body or {}
    title = body.get("title")
    if not isinstance(title, str) or not title:
        return Reply(400, {"error": "title is missing"})
    if len(title) > TITLE_LIMIT:
        return Reply(
            400, {"message": {"title": [f"is too long (maximum is {TITLE_LIMIT} characters)"]}}
        )
    description = body.get("description") or ""
    if len(description) > DESCRIPTION_LIMIT:
        return Reply(
            400,
            {
                "message": {
                    "description": [f"is too long (maximum is {DESCRIPTION_LIMIT} characters)"]
                }
            },
        )
    labels = body.get("labels") or []
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    # Guests may open issues, but GitLab ignores the labels they set.
    kept = labels if project.access_level >= REPORTER else []
    iid = state.next_number("gitlab", project.path)
    issue = Issue("gitlab", project.path, str(iid), title, description, kept)
    state.issues.append(issue)
    return Reply(201, _json(state, project, issue))


def _list(state: TrackerState, project_id: str, query: dict[str, list[str]]) -> Reply:
    project = _project(state, project_id)
    if project is None:
        return _project_not_found()
    wanted = {label for value in query.get("labels", []) for label in value.split(",") if label}
    state_filter = (query.get("state") or ["all"])[0]
    found = [
        issue
        for issue in state.issues_in("gitlab", project.path)
        if wanted <= set(issue.labels)
        and (state_filter == "all" or (state_filter == "closed") == issue.closed)
    ]
    if (query.get("sort") or ["desc"])[0] == "desc":
        found.reverse()
    per_page = int((query.get("per_page") or ["20"])[0])
    return Reply(200, [_json(state, project, issue) for issue in found[:per_page]])


def _update(state: TrackerState, project_id: str, iid: str, body: Any) -> Reply:
    project = _project(state, project_id)
    if project is None:
        return _project_not_found()
    issue = next((i for i in state.issues_in("gitlab", project.path) if i.key == iid), None)
    if issue is None:
        return Reply(404, {"message": "404 Issue Not Found"})
    event = (body or {}).get("state_event")
    if event not in (None, "close", "reopen"):
        return Reply(400, {"error": "state_event does not have a valid value"})
    if event:
        issue.closed = event == "close"
    return Reply(200, _json(state, project, issue))

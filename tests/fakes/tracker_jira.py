"""The fake's Jira: Cloud (`/rest/api/3`, ADF descriptions) and Data Center (`/rest/api/2`, wiki).

Answers the way Jira does where casedesk depends on it: 400 with `errorMessages`/`errors` naming
the field, the 255/32,767 limits, labels without spaces, required project fields, transitions
with and without a done status and a resolution on the Done screen, and Cloud's 410 for the
retired `/rest/api/3/search`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.tracker_state import (
    Issue,
    JiraProject,
    Reply,
    Request,
    TrackerState,
    path_segments,
)

SUMMARY_LIMIT = 255
DESCRIPTION_LIMIT = 32_767
_ADF_NODES = {
    "doc",
    "paragraph",
    "text",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "hardBreak",
    "rule",
    "codeBlock",
    "blockquote",
}
_ADF_MARKS = {"strong", "em", "code", "link", "strike", "underline"}
_JQL = re.compile(
    r'project\s*=\s*"?([A-Za-z][A-Za-z0-9_]*)"?\s+AND\s+labels\s*=\s*"?([\w-]+)"?'
    r"(?:\s+ORDER BY created (ASC|DESC))?",
    re.IGNORECASE,
)


def answer_jira(state: TrackerState, request: Request) -> Reply:
    """Route one /rest/api/{2,3} request."""
    segments = path_segments(request.path)
    version, route = segments[2], segments[3:]
    match request.method, route:
        case "GET", ["myself"]:
            return Reply(200, _myself(version))
        case "GET", ["issue", "createmeta", key, "issuetypes"]:
            return _issue_types(state, version, key)
        case "POST", ["issue"]:
            return _create(state, version, request.body)
        case "GET", ["issue", key]:
            return _issue(state, key)
        case "GET", ["issue", key, "transitions"]:
            return _transitions(
                state, key, expanded="transitions.fields" in _query(request, "expand")
            )
        case "POST", ["issue", key, "transitions"]:
            return _transition(state, key, request.body)
        case "POST", ["search", "jql"] if version == "3":
            return _search(state, version, request.body)
        case "POST", ["search"] if version == "2":
            return _search(state, version, request.body)
        case _, ["search"]:
            return Reply(
                410, _errors("The requested API has been removed. Use /rest/api/3/search/jql.")
            )
    return Reply(404, _errors("Not found"))


def _errors(*messages: str, **fields: str) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": fields}


def _query(request: Request, name: str) -> str:
    return ",".join(request.query.get(name, []))


def _myself(version: str) -> dict[str, Any]:
    if version == "3":
        return {
            "accountId": "5b10a2844c20165700ede21g",
            "displayName": "casedesk bot",
            "active": True,
        }
    return {"name": "casedesk", "key": "casedesk", "displayName": "casedesk bot", "active": True}


def _issue_types(state: TrackerState, version: str, key: str) -> Reply:
    project = state.jira_projects.get(key)
    if project is None:
        return Reply(404, _errors(f"No project could be found with key '{key}'."))
    types = [
        {"id": str(10001 + number), "name": name, "subtask": False}
        for number, name in enumerate(project.issue_types)
    ]
    page = {"maxResults": 200, "startAt": 0, "total": len(types)}
    # Cloud lists them as issueTypes, Data Center as values.
    return Reply(
        200, {**page, "issueTypes": types} if version == "3" else {**page, "values": types}
    )


def _create(state: TrackerState, version: str, body: Any) -> Reply:
    fields = (body or {}).get("fields") or {}
    project = state.jira_projects.get(str((fields.get("project") or {}).get("key")))
    if project is None:
        return Reply(400, _errors(project="valid project is required"))
    problems = _field_problems(project, version, fields)
    if problems:
        return Reply(400, _errors(**problems))
    key = f"{project.key}-{state.next_number('jira', project.key)}"
    labels = list(fields.get("labels") or [])
    state.issues.append(
        Issue(
            "jira",
            project.key,
            key,
            fields["summary"],
            fields.get("description"),
            labels,
            fields=fields,
        )
    )
    issue_id = str(10000 + len(state.issues))
    return Reply(
        201,
        {
            "id": issue_id,
            "key": key,
            "self": f"{state.base_url}/rest/api/{version}/issue/{issue_id}",
        },
    )


def _field_problems(project: JiraProject, version: str, fields: dict[str, Any]) -> dict[str, str]:
    """Jira's per-field complaints about a create, as its `errors` object names them."""
    problems: dict[str, str] = {}
    issue_type = fields.get("issuetype") or {}
    ids = {str(10001 + number) for number in range(len(project.issue_types))}
    if issue_type.get("name") not in project.issue_types and issue_type.get("id") not in ids:
        problems["issuetype"] = "Specify a valid issue type"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems["summary"] = "You must specify a summary of the issue."
    elif len(summary) > SUMMARY_LIMIT or "\n" in summary:
        problems["summary"] = "Summary must be less than 255 characters and one line."
    description = fields.get("description")
    if version == "3":
        size = len(json.dumps(description, ensure_ascii=False, separators=(",", ":")))
        if adf_problems(description):
            problems["description"] = "Operation value must be an Atlassian Document " + "; ".join(
                adf_problems(description)[:3]
            )
    else:
        size = len(description) if isinstance(description, str) else 0
        if not isinstance(description, str):
            problems["description"] = "Operation value must be a string"
    if size > DESCRIPTION_LIMIT:
        problems["description"] = (
            "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
        )
    for label in fields.get("labels") or []:
        if not isinstance(label, str) or not label or re.search(r"\s", label) or len(label) > 255:
            problems["labels"] = f"The label '{label}' contains spaces which is invalid."
    for name in project.required_fields:
        if name not in fields:
            problems[name] = f"{name} is required."
    return problems


def adf_problems(node: Any, where: str = "doc") -> list[str]:
    """What makes this not a valid Atlassian Document (a subset of Atlassian's own rules)."""
    if not isinstance(node, dict) or node.get("type") not in _ADF_NODES:
        return [f"{where}: not an ADF node"]
    problems = []
    kind = node["type"]
    if where == "doc" and (kind != "doc" or node.get("version") != 1):
        problems.append("the root must be a version 1 doc")
    if kind == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            problems.append(f"{where}: empty text node")
        for mark in node.get("marks") or []:
            if not isinstance(mark, dict) or mark.get("type") not in _ADF_MARKS:
                problems.append(f"{where}: unknown mark {mark!r}")
    if kind == "heading" and (node.get("attrs") or {}).get("level") not in range(1, 7):
        problems.append(f"{where}: heading without a level 1-6")
    children = node.get("content", [])
    if not isinstance(children, list) or (kind in ("listItem", "bulletList") and not children):
        problems.append(f"{where}: bad content")
        return problems
    for number, child in enumerate(children):
        problems.extend(adf_problems(child, f"{where}/{kind}[{number}]"))
    return problems


def _find(state: TrackerState, key: str) -> Issue | None:
    return next((i for i in state.issues if i.system == "jira" and i.key == key), None)


def _status(issue: Issue) -> dict[str, Any]:
    if issue.closed:
        return {"id": "10002", "name": "Done", "statusCategory": {"id": 3, "key": "done"}}
    return {"id": "10000", "name": "To Do", "statusCategory": {"id": 2, "key": "new"}}


def _issue(state: TrackerState, key: str) -> Reply:
    issue = _find(state, key)
    if issue is None:
        return Reply(404, _errors("Issue does not exist or you do not have permission to see it."))
    return Reply(200, {"key": key, "fields": {"summary": issue.title, "status": _status(issue)}})


def _available(state: TrackerState, issue: Issue) -> list[dict[str, Any]]:
    """The transitions from the issue's status, with their screen fields."""

    def to(name: str, category: str) -> dict[str, Any]:
        return {"name": name, "statusCategory": {"key": category}}

    if issue.closed:
        return [{"id": "41", "name": "Reopen", "to": to("To Do", "new"), "fields": {}}]
    start = {"id": "11", "name": "Start progress", "to": to("In Progress", "indeterminate")}
    workflow = state.jira_projects[issue.destination].workflow
    if workflow == "no-done":
        block = {"id": "21", "name": "Block", "to": to("Blocked", "indeterminate")}
        return [{**start, "fields": {}}, {**block, "fields": {}}]
    done: dict[str, Any] = {"id": "31", "name": "Done", "to": to("Done", "done"), "fields": {}}
    if workflow == "resolution":
        done["fields"] = {
            "resolution": {
                "key": "resolution",
                "name": "Resolution",
                "required": True,
                "operations": ["set"],
                "schema": {"type": "resolution", "system": "resolution"},
                "allowedValues": [
                    {"id": "10001", "name": "Won't Do"},
                    {"id": "10000", "name": "Done"},
                ],
            }
        }
    return [{**start, "fields": {}}, done]


def _transitions(state: TrackerState, key: str, *, expanded: bool) -> Reply:
    issue = _find(state, key)
    if issue is None:
        return Reply(404, _errors("Issue does not exist or you do not have permission to see it."))
    transitions = _available(state, issue)
    if not expanded:  # the screen fields come only with expand=transitions.fields
        transitions = [{k: v for k, v in t.items() if k != "fields"} for t in transitions]
    return Reply(200, {"transitions": transitions})


def _transition(state: TrackerState, key: str, body: Any) -> Reply:
    issue = _find(state, key)
    if issue is None:
        return Reply(404, _errors("Issue does not exist or you do not have permission to see it."))
    wanted = str(((body or {}).get("transition") or {}).get("id"))
    transition = next((t for t in _available(state, issue) if t["id"] == wanted), None)
    if transition is None:
        return Reply(400, _errors(f"Transition id '{wanted}' is not valid for this issue."))
    given = (body or {}).get("fields") or {}
    screen = transition["fields"]
    for name in given:
        if name not in screen:
            message = (
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            )
            return Reply(400, _errors(**{name: message}))
    for name, meta in screen.items():
        if meta.get("required") and name not in given:
            return Reply(400, _errors(**{name: f"{meta['name']} is required."}))
    if transition["to"]["statusCategory"]["key"] == "done":
        issue.closed = True
        issue.resolution = given.get("resolution")
    return Reply(204)


def _search(state: TrackerState, version: str, body: Any) -> Reply:
    jql = str((body or {}).get("jql", ""))
    match = _JQL.fullmatch(jql.strip())
    if match is None:
        return Reply(400, _errors(f"Error in the JQL Query: the fake does not understand {jql!r}"))
    project, label, order = match.groups()
    if project not in state.jira_projects:
        return Reply(400, _errors(f"The value '{project}' does not exist for the field 'project'."))
    found = [issue for issue in state.issues_in("jira", project) if label in issue.labels]
    if (order or "").upper() == "DESC":
        found.reverse()
    limit = int((body or {}).get("maxResults", 50))
    issues = [{"key": i.key, "fields": {"summary": i.title}} for i in found[:limit]]
    if version == "3":
        return Reply(200, {"issues": issues, "isLast": True})
    return Reply(200, {"startAt": 0, "maxResults": limit, "total": len(found), "issues": issues})

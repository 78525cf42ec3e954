"""Check Jira requests against Atlassian's own OpenAPI description of the Cloud REST API.

`../shared/api-specs/jira-cloud-v3-subset.json` is the official description of the endpoints
casedesk uses. A request passes when its path and method exist there, its query parameters are
declared, a required body is present and the body validates against the operation's schema
(with `jsonschema`; OpenAPI 3.0 schemas are JSON Schema draft 4 plus keywords it ignores).

Data Center speaks v2 with the same shapes, so `/rest/api/2/...` is checked as its v3 twin,
except the description (wiki text in v2: the schema leaves `fields` values open anyway) and
`POST /rest/api/2/search`, which Cloud retired and which is checked against Data Center's
documented body instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "api-specs" / "jira-cloud-v3-subset.json"
)

# Jira Data Center 9, POST /rest/api/2/search ("Search for issues using JQL (POST)").
_DATA_CENTER_SEARCH = {
    "type": "object",
    "required": ["jql"],
    "properties": {
        "jql": {"type": "string"},
        "startAt": {"type": "integer"},
        "maxResults": {"type": "integer"},
        "validateQuery": {"type": "boolean"},
        "fields": {"type": "array", "items": {"type": "string"}},
        "expand": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class _Operation:
    template: str
    pattern: re.Pattern[str]
    method: str
    spec: dict[str, Any]


class JiraSpec:
    """The operations of the OpenAPI description, matched by path template and method."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.document = json.loads(path.read_text(encoding="utf-8"))
        self._operations = [
            _Operation(template, _template_pattern(template), method.upper(), operation)
            for template, item in self.document["paths"].items()
            for method, operation in item.items()
        ]

    def violations(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> list[str]:
        """What is wrong with this request by the description; empty when nothing is."""
        where = f"{method} {path}"
        if path == "/rest/api/2/search" and method == "POST":
            return _schema_errors(where, body, _DATA_CENTER_SEARCH)
        v3_path = re.sub(r"^/rest/api/2/", "/rest/api/3/", path)
        matches = [op for op in self._operations if op.pattern.fullmatch(v3_path)]
        if not matches:
            return [f"{where}: no such path in the Jira Cloud OpenAPI description"]
        operation = next((op for op in matches if op.method == method), None)
        if operation is None:
            return [f"{where}: method not allowed on {matches[0].template}"]
        problems = []
        declared = {
            parameter["name"]
            for parameter in operation.spec.get("parameters", [])
            if parameter.get("in") == "query"
        }
        problems.extend(
            f"{where}: undeclared query parameter {name!r}"
            for name in query
            if name not in declared
        )
        request_body = operation.spec.get("requestBody")
        if request_body is None:
            if body is not None:
                problems.append(f"{where}: a body where the operation takes none")
            return problems
        if body is None:
            if request_body.get("required"):
                problems.append(f"{where}: the required request body is missing")
            return problems
        schema = request_body["content"]["application/json"]["schema"]
        # The schema refers into components; give the validator the whole document as root.
        rooted = {**schema, "components": self.document["components"]}
        problems.extend(_schema_errors(where, body, rooted))
        return problems


def _schema_errors(where: str, body: Any, schema: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(schema)
    return [
        f"{where}: body {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )

"""Build a ticket-system client from an integration's stored settings (rule 18).

Tokens are read here, at the last moment, from the environment variable or the 0600 file the
integration names; they are never stored, logged or echoed in an error.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrations.tickets.base import PermanentError, TicketSystem
from integrations.tickets.checks import env_name_problem, shown_file
from integrations.tickets.email import EmailSettings, EmailTickets
from integrations.tickets.github import GitHub, github_api_url
from integrations.tickets.gitlab import GitLab
from integrations.tickets.http import make_client
from integrations.tickets.jira import Jira, JiraConfig
from integrations.tickets.webhook import WebhookTickets

#: How many requests each kind of tracker gets at once from one worker, and the least time
#: between two creates. GitHub asks integrations to create content serially, about 80 a minute.
CONCURRENCY = {"jira": 4, "gitlab": 4, "github": 1, "email": 2, "webhook": 4}
MIN_INTERVAL = {"github": 0.8}


@dataclass(frozen=True, slots=True)
class IntegrationSettings:
    """A plain copy of one integration row, safe to hand to another thread."""

    id: int
    name: str
    kind: str
    url: str = ""
    flavor: str = ""
    email: str = ""
    token_env: str = ""
    token_file: str = ""
    project: str = ""
    issue_type: str = "Task"
    auto_close_tickets: bool = True
    create_drift_tickets: bool = True
    drift_destination: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> IntegrationSettings:
        return cls(
            id=row.id,
            name=row.name,
            kind=row.kind,
            url=row.url,
            flavor=row.flavor,
            email=row.email,
            token_env=row.token_env,
            token_file=row.token_file,
            project=row.project,
            issue_type=row.issue_type,
            auto_close_tickets=row.auto_close_tickets,
            create_drift_tickets=row.create_drift_tickets,
            drift_destination=row.drift_destination,
            options=json.loads(row.options or "{}"),
        )

    @property
    def concurrency(self) -> int:
        value = self.options.get("concurrency", CONCURRENCY.get(self.kind, 2))
        return max(1, min(int(value), 16))

    @property
    def min_interval(self) -> float:
        return float(self.options.get("min_interval_seconds", MIN_INTERVAL.get(self.kind, 0.0)))


def _checked_secret(value: str, where: str) -> str:
    """Tokens, passwords and signing secrets are printable ASCII. Anything else (a second line
    pasted into the file, a non-ASCII letter) would be quoted back by the HTTP or mail library
    in its error, token and all, and can never work: a permanent error that shows none of it."""
    if not (value.isascii() and value.isprintable()):
        raise PermanentError(
            f"the secret in {where} contains a line break, a control or a non-ASCII character;"
            " write it again as one line"
        )
    return value


def read_secret(name: str, *, env: str, file: str, required: bool = True) -> str:
    """The secret from ``env`` (a variable name) or ``file`` (mode 0600); one-line errors."""
    if env:
        # Rule 18: a stored value that is not a variable name may be the token: never echo it.
        if env_name_problem(env) is not None:
            raise PermanentError(
                "the stored token_env is not an environment variable name; set it again "
                f"(casedesk integrations add {name} --token-env VAR)"
            )
        value = os.environ.get(env, "")
        if not value.strip():
            raise PermanentError(f"environment variable {env} is not set")
        return _checked_secret(value.strip(), f"environment variable {env}")
    if file:
        shown = shown_file(file)
        path = Path(file).expanduser()
        try:
            mode = path.stat().st_mode
        except OSError:
            raise PermanentError(f"token file {shown} cannot be read") from None
        if stat.S_IMODE(mode) & 0o077:
            raise PermanentError(f"token file {shown} must be private (chmod 600)")
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise PermanentError(f"token file {shown} cannot be read") from None
        if not value:
            raise PermanentError(f"token file {shown} is empty")
        return _checked_secret(value, f"token file {shown}")
    if required:
        raise PermanentError("name a token_env or a token_file")
    return ""


def build_client(settings: IntegrationSettings) -> TicketSystem:
    """A ready client for ``settings``; PermanentError when the settings cannot work."""
    options = settings.options
    # A tracker slower than this is treated as "no answer" (the create is then reconciled).
    read_timeout = float(options.get("read_timeout_seconds", 30))
    http = make_client(read_timeout=read_timeout)
    try:
        if settings.kind == "jira":
            token = read_secret(settings.name, env=settings.token_env, file=settings.token_file)
            config = JiraConfig(
                base_url=settings.url,
                flavor=settings.flavor or "cloud",  # type: ignore[arg-type]
                email=settings.email,
                project=settings.project,
                issue_type=settings.issue_type or "Task",
                extra_fields=options.get("extra_fields", {}),
                close_transition=str(options.get("close_transition", "")),
            )
            return Jira(config, token, client=http)
        if settings.kind == "github":
            token = read_secret(settings.name, env=settings.token_env, file=settings.token_file)
            return GitHub(token, api_url=github_api_url(settings.url or None), client=http)
        if settings.kind == "gitlab":
            token = read_secret(settings.name, env=settings.token_env, file=settings.token_file)
            return GitLab(token, base_url=settings.url or "https://gitlab.com", client=http)
        if settings.kind == "email":
            password = read_secret(
                settings.name,
                env=str(options.get("password_env", "")),
                file=str(options.get("password_file", "")),
                required=bool(options.get("username")),
            )
            email = EmailSettings(
                from_address=str(options.get("from_address", "casedesk@localhost")),
                security=str(options.get("security", "starttls")),
                host=str(options.get("host", "localhost")),
                port=int(options.get("port", 0)),
                username=str(options.get("username", "")),
                directory=str(options.get("directory", "")),
            )
            return EmailTickets(email, password or None)
        if settings.kind == "webhook":
            secret = read_secret(
                settings.name,
                env=str(options.get("secret_env", settings.token_env)),
                file=str(options.get("secret_file", settings.token_file)),
            )
            return WebhookTickets(settings.url, secret, client=http)
    except (ValueError, TypeError) as error:
        raise PermanentError(str(error)) from None
    raise PermanentError(f"unknown kind {settings.kind!r}")

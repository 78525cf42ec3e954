"""Checks of integration settings that need no network (DESIGN.md rules 18 and 21).

One place for them: the ticket clients call the destination and transport checks when they
run, and :func:`check_integration` runs every check when an integration is saved (the command
line, ``settings import`` and the terminal app all save through it). Nothing here imports an
HTTP or SMTP library, so saving settings stays fast.

Messages never repeat a value that could be a secret (token sources, URLs with credentials).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from email.headerregistry import Address
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit

from integrations.scanners.sanitize import clean_line
from integrations.tickets.base import PermanentError

KINDS = ("jira", "github", "gitlab", "email", "webhook")
#: Kinds that need a destination (project / repository / recipient) to send anything.
DESTINATION_KINDS = ("jira", "github", "gitlab", "email")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SECURITY_MODES = ("starttls", "tls", "none", "file")

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_TOKEN_PREFIX = re.compile(r"^(gh[pousr]_|github_pat_|glpat-|ATATT|xox[a-z]-)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITLAB_PATH = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
_JIRA_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# A comma outside double quotes separates addresses ("Doe, Jane" <jane@example.com> is one).
_TOP_LEVEL_COMMA = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')

#: Options each kind understands, with their type: "int", "number", "text", "table".
_COMMON_OPTIONS = {
    "concurrency": "int",
    "min_interval_seconds": "number",
    "read_timeout_seconds": "number",
}
OPTIONS: dict[str, dict[str, str]] = {
    "jira": {**_COMMON_OPTIONS, "extra_fields": "table", "close_transition": "text"},
    "github": dict(_COMMON_OPTIONS),
    "gitlab": dict(_COMMON_OPTIONS),
    "email": {
        **_COMMON_OPTIONS,
        "from_address": "text",
        "security": "text",
        "host": "text",
        "port": "int",
        "username": "text",
        "password_env": "text",
        "password_file": "text",
        "directory": "text",
    },
    "webhook": {**_COMMON_OPTIONS, "secret_env": "text", "secret_file": "text"},
}
_RANGES = {
    "concurrency": (1, 16),
    "min_interval_seconds": (0, 3600),
    "read_timeout_seconds": (0.1, 600),
    "port": (1, 65535),
}


class SettingProblem(ValueError):
    """An integration setting casedesk refuses; ``key`` is the field (or option) at fault."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


# token sources --------------------------------------------------------------------------------


def looks_like_token(value: str) -> bool:
    """A known token prefix, or a long random-looking run of letters and digits."""
    value = value.strip()
    if _TOKEN_PREFIX.match(value):
        return True
    for run in re.findall(r"[A-Za-z0-9+/=-]{20,}", value):
        letters = any(c.isalpha() for c in run)
        digits = any(c.isdigit() for c in run)
        mixed = any(c.islower() for c in run) and any(c.isupper() for c in run)
        if letters and digits and (mixed or len(run) >= 32) and _entropy(run) >= 3.5:
            return True
    return False


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def env_name_problem(value: str, key: str = "token_env") -> str | None:
    """Why ``value`` is not an environment variable name (the value itself is not repeated)."""
    if looks_like_token(value):
        return f"{key} must name an environment variable, not hold the token"
    if not ENV_NAME.fullmatch(value):
        return (
            f"{key} must name an environment variable (letters, digits and _, not starting "
            "with a digit, at most 100 characters)"
        )
    return None


def file_path_problem(value: str, key: str = "token_file") -> str | None:
    """Why ``value`` is not an absolute path to a token file (the value is not repeated)."""
    if looks_like_token(value) and not value.startswith("/"):
        return f"{key} must be the path of a file holding the token, not the token"
    if not value.startswith("/") or _CONTROL.search(value) or len(value) > 1000:
        return f"{key} must be an absolute path (/...) to a file of mode 0600"
    return None


def shown_env(value: str) -> str:
    """An environment variable name fit to show, or a placeholder when it may be a secret."""
    return value if value and env_name_problem(value) is None else "(not a variable name)"


def shown_file(value: str) -> str:
    """A token file path fit to show, or a placeholder when it may be a secret."""
    return value if value and file_path_problem(value) is None else "(not an absolute path)"


def _problem(key: str, message: str) -> PermanentError:
    """A PermanentError that also says which setting is at fault (for messages naming a line)."""
    error = PermanentError(message)
    error.key = key  # type: ignore[attr-defined]
    return error


def _key_of(error: PermanentError, default: str) -> str:
    return getattr(error, "key", "") or default


# URLs and destinations ------------------------------------------------------------------------


def web_url(url: str, what: str) -> str:
    """An absolute http(s) URL with a host and no credentials; plain http only to this machine.

    The URL is not repeated in a message (it might carry a secret); its host may be.
    """
    if not isinstance(url, str) or _CONTROL.search(url) or " " in url.strip():
        raise PermanentError(f"{what} is not a valid URL")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise PermanentError(f"{what} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise PermanentError(f"{what} must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise PermanentError(f"{what} must not carry a user or password; name a token source")
    if parts.scheme.lower() == "http" and host.strip("[]").lower() not in LOOPBACK_HOSTS:
        raise PermanentError(
            f"{what} for {clean_line(host, 100)} must use https "
            "(plain http is allowed only to localhost)"
        )
    return url.strip()


def github_repository(destination: str) -> str:
    """``owner/repo``, as GitHub names a repository."""
    repository = destination.strip().strip("/")
    if not _GITHUB_REPOSITORY.fullmatch(repository):
        raise PermanentError(f"GitHub destination must be owner/repo, not {destination!r}")
    return repository


def gitlab_project(destination: str) -> str:
    """A numeric project id, a ``group/project`` path (subgroups allowed) or an encoded path."""
    project = destination.strip().strip("/")
    if not project:
        raise PermanentError("GitLab destination is empty: name a project id or group/project")
    decoded = re.sub("%2f", "/", project, flags=re.IGNORECASE)
    if not (project.isdigit() or _GITLAB_PATH.fullmatch(decoded)):
        raise PermanentError(
            f"GitLab destination must be a project id or group/project, not {destination!r}"
        )
    return project


def jira_project_key(destination: str) -> str:
    """A Jira project key like SEC."""
    project = destination.strip()
    if not _JIRA_KEY.fullmatch(project):
        raise PermanentError(f"Jira destination must be a project key like SEC, not {project!r}")
    return project


def email_addresses(text: str, what: str) -> list[Address]:
    """Comma-separated addresses, each checked; CR/LF or other control characters refused."""
    if _CONTROL.search(text):
        raise PermanentError(f"e-mail {what} contains a line break or control character")
    parts = [part for part in _TOP_LEVEL_COMMA.split(text) if part.strip()]
    if not parts:
        raise PermanentError(f"e-mail {what} is empty")
    return [_email_address(part, what) for part in parts]


def _email_address(text: str, what: str) -> Address:
    """Exactly one address with a user and a dotted domain (or localhost) per part."""
    parsed = getaddresses([text])
    try:
        [(name, spec)] = parsed
        address = Address(display_name=name, addr_spec=spec)
    except (ValueError, IndexError, TypeError):
        address = None
    domain = address.domain.lower() if address else ""
    if address is None or not address.username or ("." not in domain and domain != "localhost"):
        raise PermanentError(f"e-mail {what} {clean_line(text, 200)!r} is not a valid address")
    return address


def destination(kind: str, value: str) -> str:
    """Check where a ticket of ``kind`` goes; PermanentError with one line when it cannot."""
    if kind == "jira":
        return jira_project_key(value)
    if kind == "github":
        return github_repository(value)
    if kind == "gitlab":
        return gitlab_project(value)
    if kind == "email":
        email_addresses(value, "recipient")
        return value
    if _CONTROL.search(value) or len(value) > 1000:
        raise PermanentError("webhook destination must be one line of at most 1000 characters")
    return value


def jira_account(flavor: str, email: str) -> None:
    """Jira Cloud authenticates as an account (e-mail + API token); Data Center by PAT."""
    if flavor not in ("cloud", "datacenter"):
        raise _problem("flavor", f"Jira flavor must be cloud or datacenter, not {flavor!r}")
    if flavor == "cloud":
        if not email:
            raise _problem("email", "Jira Cloud needs the e-mail address the API token belongs to")
        email_addresses(email, "address of the Jira account")


def email_transport(
    *, security: str, host: str, directory: str, username: str, has_password: bool
) -> None:
    """How e-mail leaves: a known security mode, clear text only to this machine."""
    if security not in SECURITY_MODES:
        raise _problem(
            "security",
            f"e-mail security must be one of {', '.join(SECURITY_MODES)}, "
            f"not {clean_line(security, 40)!r}",
        )
    if _CONTROL.search(host) or " " in host:
        raise _problem("host", "e-mail host must be a host name or address")
    if security == "none" and host.strip("[]").lower() not in LOOPBACK_HOSTS:
        raise _problem(
            "security",
            f"e-mail security 'none' sends in clear text and is allowed only to localhost, "
            f"not {clean_line(host, 100)}; use 'starttls' or 'tls'",
        )
    if security == "file" and not directory:
        raise _problem("directory", "e-mail security 'file' needs a directory for the .eml files")
    if directory and security != "file":
        raise _problem(
            "directory",
            "an e-mail directory is for security 'file' (.eml files, no SMTP); set"
            " --option security=file, or drop the directory",
        )
    if bool(username) != has_password:
        raise _problem("username", "e-mail login needs both a username and a password (or neither)")


# a whole integration --------------------------------------------------------------------------


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SettingProblem(
            "name",
            "an integration name is 1-100 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
        )
    return name


def check_options(kind: str, options: Mapping[str, Any]) -> None:
    """Every option is one ``kind`` understands, of the right type and range."""
    known = OPTIONS.get(kind, {})
    for key, value in options.items():
        if key not in known:
            names = ", ".join(sorted(known))
            raise SettingProblem(
                key, f"{kind} has no option {clean_line(str(key), 60)!r} ({names})"
            )
        wanted = known[key]
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "text": isinstance(value, str),
            "table": isinstance(value, dict),
        }[wanted]
        if not ok:
            words = {"int": "a whole number", "number": "a number", "text": "a string"}
            raise SettingProblem(key, f"option {key} must be {words.get(wanted, 'a table')}")
        if key in _RANGES:
            low, high = _RANGES[key]
            if not low <= value <= high:
                raise SettingProblem(key, f"option {key} must be between {low} and {high}")
        if wanted == "text" and _CONTROL.search(value):
            raise SettingProblem(key, f"option {key} must be one line")


def _secret_source(
    entry: Mapping[str, Any],
    env_key: str,
    file_key: str,
    *,
    required: bool,
    what: str,
    blame: str = "",
) -> None:
    """A named variable or an absolute path, never both; ``blame`` is the key that needs it."""
    env, file = str(entry.get(env_key) or ""), str(entry.get(file_key) or "")
    if env and file:
        raise SettingProblem(file_key, f"name {env_key} or {file_key}, not both")
    if env and (problem := env_name_problem(env, env_key)):
        raise SettingProblem(env_key, problem)
    if file and (problem := file_path_problem(file, file_key)):
        raise SettingProblem(file_key, problem)
    if required and not env and not file:
        raise SettingProblem(blame or env_key, f"{what}: name {env_key} or {file_key}")


def check_integration(entry: Mapping[str, Any], *, new_name: bool = True) -> None:
    """Everything about one integration that can be known without the network.

    ``entry`` has the integration fields (``name``, ``kind``, ``url``, ``token_env``, …) and
    ``options``; raises :class:`SettingProblem` naming the field at fault. ``new_name`` False
    keeps the name of an integration saved before names were checked.
    """
    if new_name:
        check_name(entry.get("name"))
    kind = entry.get("kind")
    if kind not in KINDS:
        raise SettingProblem("kind", f"kind must be one of {', '.join(KINDS)}")
    text = {key: entry.get(key) or "" for key in ("url", "flavor", "email", "issue_type")}
    options = entry.get("options") or {}
    check_options(kind, options)
    try:
        _check_kind(kind, entry, text, options)
    except PermanentError as error:
        raise SettingProblem(_key_of(error, "kind"), error.message) from None
    for key in ("project", "drift_destination"):
        value = entry.get(key) or ""
        if value:
            try:
                destination(kind, value)
            except PermanentError as error:
                raise SettingProblem(key, f"{key}: {error.message}") from None
    if kind in DESTINATION_KINDS and not (entry.get("project") or entry.get("drift_destination")):
        what = {
            "jira": "a project key",
            "github": "owner/repo",
            "gitlab": "a project",
            "email": "a recipient address",
        }[kind]
        raise SettingProblem("project", f"{kind} needs project ({what})")


def _check_kind(
    kind: str, entry: Mapping[str, Any], text: Mapping[str, str], options: Mapping[str, Any]
) -> None:
    url = text["url"]
    if kind in ("jira", "github", "gitlab", "webhook") and (url or kind in ("jira", "webhook")):
        if not url:
            raise _problem("url", f"{kind} needs url")
        try:
            web_url(url, f"{kind} url")
        except PermanentError as error:
            raise _problem("url", error.message) from None
    if kind == "jira":
        try:
            jira_account(text["flavor"] or "cloud", text["email"])
        except PermanentError as error:
            raise _problem(_key_of(error, "email"), error.message) from None
        if _CONTROL.search(text["issue_type"]) or len(text["issue_type"]) > 200:
            raise _problem("issue_type", "issue_type must be one line")
    if kind in ("jira", "github", "gitlab"):
        _secret_source(entry, "token_env", "token_file", required=True, what=f"{kind} token")
    elif kind == "webhook":
        _secret_source(entry, "token_env", "token_file", required=False, what="")
        if options.get("secret_env") or options.get("secret_file"):
            _secret_source(options, "secret_env", "secret_file", required=True, what="")
        else:
            _secret_source(entry, "token_env", "token_file", required=True, what="webhook secret")
    elif kind == "email":
        _secret_source(entry, "token_env", "token_file", required=False, what="")
        _secret_source(
            options,
            "password_env",
            "password_file",
            required=bool(options.get("username")),
            what="e-mail login needs a password",
            blame="username",
        )
        try:
            sender = str(options.get("from_address", "casedesk@localhost"))
            if len(email_addresses(sender, "from address")) != 1:
                raise _problem("from_address", "e-mail needs exactly one from address")
            email_transport(
                security=str(options.get("security", "starttls")),
                host=str(options.get("host", "localhost")),
                directory=str(options.get("directory", "")),
                username=str(options.get("username", "")),
                has_password=bool(options.get("password_env") or options.get("password_file")),
            )
        except PermanentError as error:
            raise _problem(_key_of(error, "from_address"), error.message) from None

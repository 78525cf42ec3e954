"""Fixtures for the ticket clients: the fake trackers server, a fast-timeout client, content."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import httpx
import pytest

from integrations.tickets.base import TicketAsset, TicketContent, TicketSystem
from integrations.tickets.github import GitHub, github_api_url
from integrations.tickets.gitlab import GitLab
from integrations.tickets.http import make_client
from integrations.tickets.jira import Jira, JiraConfig
from tests.fakes.tracker_state import JIRA_EMAIL
from tests.fakes.trackers import FakeTrackers

# Far below the production 30 s, so "the tracker never answers" costs a test 0.3 s.
TEST_READ_TIMEOUT = 0.3
MARKER = "casedesk-0123456789ab"
HOSTILE = "*bold* [link|http://x] {code} <script> @here #1"


@pytest.fixture
def fake() -> Iterator[FakeTrackers]:
    """A started fake Jira/GitHub/GitLab; every Jira request it got must match the OpenAPI spec."""
    with FakeTrackers() as server:
        yield server
    assert server.spec_violations == []


@pytest.fixture(scope="session")
def tls_context() -> ssl.SSLContext:
    """Loading the CA bundle takes a while; once per session is enough."""
    return ssl.create_default_context()


@pytest.fixture
def http_client(tls_context: ssl.SSLContext) -> Iterator[httpx.Client]:
    """The production client factory, with a read timeout short enough for hang tests."""
    client = make_client(read_timeout=TEST_READ_TIMEOUT, verify=tls_context)
    yield client
    client.close()


def make_content(**changes: object) -> TicketContent:
    """A realistic check case on three assets; keyword arguments replace fields."""
    content = TicketContent(
        case_id=42,
        marker=MARKER,
        title="[HIGH] Ensure SSH root login is disabled on 3 assets",
        kind="check",
        rating="high",
        finding_key="//local.cis.policy/ssh-root-login",
        finding_title="Ensure SSH root login is disabled",
        source="CIS Ubuntu 22.04 Benchmark",
        score=7.5,
        description="PermitRootLogin allows root to log in over SSH.",
        remediation="Set PermitRootLogin no in /etc/ssh/sshd_config.",
        assets=(
            TicketAsset("web-1", "ubuntu 22.04"),
            TicketAsset("web-2", "ubuntu 22.04"),
            TicketAsset("db-1"),
        ),
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def many_assets(count: int) -> tuple[TicketAsset, ...]:
    return tuple(
        TicketAsset(f"host-{n:05d}.prod.example.com", "ubuntu 22.04") for n in range(count)
    )


@dataclass(frozen=True)
class Flavour:
    """One way to reach a tracker: how to build its client, where its tickets go."""

    name: str
    system: str  # the fake's system name: jira | github | gitlab
    destination: str
    build: Callable[[str, httpx.Client, str], TicketSystem]  # (server URL, client, token)

    def client(
        self, fake: FakeTrackers, http_client: httpx.Client, *, token: str = "", url: str = ""
    ) -> TicketSystem:
        """The flavour's client for the fake (or another `url`), with the fake's token."""
        return self.build(url or fake.url, http_client, token or fake.token)


def _jira(flavor: str) -> Callable[[str, httpx.Client, str], TicketSystem]:
    def build(url: str, client: httpx.Client, token: str) -> TicketSystem:
        config = JiraConfig(url, flavor=flavor, email=JIRA_EMAIL)  # type: ignore[arg-type]
        return Jira(config, token, client=client)

    return build


FLAVOURS = [
    Flavour("jira-cloud", "jira", "SEC", _jira("cloud")),
    Flavour("jira-datacenter", "jira", "SEC", _jira("datacenter")),
    Flavour("github", "github", "acme/app", lambda u, c, t: GitHub(t, api_url=u, client=c)),
    Flavour(
        "github-enterprise",
        "github",
        "acme/app",
        lambda u, c, t: GitHub(t, api_url=github_api_url(u), client=c),
    ),
    Flavour("gitlab", "gitlab", "acme/app", lambda u, c, t: GitLab(t, base_url=u, client=c)),
]


@pytest.fixture(params=FLAVOURS, ids=[flavour.name for flavour in FLAVOURS])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Each tracker flavour in turn."""
    return request.param

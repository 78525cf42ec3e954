"""A real HTTP server on 127.0.0.1 playing Jira, GitHub and GitLab: keeps issues, fails on demand.

One ``FakeTrackers`` answers all three APIs on one port, each under its own paths:

* Jira Cloud ``/rest/api/3/...`` (Basic ``email:token``) and Data Center ``/rest/api/2/...``
  (Bearer token). Every Jira request is checked against Atlassian's OpenAPI description (see
  :mod:`tests.fakes.jira_spec`); what does not match lands in ``spec_violations``.
* GitHub at the root (``/repos/...``, like api.github.com) and under ``/api/v3`` (Enterprise).
* GitLab under ``/api/v4``, projects by id or URL-encoded path.

Issues sent are kept in ``issues`` (so a test can assert "exactly one ticket"). Faults are queued
with :meth:`FakeTrackers.fail_next` and used in order, each by the first request it matches::

    with FakeTrackers() as fake:
        fake.fail_next(Fault.answer(429, headers={"Retry-After": "7"}))
        fake.fail_next(Fault.drop(method="POST"))    # read the request, close without answering
        fake.fail_next(Fault.hang(method="POST"))    # do it (create the issue), never answer

Destinations that exist from the start: Jira projects ``SEC`` (a Done transition), ``RES`` (Done
asks for a resolution) and ``NODONE`` (no transition to a done status); GitHub ``acme/app``;
GitLab ``acme/app`` (id 7). Add others with the ``add_*`` methods of
:class:`~tests.fakes.tracker_state.TrackerState`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs

from tests.fakes.jira_spec import JiraSpec
from tests.fakes.tracker_github import answer_github
from tests.fakes.tracker_gitlab import answer_gitlab
from tests.fakes.tracker_jira import answer_jira
from tests.fakes.tracker_state import JIRA_EMAIL, TOKEN, Reply, Request, TrackerState

HANG_SECONDS = 3.0  # well past any test client's read timeout; stop() ends it early


@dataclass(frozen=True)
class Fault:
    """One failure for the next request matching `method` and `path` ("" matches any)."""

    kind: Literal["answer", "drop", "hang"]
    status: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str = ""
    path: str = ""  # a substring of the request path

    @classmethod
    def answer(
        cls,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        method: str = "",
        path: str = "",
    ) -> Fault:
        """Answer `status` with `body` (JSON, or bytes sent as HTML) instead of doing it."""
        return cls("answer", status, body, headers or {}, method, path)

    @classmethod
    def drop(cls, *, method: str = "", path: str = "") -> Fault:
        """Read the request, do nothing, close the connection without answering."""
        return cls("drop", method=method, path=path)

    @classmethod
    def hang(cls, *, method: str = "POST", path: str = "") -> Fault:
        """Do the request (create the issue), then never answer: the client times out."""
        return cls("hang", method=method, path=path)

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and self.path in path


class FakeTrackers(TrackerState):
    """The fake Jira + GitHub + GitLab server; a context manager, or start() and stop()."""

    def __init__(self, *, token: str = TOKEN, jira_email: str = JIRA_EMAIL) -> None:
        super().__init__(token=token, jira_email=jira_email)
        self.spec_violations: list[str] = []
        self.latency = 0.0  # seconds between doing a request's work and answering it
        self.stopping = threading.Event()
        self._faults: list[Fault] = []
        self._spec = JiraSpec()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_jira_project("SEC")
        self.add_jira_project("RES", workflow="resolution")
        self.add_jira_project("NODONE", workflow="no-done")
        self.add_github_repo("acme/app")
        self.add_gitlab_project(7, "acme/app")

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:43121."""
        if not self.base_url:
            raise RuntimeError("the fake trackers server is not started")
        return self.base_url

    def fail_next(self, fault: Fault) -> None:
        """Queue a fault for the next request it matches."""
        with self.lock:
            self._faults.append(fault)

    def start(self) -> FakeTrackers:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._server = server
        # A short poll interval makes stop() quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hanging handlers at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTrackers:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def receive(self, request: Request) -> tuple[Fault | None, Reply | None]:
        """Record and check the request; return its fault and, unless dropped, the answer."""
        with self.lock:
            self.requests.append(request)
            if request.path.startswith("/rest/api/"):
                self.spec_violations.extend(
                    self._spec.violations(request.method, request.path, request.query, request.body)
                )
            fault = next((f for f in self._faults if f.matches(request.method, request.path)), None)
            if fault is not None:
                self._faults.remove(fault)
            if fault is not None and fault.kind == "drop":
                return fault, None
            if fault is not None and fault.kind == "answer":
                return fault, Reply(fault.status, fault.body, dict(fault.headers))
            return fault, self._route(request)

    def _route(self, request: Request) -> Reply:
        if not self.authorized(request):
            return Reply(401, _unauthorized_body(request.path))
        if request.path.startswith("/rest/api/"):
            return answer_jira(self, request)
        if request.path.startswith("/api/v4/"):
            return answer_gitlab(self, request)
        return answer_github(self, request)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, hands it to the fake, writes the answer (or, on a fault, does not)."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms ACK waits

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests` instead of a log."""

    def _handle(self) -> None:
        fake: FakeTrackers = self.server.fake  # type: ignore[attr-defined]
        raw_path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            self._send(Reply(400, {"message": "Problems parsing JSON"}))
            return
        request = Request(
            self.command,
            raw_path,
            parse_qs(raw_query, keep_blank_values=True),
            dict(self.headers.items()),
            body,
        )
        fault, reply = fake.receive(request)
        if fake.latency:
            time.sleep(fake.latency)  # the work is done; the answer takes a while (crash tests)
        if fault is not None and fault.kind == "hang":
            fake.stopping.wait(HANG_SECONDS)  # the work is done; the answer never comes
            reply = None
        if reply is None:
            self.close_connection = True  # closed without a word
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):  # raw, like a proxy's HTML page
            payload, content_type = reply.body, "text/html; charset=utf-8"
        else:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _unauthorized_body(path: str) -> dict[str, Any]:
    if path.startswith("/rest/api/"):
        return {"errorMessages": ["Client must be authenticated to access this resource."]}
    if path.startswith("/api/v4/"):
        return {"message": "401 Unauthorized"}
    return {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}

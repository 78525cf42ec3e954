"""A real HTTP server on 127.0.0.1 that receives webhooks for tests, and fails on demand.

``FakeWebhookReceiver`` keeps every POST exactly as it arrived (path, headers, raw body) in
``received``, together with the status it answered, so tests can verify signatures from the raw
bytes. Faults queued with :meth:`FakeWebhookReceiver.fail_next` answer the next POSTs in order::

    with FakeWebhookReceiver() as hook:
        hook.fail_next(WebhookFault.unavailable(retry_after="7"))   # next POST: 503
        hook.fail_next(WebhookFault.hang())                         # then: no answer at all
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

HANG_LIMIT_SECONDS = 10.0  # a hanging request gives up by itself so a forgotten stop() cannot block


@dataclass(frozen=True)
class WebhookFault:
    """One failed answer: a status with headers and body, or no answer at all (``hang``)."""

    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    hang: bool = False

    @classmethod
    def unavailable(cls, retry_after: str | None = None) -> WebhookFault:
        """503, optionally with a Retry-After header (seconds or an HTTP date)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(503, headers, "receiver busy")

    @classmethod
    def gone(cls) -> WebhookFault:
        """410: the receiver has disabled this endpoint for good."""
        return cls(410, {}, "endpoint disabled")

    @classmethod
    def hanging(cls) -> WebhookFault:
        """Read the request, keep it, and never answer (until stop())."""
        return cls(0, {}, "", hang=True)


@dataclass(frozen=True)
class ReceivedPost:
    """One request as it arrived. ``status`` is what was answered (None: no answer)."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    status: int | None

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class FakeWebhookReceiver:
    """A threaded stdlib HTTP server on a free port of 127.0.0.1. Use as a context manager."""

    def __init__(self, path: str = "/hooks/casedesk") -> None:
        self.path = path
        self._faults: deque[WebhookFault] = deque()
        self._received: list[ReceivedPost] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # set by stop(): hanging requests end
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The URL to post webhooks to."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    @property
    def received(self) -> list[ReceivedPost]:
        """Every POST received so far, answered or not (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def delivered(self) -> list[ReceivedPost]:
        """The POSTs answered with 2xx."""
        return [post for post in self.received if post.status is not None and post.status < 300]

    def fail_next(self, *faults: WebhookFault) -> None:
        """Queue faults; each answers one POST, in order."""
        with self._lock:
            self._faults.extend(faults)

    def _next_fault(self) -> WebhookFault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _keep(self, post: ReceivedPost) -> None:
        with self._lock:
            self._received.append(post)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                fault = receiver._next_fault()
                if fault is not None and fault.hang:
                    receiver._keep(ReceivedPost(self.path, headers, body, None))
                    receiver._release.wait(HANG_LIMIT_SECONDS)
                    self.close_connection = True
                    return
                status = fault.status if fault else (204 if self.path == receiver.path else 404)
                receiver._keep(ReceivedPost(self.path, headers, body, status))
                payload = (fault.body if fault else "").encode()
                self.send_response(status)
                for name, value in (fault.headers if fault else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        return Handler

    def start(self) -> FakeWebhookReceiver:
        """Serve in a background thread."""
        # A short poll interval: stop() waits for the serving loop to notice the shutdown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeWebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

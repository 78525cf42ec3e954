"""Run ``casedesk`` in a real pseudo-terminal, as over SSH, and read back what it painted.

The process gets a pty of a given size (so Textual sees a real terminal), keys are written as
bytes, and what it painted is read back with escape sequences stripped, good enough to ask
"does the screen show this text yet?".
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

#: CSI/OSC/other escape sequences; what is left is the text the app painted.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

KEYS = {
    "enter": b"\r",
    "escape": b"\x1b",
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "tab": b"\t",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
}


class Terminal:
    """One ``casedesk`` process (or ``program``) on a pty of ``columns`` × ``lines``."""

    def __init__(
        self,
        args: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        columns: int = 80,
        lines: int = 24,
        program: list[str] | None = None,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        environment = {**env, "TERM": env.get("TERM", "xterm-256color")}
        environment["COLUMNS"], environment["LINES"] = str(columns), str(lines)
        self.process = subprocess.Popen(
            [*(program or [sys.executable, "-m", "casedesk.cli"]), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the other end closed: the process is gone
                time.sleep(timeout)

    def text(self) -> str:
        return _ESCAPES.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 30.0) -> str:
        """Read until ``needle`` was painted; fail with what was painted so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return self.text()
            if self.process.poll() is not None:
                self._read(0.2)
                break
            self._read(0.2)
        if needle in self.text():
            return self.text()
        raise AssertionError(f"{needle!r} never appeared; screen text:\n{self.text()[-3000:]}")

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key.encode()))
            time.sleep(0.15)

    def wait_exit(self, timeout: float = 15.0) -> int | None:
        """The exit code, or None if it is still running after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                return code
            self._read(0.1)
        return None

    def settle(self, quiet: float = 0.3, limit: float = 10.0) -> None:
        """Read until nothing has been painted for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = len(self.output)
            self._read(quiet)
            if len(self.output) == before:
                return

    def time_key(
        self, key: str, until: str | None = None, timeout: float = 10.0
    ) -> tuple[float, float]:
        """Press ``key`` on a quiet screen; seconds to the next painted frame (the first bytes
        back) and to the frame that shows ``until`` (or the first frame when ``until`` is None)."""
        self.settle()
        mark = len(self.output)
        started = time.monotonic()
        os.write(self.master, KEYS.get(key, key.encode()))
        first = None
        deadline = started + timeout
        while time.monotonic() < deadline:
            self._read(0.005)
            if first is None and len(self.output) > mark:
                first = time.monotonic() - started
            if first is not None and (until is None or until in self._text_since(mark)):
                return first, time.monotonic() - started
        raise AssertionError(f"no frame showed {until!r} within {timeout} s of {key!r}")

    def _text_since(self, mark: int) -> str:
        return _ESCAPES.sub(b"", bytes(self.output[mark:])).decode("utf-8", "replace")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        os.close(self.master)


def casedesk_env(home: Path, db_url: str, user: str = "alice") -> dict[str, str]:
    """This process's environment minus anything casedesk or pytest would read, for one
    database, user and home (so the developer's own config and data stay out of it)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASEDESK_", "PYTEST_", "NO_COLOR"))
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        CASEDESK_USER=user,
        CASEDESK_DB=db_url,
    )
    return env

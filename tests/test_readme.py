"""The README starts with the two commands a newcomer runs, and CI runs the second one."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT


def _first_block() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None, "the README has no shell block"
    assert text.index("```sh") < text.index("\n## "), "the commands come before any section"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_opens_with_exactly_two_commands():
    install_and_demo, install_and_test = _first_block()
    assert install_and_demo.endswith("casedesk demo")
    assert install_and_test.endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == _first_block()[1]

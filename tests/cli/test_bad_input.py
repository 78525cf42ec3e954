"""Bad input changes nothing and says what is wrong in one line, exit 2 (issue: headless ingest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbdump import dump
from tests.native import native

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2"><TestResult>&lol9;</TestResult></Benchmark>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2">&x;</Benchmark>"""


def _bad_inputs(samples: Path) -> dict[str, tuple[bytes, str]]:
    """name → (bytes, a phrase the one-line error must contain)."""
    real = (samples / "inspec" / "nginx-baseline-good.json").read_bytes()
    return {
        "empty file": (b"", "empty"),
        "only whitespace": (b" \n\t\n", "empty"),
        "truncated JSON": (real[: len(real) // 2], "truncated JSON"),
        "JSON of another kind": (
            b'{"name": "left-pad", "version": "1.3.0"}',
            "not a report format",
        ),
        "a JSON number": (b"42", "a JSON number"),
        "plain text": (b"hello, this is not a report\n", "not JSON or XML"),
        "binary garbage": (bytes(range(256)) * 64, "binary"),
        "invalid UTF-8": (b'{"casedesk_report": 1, "assets": ["\xff\xfe"]}', "not UTF-8"),
        "a 100 MB single string": (b'"' + b"A" * (100 * 1024 * 1024) + b'"', "a JSON string"),
        "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "nested"),
        "XML entity bomb": (BILLION_LAUGHS, "entit"),
        "XML external entity": (EXTERNAL_ENTITY, "entit"),
        "SARIF with no runs": (
            b'{"$schema": "https://json.schemastore.org/sarif-2.1.0.json",'
            b' "version": "2.1.0", "runs": []}',
            "no runs",
        ),
        "native report with a bad status": (
            native({"h": {"a": "maybe"}}).replace(b'"maybe"', b'"maybe"'),
            "status",
        ),
    }


@pytest.fixture
def seeded(cli, samples):
    """A database that already holds a real report, so 'nothing changed' means something."""
    cli.ok("--ingest", samples / "inspec" / "nginx-baseline-good.json")
    return cli


CASES = [
    "empty file",
    "only whitespace",
    "plain text",
    "truncated JSON",
    "JSON of another kind",
    "a JSON number",
    "binary garbage",
    "invalid UTF-8",
    "a 100 MB single string",
    "deep nesting",
    "XML entity bomb",
    "XML external entity",
    "SARIF with no runs",
    "native report with a bad status",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_changes_nothing_and_says_why_in_one_line(
    case, seeded, samples, db_url, tmp_path
):
    data, phrase = _bad_inputs(samples)[case]
    bad = tmp_path / "bad-report"
    bad.write_bytes(data)
    before = dump(db_url)
    run = seeded("--ingest", bad)
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.startswith(f"casedesk: {bad}: ")
    assert run.stderr.count("\n") == 1 and len(run.stderr) < 400
    assert phrase in run.stderr
    assert dump(db_url) == before


def test_one_bad_file_among_good_ones_writes_nothing(seeded, samples, db_url, tmp_path):
    bad = tmp_path / "truncated.json"
    bad.write_bytes(b'{"matches": [')
    before = dump(db_url)
    run = seeded("--ingest", samples / "inspec" / "nginx-baseline-bad.json", bad)
    assert run.code == 2
    assert dump(db_url) == before


def test_missing_file_is_a_usage_error(seeded, tmp_path):
    run = seeded("--ingest", tmp_path / "nope.json")
    assert (run.code, run.stderr) == (2, f"casedesk: {tmp_path / 'nope.json'}: no such file\n")


def test_asset_option_with_several_assets_is_refused(seeded, db_url):
    before = dump(db_url)
    run = seeded(
        "--ingest", "-", "--asset", "x", stdin=native({"h1": {"a": "pass"}, "h2": {"a": "pass"}})
    )
    assert run.code == 2
    assert "--asset applies to a report with one asset; this one has 2" in run.stderr
    assert dump(db_url) == before


def test_bad_at_is_a_usage_error(seeded):
    run = seeded("--ingest", "-", "--at", "yesterday", stdin=native({"h": {"a": "pass"}}))
    assert run.code == 2
    assert "--at 'yesterday': not an ISO 8601 time" in run.stderr


def test_terminal_escapes_in_errors_are_stripped(seeded, tmp_path):
    hostile = tmp_path / "x.json"
    hostile.write_bytes(b'{"\x1b]0;pwned\x07\x1b[31mred": 1}')
    run = seeded("--ingest", hostile)
    assert run.code == 2
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr

"""Ingest at the edge: what a hostile or mistaken report, option or clock must not do."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

import casedesk.ingest_command
from integrations.scanners.timestamps import parse_timestamp
from store.engine import make_engine, read_session
from store.models import Asset, Finding, Space
from tests.dbdump import dump
from tests.native import native

NOW = "2026-03-01T12:00:00Z"


@pytest.fixture
def seeded(cli):
    cli.ok("--ingest", "-", "--at", "2026-03-01T08:00:00Z", stdin=native({"h1": {"a": "pass"}}))
    return cli


def finding_keys(db_url: str) -> list[str]:
    with read_session(make_engine(db_url)) as session:
        return sorted(session.scalars(select(Finding.key)))


@pytest.mark.parametrize(
    ("scanned_at", "phrase"),
    [
        ("2099-01-01T00:00:00Z", "scanned at 2099-01-01 00:00 UTC, later than the clock"),
        ("9999-12-31T23:00:00Z", "scanned at 9999-12-31 23:00 UTC, later than the clock"),
    ],
)
def test_a_report_dated_after_the_clock_is_refused_and_writes_nothing(
    seeded, db_url, tmp_path, scanned_at, phrase
):
    good = tmp_path / "good.json"  # comes first in the command, and is not written either
    good.write_bytes(native({"h2": {"a": "pass"}}, scanned_at="2026-03-01T09:00:00Z"))
    before = dump(db_url)
    report = native({"h1": {"a": "fail"}}, scanned_at=scanned_at)
    run = seeded("--ingest", good, "-", "--at", NOW, stdin=report)
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and phrase in run.stderr
    assert dump(db_url) == before


def test_a_scanner_clock_a_few_hours_ahead_is_accepted(seeded):
    report = native({"h1": {"a": "fail"}}, scanned_at="2026-03-01T20:00:00Z")  # 8 h ahead
    assert seeded.ingest_json("-", "--at", NOW, stdin=report)["reports"][0]["drift"] == 1


def test_gos_zero_time_means_undated():
    assert parse_timestamp("0001-01-01T00:00:00Z") is None
    assert parse_timestamp("2026-03-01T08:00:00.123456789Z").microsecond == 123456


@pytest.mark.parametrize(
    ("key", "phrase"),
    [
        ("evil\x1b]0;PWNED\x07", "--asset must be printable text"),
        ("two\nlines", "--asset must be printable text"),
        ("x" * 1001, "--asset is longer than 1000 characters"),
        (" ", "--asset needs a non-empty key"),
    ],
)
def test_a_hostile_asset_option_is_refused(seeded, db_url, key, phrase):
    before = dump(db_url)
    run = seeded("--ingest", "-", "--asset", key, stdin=native({"h9": {"a": "pass"}}))
    assert (run.code, run.stderr.count("\n")) == (2, 1)
    assert phrase in run.stderr and "\x1b" not in run.stderr
    assert dump(db_url) == before


def test_long_keys_that_differ_at_the_end_stay_two_findings(cli, db_url):
    one, two = "C" * 10_000 + "-1", "C" * 10_000 + "-2"
    report = native({"h1": {one: "fail", two: "pass"}})
    assert cli.ingest_json("-", stdin=report)["reports"][0]["results"] == 2
    keys = finding_keys(db_url)
    assert len(keys) == 2 and keys[0] != keys[1]
    assert all(len(key) == 1000 and key.startswith("C" * 987 + "…") for key in keys)


def test_a_finding_id_that_is_only_an_escape_sequence_is_refused(cli, tmp_path):
    report = native({"h1": {"\x1b[31m": "fail"}})
    run = cli("--ingest", "-", stdin=report)
    assert run.code == 2
    assert "the report names a finding with an empty id" in run.stderr
    assert not (tmp_path / "casedesk.db").exists() or finding_keys(cli.db_url) == []


def test_bidi_overrides_are_removed_from_report_text(cli, db_url):
    title = "invoice \u202egpj.exe\u202c and \u2067isolated\u2069"
    cli.ok("--ingest", "-", stdin=native({"h1": {"a": "pass"}}, titles={"a": title}))
    with read_session(make_engine(db_url)) as session:
        assert session.scalars(select(Finding.title)).one() == "invoice gpj.exe and isolated"


def test_input_past_the_size_limit_is_refused_before_parsing(seeded, db_url, monkeypatch):
    monkeypatch.setattr(casedesk.ingest_command, "MAX_REPORT_BYTES", 100)
    before = dump(db_url)
    run = seeded("--ingest", "-", stdin=b" " * 101)
    assert run.code == 2
    assert run.stderr.startswith("casedesk: standard input: larger than")
    assert dump(db_url) == before


def test_a_generic_asset_key_is_warned_about_unless_asset_is_given(cli, samples):
    trivy_fs = samples / "trivy/fs-vulns-misconfig-secrets.json"  # ArtifactName "."
    run = cli.ok("--ingest", trivy_fs)
    assert run.stderr == (
        f"casedesk: warning: {trivy_fs}: asset '.' is a generic name; give --asset so scans"
        " of different hosts or repositories stay apart\n"
    )
    assert cli.ok("--ingest", trivy_fs, "--asset", "repo-a").stderr == ""
    sarif = cli.ok("--ingest", samples / "sarif/codeql-2.5.4.sarif")
    assert "asset 'CodeQL:.' is a generic name" in sarif.stderr
    inspec = cli.ok("--ingest", samples / "inspec/nginx-baseline-good.json")
    assert "asset 'centos' is a generic name" in inspec.stderr  # the platform name


def test_ingest_without_space_uses_the_space_the_other_commands_use(cli, db_url, tmp_path):
    settings = tmp_path / "demo.toml"
    settings.write_text("[spaces.demo.settings]\naggregation_window_hours = 0\n")
    cli.ok("settings", "import", settings)  # the only space is "demo"
    cli.ok("--ingest", "-", stdin=native({"h1": {"a": "pass"}}))
    with read_session(make_engine(db_url)) as session:
        assert list(session.scalars(select(Space.name))) == ["demo"]
        assert session.scalars(select(Asset.key)).one() == "h1"


def test_assets_known_from_a_newer_report_are_named_in_the_summary(seeded):
    late = native({"h1": {"a": "fail"}}, scanned_at="2026-03-01T07:00:00Z")
    line = seeded.ok("--ingest", "-", "--at", NOW, stdin=late).stdout
    assert line == (
        "<stdin> (native): 1 asset, 1 result; 0 drift events, 0 fixed; 1 asset left as they"
        " were (a newer report of them is known)\n"
    )
    assert orjson.loads(seeded.ok("cases", "list", "--json").stdout) == []


def test_asset_with_several_reports_is_refused(seeded, samples, db_url):
    before = dump(db_url)
    run = seeded(
        "--ingest",
        samples / "trivy/image-alpine-3.9.json",
        samples / "grype/image-busybox-no-vulns.json",
        "--asset",
        "foo",
    )
    assert (run.code, run.stderr) == (
        2,
        "casedesk: --asset names the asset of one report; ingest one file with it\n",
    )
    assert dump(db_url) == before


def test_a_new_space_beside_others_is_noted_in_case_of_a_typo(seeded):
    run = seeded.ok("--ingest", "-", "--space", "prdo", stdin=native({"h1": {"a": "pass"}}))
    assert run.stderr == "casedesk: note: created space 'prdo' (check --space for a typo)\n"
    again = seeded.ok("--ingest", "-", "--space", "prdo", stdin=native({"h2": {"a": "pass"}}))
    assert again.stderr == ""  # it exists now

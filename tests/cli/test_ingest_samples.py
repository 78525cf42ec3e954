"""Real scanner reports through the real command line: every sample ingests, the sequences drift
exactly as the files say (counts worked out from the files; see each test's comment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES

FORMAT_DIRECTORIES = {
    "cnspec": "cnspec",
    "trivy": "trivy",
    "grype": "grype",
    "sarif": "sarif",
    "xccdf": "xccdf",
    "inspec": "inspec",
}


def _sample_files() -> list[tuple[str, Path]]:
    return [
        (fmt, path)
        for fmt, directory in FORMAT_DIRECTORIES.items()
        for path in sorted((SAMPLES / directory).iterdir())
    ]


@pytest.mark.parametrize(("fmt", "path"), _sample_files(), ids=lambda v: getattr(v, "name", v))
def test_every_sample_ingests_with_exit_0(cli, fmt, path):
    report = cli.ingest_json(path)["reports"][0]
    assert report["format"] == fmt
    assert report["file"] == str(path)
    assert report["duplicate"] is False
    assert report["drift"] == 0  # a first ingest is a baseline


def test_cnspec_mac_pass_then_mixed_is_one_drift(cli, samples):
    # The asset MRN differs between the two files (same host name), hence --asset.
    # pass.json: both checks pass; mixed.json: the sudo-timeout check fails.
    first = cli.ingest_json(samples / "cnspec/jsonv2-mac-pass.json", "--asset", "mac.fritz.box")
    second = cli.ingest_json(samples / "cnspec/jsonv2-mac-mixed.json", "--asset", "mac.fritz.box")
    assert first["reports"][0]["results"] == 2
    assert (second["reports"][0]["drift"], second["reports"][0]["fixed"]) == (1, 0)


def test_trivy_helm_chart_overridden_is_two_drift(cli, samples):
    # MisconfSummary goes 92/6 -> 90/8; the two new failures are KSV-0020 and KSV-0105.
    cli.ingest_json(samples / "trivy/config-helm-testchart.json")
    second = cli.ingest_json(samples / "trivy/config-helm-testchart-overridden.json")["reports"][0]
    assert (second["drift"], second["fixed"]) == (2, 0)


def test_inspec_nginx_good_then_bad_is_three_drift(cli, samples):
    # V-13724, V-13727 and V-13732 pass in the good run and fail in the bad one.
    cli.ingest_json(samples / "inspec/nginx-baseline-good.json")
    second = cli.ingest_json(samples / "inspec/nginx-baseline-bad.json")["reports"][0]
    assert (second["drift"], second["fixed"]) == (3, 0)


def test_inspec_nginx_bad_then_good_is_three_fixed(cli, samples):
    cli.ingest_json(samples / "inspec/nginx-baseline-bad.json")
    second = cli.ingest_json(samples / "inspec/nginx-baseline-good.json")["reports"][0]
    assert (second["drift"], second["fixed"]) == (0, 3)


def test_grype_python_36_then_37_is_27_drift(cli, samples):
    # 27 vulnerability ids are in the 3.7.10 report and not in the 3.6 one (distinct
    # matches[].vulnerability.id); a complete vulnerability scan makes each of them drift.
    cli.ingest_json(samples / "grype/image-python-3.6-large.json", "--asset", "py")
    second = cli.ingest_json(samples / "grype/image-python-3.7.10-large.json", "--asset", "py")
    assert second["reports"][0]["drift"] == 27


def test_the_same_file_twice_is_a_duplicate(cli, samples):
    path = samples / "trivy/image-alpine-3.9.json"
    first = cli.ingest_json(path)["reports"][0]
    second = cli.ingest_json(path)["reports"][0]
    assert first["duplicate"] is False
    assert second == {**first, "duplicate": True, "drift": 0, "fixed": 0}


def test_json_output_has_the_contract_keys(cli, samples):
    document = cli.ingest_json(samples / "inspec/nginx-baseline-good.json")
    assert set(document) == {"reports", "cases"}
    assert set(document["reports"][0]) == {
        "file",
        "format",
        "assets",
        "results",
        "drift",
        "fixed",
        "duplicate",
    }
    assert set(document["cases"]) == {"created", "joined", "finalized", "closed"}
    # nginx-baseline-good.json: one host (centos), 41 distinct controls.
    assert (document["reports"][0]["assets"], document["reports"][0]["results"]) == (1, 41)


def test_standard_input_is_read_for_dash(cli, samples):
    data = (samples / "inspec/nginx-baseline-good.json").read_bytes()
    report = cli.ingest_json("-", stdin=data)["reports"][0]
    assert (report["file"], report["format"], report["results"]) == ("<stdin>", "inspec", 41)


def test_several_files_in_one_command(cli, samples):
    document = cli.ingest_json(
        samples / "inspec/nginx-baseline-good.json", samples / "inspec/nginx-baseline-bad.json"
    )
    assert [report["drift"] for report in document["reports"]] == [0, 3]


def test_human_summary_without_json(cli, samples):
    cli.ok("--ingest", samples / "inspec/nginx-baseline-good.json")
    run = cli.ok("--ingest", samples / "inspec/nginx-baseline-bad.json")
    assert run.stdout == (
        f"{samples / 'inspec/nginx-baseline-bad.json'} (inspec): 1 asset, 41 results; "
        "3 drift events, 0 fixed\n"
        "cases: 3 created, 0 joined, 0 finalized, 0 closed\n"
    )

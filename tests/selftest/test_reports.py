"""Reports a CI user can act on, and a token that never leaks into any of them."""

import json

import pytest

from chaser_conformance.reports import find_secret
from chaser_conformance.server import Store, serve_in_thread
from chaser_conformance.server.store import seed
from chaser_conformance.settings.secret import Secret
from runner import run_suite, run_suite_forked, target_env

TOKEN = "tok-Zq81-distinctive-never-print-me"
ARTIFACTS = ("junit.xml", "report.html", "summary.json", "summary.md", "failures.jsonl")


def distinctive_store():
    accounts = seed()
    accounts["primary"].token = Secret(TOKEN)
    return Store(accounts)


def test_a_failing_run_writes_every_artifact(tmp_path):
    with serve_in_thread(["missing-id"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    reports = tmp_path / "reports"
    assert run.returncode == 1
    assert sorted(p.name for p in reports.iterdir()) == sorted(ARTIFACTS)
    data = json.loads((reports / "summary.json").read_text())
    assert data["verdict"] == "not conformant" and data["counts"]["failed"] >= 7 and data["counts"]["passed"] > 40
    assert data["seed"] == 20261130 and data["replay"] == "CHASER_SEED=20261130"
    assert data["spec"]["hash"].startswith("sha256:") and data["target"]["base_url"] == server.base_url
    assert any("401" in a["message"] for a in data["advisories"])
    assert set(data["field_coverage"]) == {
        "/active_connection_leases",
        "/endpoints/video",
        "/persistence",
        "/workspace_id",
    }
    failed = [t for t in data["tests"] if t["outcome"] == "failed"]
    assert all("/id: breaks required (found absent)" in t["message"] or "ST108" in t["message"] for t in failed)
    exchanges = [json.loads(line) for line in (reports / "failures.jsonl").read_text().splitlines()]
    # The credential as sent, masked: the scheme stays, so the entry says a token was sent.
    assert exchanges and all(e["request"]["headers"].get("Authorization") == "Bearer ****" for e in exchanges)
    failed_ids = {t["test"] for t in failed}
    assert {e["test"] for e in exchanges} == failed_ids  # each failing exchange names its test
    assert all(e["curl"].startswith("curl -i -X GET ") and "Bearer $CHASER_API_TOKEN" in e["curl"] for e in exchanges)
    markdown = (reports / "summary.md").read_text()
    assert "# Chaser conformance: not conformant" in markdown and "## Failures" in markdown
    html = (reports / "report.html").read_text()
    assert "Chaser conformance" in html and "CHASER_SEED=20261130" in html and "Field coverage" in html
    assert "/id: breaks required (found absent)" in html and "Bearer ****" in html
    assert "reports (in " in run.output and "verdict: not conformant: " in run.output


def test_field_states_never_seen_are_flagged_as_advisories(tmp_path):
    with serve_in_thread(["all-nullable-null"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    assert run.returncode == 0
    data = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert "/workspace_id never seen value" in data["coverage_gaps"]
    assert (
        "advisory: /workspace_id never seen value: the schema check passed without ever seeing that state" in run.output
    )


LEAKY_FAULTS = [
    "missing-id",
    "query-token-reads",
    "no-token-reads",
    "any-bearer-reads",
    "unusual-id-no-answer",
    "404-text-html",
    "401-no-challenge",
    "200-text-plain",
    "405-no-allow",
    "cross-account",
]


@pytest.mark.parametrize("fault", LEAKY_FAULTS)
def test_the_token_appears_in_no_output_whatever_fails(tmp_path, fault):
    with serve_in_thread([fault], store=distinctive_store()) as server:
        env = target_env(server) | {"CHASER_API_TOKEN": TOKEN}
        run = run_suite_forked(tmp_path, env, ["--tb=long", "--showlocals", "-vv", "-rA"])
    assert run.returncode == 1, run.output[-3000:]
    assert TOKEN not in run.output
    assert find_secret([tmp_path / "reports"], TOKEN) == []
    assert "SECRET LEAK" not in run.output


def test_the_token_appears_in_no_output_of_a_real_command_line_run(tmp_path):
    with serve_in_thread(["missing-id", "query-token-reads"], store=distinctive_store()) as server:
        run = run_suite(tmp_path, target_env(server) | {"CHASER_API_TOKEN": TOKEN}, ["--tb=long", "--showlocals"])
    assert run.returncode == 1 and TOKEN not in run.output
    assert find_secret([tmp_path / "reports"], TOKEN) == []


def test_a_token_found_in_a_report_of_the_run_fails_it_and_names_the_file(tmp_path):
    # A plugin writes the token into this run's JUnit (as a test property).
    with serve_in_thread(store=distinctive_store()) as server:
        env = target_env(server) | {"CHASER_API_TOKEN": TOKEN, "LEAKY_TEXT": TOKEN}
        run = run_suite_forked(tmp_path, env, ["-p", "leaky_plugin"])
    assert run.returncode == 70, run.output[-3000:]
    assert f"SECRET LEAK: the token was written to {tmp_path / 'reports' / 'junit.xml'}" in run.output
    assert TOKEN not in run.output


def test_files_this_run_did_not_write_are_neither_scanned_nor_removed(tmp_path):
    # The README's order: `run.py selftest` writes its reports under reports/, then a live run.
    reports = tmp_path / "reports"
    others = {
        reports / "left-over.log": f"Authorization: Bearer {TOKEN}\n",
        reports / "selftest" / "report.html": TOKEN,
    }
    for path, text in others.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    with serve_in_thread(store=distinctive_store()) as server:
        run = run_suite_forked(tmp_path, target_env(server) | {"CHASER_API_TOKEN": TOKEN})
    assert run.returncode == 0, run.output[-3000:]
    assert "SECRET LEAK" not in run.output and TOKEN not in run.output
    assert {path: path.read_text() for path in others} == others
    assert json.loads((reports / "summary.json").read_text())["verdict"] == "conformant"


def test_find_secret_searches_files_and_directories(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("nothing")
    (tmp_path / "a" / "y.bin").write_bytes(b"\x00" + TOKEN.encode())
    single = tmp_path / "z.xml"
    single.write_text(TOKEN)
    assert find_secret([tmp_path / "a", single], TOKEN) == [tmp_path / "a" / "y.bin", single]


def test_the_secret_type_masks_every_repr_but_keeps_its_value():
    secret = Secret(TOKEN)
    assert TOKEN not in repr(secret) and TOKEN not in repr({"Authorization": secret}) and TOKEN not in f"{secret!r}"
    assert str(secret) == TOKEN and secret == TOKEN and f"Bearer {secret}" == f"Bearer {TOKEN}"

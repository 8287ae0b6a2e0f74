"""A run that does not finish says so in every report it can write, and no earlier run's report
survives it: Ctrl-C and SIGTERM (serially and under -n), a usage error, an unreachable target."""

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from chaser_conformance.server import Latency
from chaser_conformance.server.app import ReferenceApp, RunningServer
from runner import ROOT, target_env

STALE = '{"verdict": "conformant", "verdict_line": "conformant: 71 passed"}'


def start(tmp_path, env, args=()):
    reports = tmp_path / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "summary.json").write_text(STALE)  # an earlier run's, which must not survive
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return reports, subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=clean | {"CHASER_REPORTS_DIR": str(reports), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(process, seen):
    """The output up to the point where `seen(output)` is true (the run is under way)."""
    out = []
    while (ch := process.stdout.read(1)) and not seen("".join(out)):
        out.append(ch)
    return "".join(out)


def slow_server():
    # 5 ms per answer: the ci profile then runs for a minute, long enough to be interrupted.
    return RunningServer(ReferenceApp(latency=Latency(5)), quiet=True).start()


@pytest.mark.parametrize(
    "signum,args",
    [(signal.SIGINT, ()), (signal.SIGTERM, ()), (signal.SIGTERM, ("-n", "2"))],
    ids=["sigint", "sigterm", "sigterm-n2"],
)
def test_an_interrupted_run_reports_interrupted_and_lists_every_test_not_run(tmp_path, signum, args):
    server = slow_server()
    try:
        env = target_env(server) | {"CHASER_PROFILE": "ci"}
        reports, process = start(tmp_path, env, [*args, "-v"])
        head = read_until(process, lambda out: " PASSED" in out)  # a test has passed: mid-run
        process.send_signal(signum)
        output = head + process.communicate(timeout=120)[0]
    finally:
        server.stop()
    assert process.returncode == 2, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and f"verdict: {summary['verdict_line']}" in output
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: interrupted: ")
    assert "Verdict: interrupted: " in (reports / "report.html").read_text()
    outcomes = {t["test"]: t["outcome"] for t in summary["tests"]}
    assert summary["counts"]["skipped"] > 40 and "failed" not in outcomes.values()
    assert all("did not run" in t["reason"] for t in summary["not_run"])
    assert not summary["coverage_gaps"]  # an unfinished run claims nothing about what it never saw
    cases = list(ET.parse(reports / "junit.xml").getroot().iter("testcase"))
    named = {c.get("name") for c in cases if c.get("name")}
    assert {t.split("::", 1)[1] for t in outcomes} <= named
    assert len(cases) == len(outcomes) and all(c.get("name") for c in cases)  # one named case per test


def test_a_usage_error_replaces_an_earlier_summary_with_its_own(tmp_path):
    reports, process = start(tmp_path, {"CHASER_BASE_URL": "ftp://example.test"})
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 4 and "Traceback" not in output
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "usage error" and "is not an http:// or https:// URL" in summary["verdict_line"]
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: usage error")


def test_an_unreachable_target_replaces_an_earlier_summary_with_its_own(tmp_path):
    env = {"CHASER_BASE_URL": "http://127.0.0.1:9", "CHASER_API_TOKEN": "t0ken", "CHASER_SESSION_ID": "s1"}
    reports, process = start(tmp_path, env)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 69 and "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith("Exit: chaser: target unreachable: http://127.0.0.1:9: ")
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "unreachable"
    assert sorted(p.name for p in reports.iterdir()) == ["summary.json", "summary.md"]

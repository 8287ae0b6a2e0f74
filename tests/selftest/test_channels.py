"""Six channels, one story: pytest's own lines, the suite's terminal summary, junit.xml,
report.html, summary.json and summary.md must give every test the same outcome."""

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest

from chaser_conformance.server import serve_in_thread
from runner import run_suite_forked, target_env

PYTEST_WORDS = {
    "PASSED": "passed",
    "FAILED": "failed",
    "ERROR": "error",
    "SKIPPED": "skipped",
    "XFAIL": "waived",
    "XPASS": "xpassed",
}
HTML_WORDS = {
    "Passed": "passed",
    "Failed": "failed",
    "Error": "error",
    "Skipped": "skipped",
    "XFailed": "waived",
    "XPassed": "xpassed",
}
WORST_FIRST = ("error", "failed", "waived", "xpassed", "skipped", "passed")


def worst(outcomes):
    return min(outcomes, key=WORST_FIRST.index)


def name(nodeid):
    return nodeid.split("::", 1)[1]


def from_pytest(output):
    found = {}
    for line in output.splitlines():
        # chaser::...: the run's own test of the reads no test made (the pre-flight, the probes).
        m = re.match(r"^((?:tests/conformance/\S+?|chaser)::.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", line)
        if m:
            found.setdefault(name(m.group(1)), []).append(PYTEST_WORDS[m.group(2)])
    return {k: worst(v) for k, v in found.items()}


def pytest_counts(output):
    last = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|skipped)", line)][-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}
    return {
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0),
        "error": counts.get("errors", counts.get("error", 0)),
        "skipped": counts.get("skipped", 0),
        "waived": counts.get("xfailed", 0),
        "xpassed": counts.get("xpassed", 0),
    }


def from_junit(path):
    found = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = {child.tag: child for child in case}
        if "error" in kinds:
            outcome = "error"
        elif "failure" in kinds:
            outcome = "failed"
        elif "skipped" in kinds:
            outcome = "waived" if kinds["skipped"].get("type") == "pytest.xfail" else "skipped"
        else:
            outcome = "passed"
        found[case.get("name")] = outcome
    return found


def from_html(path):
    blob = re.search(r'data-jsonblob="([^"]*)"', path.read_text()).group(1)
    tests = json.loads(html.unescape(blob))["tests"]
    return {name(nodeid): worst([HTML_WORDS[r["result"]] for r in results]) for nodeid, results in tests.items()}


def from_json(path):
    data = json.loads(path.read_text())
    return {name(t["test"]): t["outcome"] for t in data["tests"]}, data


def from_markdown(path):
    sections, current = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:]
        m = re.match(r"^\s*- `([^`]+::[^`]+)`", line)
        if m and current:
            sections.setdefault(current, set()).add(name(m.group(1)))
    return path.read_text().splitlines()[0], sections


SCENARIOS = {
    "failing-fault": (["missing-id"], {}),
    "conformant-variant": (["pretty-json"], {}),
    # Empty, as a CI secret that does not exist arrives: read as unset, so the test that needs it is skipped.
    "with-a-skip": ([], {"CHASER_FOREIGN_SESSION_ID": ""}),
}


@pytest.mark.parametrize("switches,env", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_every_channel_tells_each_test_the_same_outcome(tmp_path, switches, env):
    with serve_in_thread(switches) as server:
        environment = {k: v for k, v in (target_env(server) | env).items() if v is not None}
        run = run_suite_forked(tmp_path, environment, ["-v"])
    reports = tmp_path / "reports"
    outcomes, data = from_json(reports / "summary.json")
    assert from_pytest(run.output) == outcomes
    assert from_junit(reports / "junit.xml") == outcomes
    assert from_html(reports / "report.html") == outcomes
    assert pytest_counts(run.output) == data["counts"]

    terminal = re.search(r"^verdict: (.*)$", run.output, re.M).group(1)
    heading, sections = from_markdown(reports / "summary.md")
    assert heading == f"# Chaser conformance: {terminal}" and terminal == data["verdict_line"]
    assert f"Verdict: {html.escape(terminal)}" in (reports / "report.html").read_text()
    failing = {t for t, o in outcomes.items() if o in ("failed", "error")}
    skipped = {t for t, o in outcomes.items() if o == "skipped"}
    assert sections.get("Failures by cause", set()) == failing
    assert sections.get("Did not run", set()) == skipped
    # One line per reason with its count (pytest's SKIPPED lines name each test).
    assert sum(int(n) for n in re.findall(r"^  did not run \((\d+) tests?\): ", run.output, re.M)) == len(skipped)
    assert run.returncode == (1 if failing else 0)
    if switches == ["missing-id"]:
        generated = [o for t, o in outcomes.items() if t.startswith("test_generated_requests_conform_part_")]
        assert "failed" in generated
    if skipped:
        assert data["verdict_line"].endswith(f"{len(skipped)} did not run")
        assert "CHASER_FOREIGN_SESSION_ID" in data["not_run"][0]["reason"]
        assert "  set but empty, so read as unset: CHASER_FOREIGN_SESSION_ID\n" in run.output

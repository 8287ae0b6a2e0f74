"""One defect, one cause: a server that answers every unknown id with a session fails dozens of
tests (explicit and generated, any id, any method), and every channel shows one cause for it."""

import json
import re
import xml.etree.ElementTree as ET

from chaser_conformance.server import serve_in_thread
from runner import run_suite_forked, target_env

LABEL = "[unknown id read]"


def test_one_defect_that_many_tests_see_is_one_cause_in_every_channel(tmp_path):
    with serve_in_thread(["any-id-200"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    reports = tmp_path / "reports"
    assert run.returncode == 1
    summary = json.loads((reports / "summary.json").read_text())
    failed = {t["test"] for t in summary["tests"] if t["outcome"] == "failed"}
    assert len(failed) > 10 and len(summary["causes"]) == 1
    assert set(summary["causes"][0]["tests"]) == failed and summary["causes"][0]["rule"] == "unknown id read"
    assert len(re.findall(r"^cause \d+ of \d+: ", run.output, re.M)) == 1
    assert f"cause 1 of 1: {LABEL} " in run.output
    markdown = (reports / "summary.md").read_text()
    assert markdown.count("\n### ") == 1 and f"### 1. \\{LABEL[:-1]}\\]" in markdown
    html = (reports / "report.html").read_text()
    assert "Failures by cause (1)" in html and html.count("<h3>1. ") == 1
    for case in ET.parse(reports / "junit.xml").getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            labels = set(re.findall(r"^  - (\[[^\]]+\])", failure.text or failure.get("message", ""), re.M))
            assert labels == {LABEL}, (case.get("name"), labels)
    lines = [json.loads(line) for line in (reports / "failures.jsonl").read_text().splitlines()]
    assert {e["test"] for e in lines} == failed
    assert {(p["rule"], p["pointer"]) for e in lines for p in e["problems"] if p["own"]} == {("unknown id read", "")}

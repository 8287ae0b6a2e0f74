"""Diagnosis before verdict, and failures a person can read: one line naming the setting that is
likely wrong leads the report; failures are grouped by cause, each with one reproduction."""

import html
import json
import re
import socket
import xml.etree.ElementTree as ET

import pytest

from chaser_conformance.server import serve_in_thread
from hostile import Answer, HostileServer
from runner import run_suite_forked, target_env
from test_channels import from_html, from_json, from_junit, pytest_counts


def diagnosis_of(run, reports):
    section = run.output.split("failures by cause", 1)[-1]
    found = re.search(r"^DIAGNOSIS: (.*)$", section, re.M)
    summary = json.loads((reports / "summary.json").read_text())
    markdown = (reports / "summary.md").read_text().splitlines()
    return found.group(1) if found else None, summary, markdown


@pytest.mark.parametrize(
    "setting,env,words",
    [
        (
            "wrong-token",
            {"CHASER_API_TOKEN": "tok-not-the-right-one"},
            "the token (api_token from env CHASER_API_TOKEN)",
        ),
        (  # and no foreign session: pytest's short summary lists a skip, which the diagnosis follows
            "unknown-sessions",
            {"CHASER_SESSION_ID": "ses_gone_1,ses_gone_2", "CHASER_FOREIGN_SESSION_ID": ""},
            "none of the sessions ses_gone_1",
        ),
        ("wrong-base-path", {"CHASER_BASE_URL": "{base}/api"}, "probably has a wrong path prefix"),
        (  # one stale id among four: named, and the others said to read
            "one-stale-session",
            {"CHASER_SESSION_ID": "{ids},ses_stale_1"},
            "session id 'ses_stale_1' is not readable with this token (404), the other three are "
            "(session_id from env CHASER_SESSION_ID): check it",
        ),
    ],
)
def test_a_configuration_mistake_is_diagnosed_first_and_still_fails(tmp_path, setting, env, words):
    with serve_in_thread() as server:
        ids = ",".join(server.app.store.primary.sessions)
        environment = target_env(server) | {k: v.format(base=server.base_url, ids=ids) for k, v in env.items()}
        run = run_suite_forked(tmp_path, environment, ["-rsxX"])  # as a user runs it (the runner adds -rA)
    reports = tmp_path / "reports"
    line, summary, markdown = diagnosis_of(run, reports)
    assert run.returncode == 1  # a wrong token cannot be told from a server that refuses good ones
    assert line is not None and words in line, run.output[-3000:]
    # It leads: the first line of the failures section, and the first block of summary.md after the title.
    section = run.output.split("failures by cause", 1)[1].splitlines()
    assert [s for s in section[1:] if s.strip()][0] == f"DIAGNOSIS: {line}"
    assert summary["diagnosis"] == line and markdown[4] == f"> **Diagnosis:** {line}"
    # And before any test, from one read of each known session: in the header, at the top of the run.
    header = run.output.split("collected", 1)[0]
    assert "chaser DIAGNOSIS (a first read of each session): " in header and words in header
    # The failures it explains are grouped under it, not repeated test by test.
    explained = [c for c in summary["causes"] if c["explained_by_diagnosis"]]
    assert explained and sum(len(c["tests"]) for c in explained) >= 5
    assert len(run.output.splitlines()) < 150
    # The verdict blames the setup, not the API, in every channel; each test's outcome still agrees.
    assert all(c["explained_by_diagnosis"] for c in summary["causes"])
    outcomes, data = from_json(reports / "summary.json")
    assert from_junit(reports / "junit.xml") == from_html(reports / "report.html") == outcomes
    assert pytest_counts(run.output) == data["counts"]  # pytest's own closing line
    verdict_line = re.search(r"^verdict: (.*)$", run.output, re.M).group(1)
    assert data["verdict"] == "misconfigured" and verdict_line == data["verdict_line"]
    assert verdict_line.startswith("misconfigured: ") and f"{summary['counts']['failed']} failed" in verdict_line
    assert markdown[0] == f"# Chaser conformance: {verdict_line}"
    assert f"Verdict: {html.escape(verdict_line)}" in (reports / "report.html").read_text()
    properties = {p.get("name"): p.get("value") for p in ET.parse(reports / "junit.xml").iter("property")}
    assert properties["chaser_verdict"] == "misconfigured" and properties["chaser_verdict_line"] == verdict_line
    assert properties["chaser_diagnosis"] == line
    # The diagnosis is the last screen's last word: only pytest's own closing lines follow it, and
    # no advisory that follows from the mistake (a 401 to every read, states never seen) buries it.
    tail = re.split(r"^=+ chaser conformance =+$", run.output, flags=re.M)[-1].splitlines()
    after = tail[[i for i, t in enumerate(tail) if t.startswith("DIAGNOSIS: ")][-1] + 1 :]
    assert all(t.startswith(("-", "=")) for t in after if t.strip()), after
    if setting == "unknown-sessions":
        assert "SKIPPED [1]" in run.output.rsplit("DIAGNOSIS: ", 1)[0].split("short test summary info")[1]
    assert not [t for t in tail if t.startswith("  [") or "advisory:" in t], tail
    assert data["advisories"] == [] and "## Advisories" not in "\n".join(markdown)


def test_a_server_that_loses_one_configured_session_is_told_apart_from_nothing(tmp_path):
    # From outside, an existing session the server answers 404 for is a stale id in the settings:
    # the run names the id and says both, and still fails.
    with serve_in_thread(["existing-404"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    line, summary, _ = diagnosis_of(run, tmp_path / "reports")
    assert run.returncode == 1 and summary["verdict"] == "misconfigured"
    assert line.startswith("session id 'ses_minimal' is not readable with this token (404), the other two are")
    assert line.endswith("if right, the server lost what it should read")


@pytest.mark.parametrize("switches", [["missing-id"], []])
def test_a_server_fault_or_a_conformant_server_gets_no_diagnosis(tmp_path, switches):
    with serve_in_thread(switches) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    line, summary, _ = diagnosis_of(run, tmp_path / "reports")
    assert line is None and summary["diagnosis"] is None
    assert summary["verdict"] == ("not conformant" if switches else "conformant")
    assert run.returncode == (1 if switches else 0)  # a session answered 404 that exists still fails


def test_a_broken_server_reads_in_under_300_lines_with_every_cause_reproduced(tmp_path):
    with serve_in_thread(["missing-id", "unknown-id-500", "405-no-allow", "404-text-html"]) as server:
        run = run_suite_forked(tmp_path, target_env(server), ["-rsxX"])  # as a user runs it (the runner adds -rA)
    reports = tmp_path / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    failed = summary["counts"]["failed"]
    lines = run.output.splitlines()
    assert run.returncode == 1 and failed >= 40
    assert len(lines) < 300, f"{len(lines)} lines for {failed} failures"
    causes = summary["causes"]
    assert len(re.findall(r"^cause \d+ of \d+: ", run.output, re.M)) == len(causes) >= 3
    # Every failed test is under a cause (one that breaks two rules is under both).
    assert len({t for c in causes for t in c["tests"]}) == failed
    assert all(re.search(r"reproduce: curl -(i -X|I) ", c["example"]) for c in causes)  # -I: a HEAD
    assert run.output.count("reproduce: curl") == len(causes)  # once per cause, not once per test
    assert max(len(line) for line in lines) < 400, max(lines, key=len)  # 4 KB ids are elided in the middle
    markdown = (reports / "summary.md").read_text()
    assert markdown.count("### ") == len(causes) and markdown.count("reproduce: curl") == len(causes)
    for name in ("junit.xml", "report.html", "failures.jsonl", "summary.json"):
        assert f"[{name}]({name})" in markdown


def test_the_long_traceback_style_is_there_on_request(tmp_path):
    with serve_in_thread(["missing-id"]) as server:
        run = run_suite_forked(tmp_path, target_env(server), ["--tb=long"])
    assert "failures by cause" not in run.output and "= FAILURES =" in run.output
    assert "test_known_session_returns_itself_as_valid_sessioninfo" in run.output


def forwarded(base_url):
    """A HostileServer answer that passes each request on to the server at base_url, as sent."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)

    def answer(request):
        with socket.create_connection((host, int(port)), timeout=5) as upstream:
            upstream.sendall(request)
            data = b""
            while chunk := upstream.recv(65536):  # the reference server closes after each answer
                data += chunk
        return Answer(data)

    return answer


@pytest.mark.parametrize("missed", ["no-status-line", "closed-without-answer"])
def test_a_pre_flight_read_without_a_usable_answer_is_a_finding_not_dropped(tmp_path, missed):
    # Every request reaches a conformant server but the first one with the token, the pre-flight's
    # read of the first session: it gets no status line, or nothing at all.
    with serve_in_thread() as server:
        env = target_env(server)
        token = env["CHASER_API_TOKEN"].encode()
        passed_on = forwarded(server.base_url)
        seen = []

        def answer(number, request):
            if token in request and not seen:
                seen.append(number)
                return Answer(b"garbage\r\n\r\n") if missed == "no-status-line" else Answer(silent=True)
            return passed_on(request)

        with HostileServer(answer) as proxy:
            run = run_suite_forked(tmp_path, env | {"CHASER_BASE_URL": proxy.base_url})
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert run.returncode == 1 and summary["verdict"] == "not conformant", run.output[-3000:]
    rule = "broken answer" if missed == "no-status-line" else "no answer"
    assert [c["rule"] for c in summary["causes"]] == [rule], summary["causes"]
    assert run.failed == ["reads_outside_the_tests"], run.failed


def test_the_pre_flight_spends_only_its_share_of_the_request_cap():
    from chaser_conformance.checks.diagnosis import PREFLIGHT_SHARE, Diagnostician
    from chaser_conformance.settings.secret import Secret
    from chaser_conformance.transport.client import ApiClient, RunLimits
    from chaser_conformance.transport.target import Target

    limits = RunLimits(50)
    with serve_in_thread() as server:
        store = server.app.store
        ids = (*store.primary.sessions, *(f"ses_extra_{n}" for n in range(30)))
        target = Target(server.base_url, Secret(str(store.primary.token)), ids, None, embedded=False)
        timeouts = {"connect_timeout": 5, "read_timeout": 5}
        doctor = Diagnostician(
            target, lambda: ApiClient(target.base_url, target.token, limits=limits, **timeouts), lambda s: "env"
        )
        doctor.preflight()
    share = int(50 * PREFLIGHT_SHARE)
    assert limits.sent == share and doctor.not_read == len(ids) - share

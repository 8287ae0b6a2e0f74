"""Whatever a target sends, the run ends with a designed answer: findings (exit 1) or a target that
stopped answering (exit 69), reports of this run in every file, never a traceback, never the token.

The targets are raw sockets (hostile.py) that answer with HTTP no framework would send. A coverage
phase tries each class of hostile answer once; Hypothesis then composes them (status line, header
count and size, framing, encoding, early close, slow trickle), seeded, so CI runs the same cases."""

import gzip
import json
import re
import resource
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import Answer, HostileServer, response
from runner import run_suite_forked

TOKEN = "tok-hostile-Zq81-never-print-me"
BODY = (
    b'{"id":"ses_full","created_at":"2026-11-01T09:30:00Z","session_type":"b","status":"r","endpoints":{"control":"c"}}'
)
JSON = b"Content-Type: application/json"
NOT_FOUND = response(status=b"404 Not Found", body=b'{"error": "not_found"}', headers=[JSON])
PEAK_RSS_BOUND_MB = 512
# What a run may take against any of these servers: the exchange deadline and the total wait for
# Retry-After are set low below, so a run that is not bounded by them takes far longer (or hangs
# until the runner's alarm). A bound on liveness, not a speed target.
RUN_BOUND_SECONDS = 150
DEADLINE = "2"
# Characters that act on a terminal or a report rather than show (ESC sequences clear the screen,
# retitle the window, write the clipboard: OSC 52; CR overwrites a line; 0x9b is a one-byte CSI;
# bidirectional controls reorder text): none from the server may reach what a person reads raw.
ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CLEAR_SCREEN = b"\x1b[2J"
PHASES = (
    "part_1_of or known_session_returns or unknown_id_returns or undeclared_method_is_refused "
    "or no_credentials_cannot_read_a_session or learns_nothing or unusual_id_is_not_found"
)  # a run against any of these answers; a SessionInfo run peaks near 150 MB


def hostile_run(tmp_path, answer):
    with HostileServer(answer) as server:
        env = {
            "CHASER_BASE_URL": server.base_url,
            "CHASER_API_TOKEN": TOKEN,
            "CHASER_SESSION_ID": "ses_full",
            "CHASER_SEED": "20261130",
            "CHASER_READ_TIMEOUT": "2",
            "CHASER_EXCHANGE_DEADLINE": DEADLINE,
            "CHASER_RETRY_AFTER_TOTAL": "2",
        }
        # Every phase meets the hostile answer (reachability, the first read of each session, a
        # generated part, explicit tests of each kind, the diagnosis, the reports), in a third of
        # the time of the whole suite.
        started = time.monotonic()
        run = run_suite_forked(tmp_path, env, ["-k", PHASES])
        took = time.monotonic() - started
        assert took < RUN_BOUND_SECONDS, f"the run took {took:.0f} s: {run.output[-2000:]}"
        return run


def assert_designed_answer(tmp_path, run):
    assert run.returncode in (1, 69), run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    reports = tmp_path / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    # Exit 1 is findings; "misconfigured" when the diagnosis explains them all (a server that answers
    # every path with 404, slow-trickle's, looks like a wrong path prefix: the suite used to call it
    # "not conformant" only through a false "[no answer]" of its own, a pooled connection reused after
    # the server had closed it).
    verdicts = ("unreachable",) if run.returncode == 69 else ("not conformant", "misconfigured")
    assert summary["verdict"] in verdicts
    if run.output.startswith("Exit: chaser: target unreachable: "):
        # Before any test: one line, and the verdict in the summaries (no test to put in JUnit or HTML).
        assert len(run.output.strip().splitlines()) == 1 and (reports / "summary.md").is_file()
    else:
        assert f"verdict: {summary['verdict_line']}" in run.output
        for name in ("junit.xml", "report.html", "summary.md", "failures.jsonl"):
            assert (reports / name).is_file()
    assert TOKEN not in run.output
    assert_inert("the terminal", run.output)
    for name in ("summary.md", "report.html"):
        if (reports / name).is_file():
            assert_inert(name, (reports / name).read_text(errors="replace"))
    for path in reports.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path.name
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < PEAK_RSS_BOUND_MB
    if summary["verdict"] == "not conformant":
        assert summary["causes"], summary
        assert all("Traceback" not in c["title"] for c in summary["causes"])
    return summary


def assert_inert(where, text):
    found = ACTING.search(text)
    assert found is None, (
        f"{where} shows a raw {found.group(0)!r}: ...{text[max(0, found.start() - 200) : found.end() + 80]!r}"
    )


# A SessionInfo whose strings and one member name carry escape sequences (valid JSON: \u001b).
ESCAPED_JSON = (
    b'{"id":"ses_full","created_at":"2026-11-01T09:30:00Z","session_type":"\\u001b]0;title\\u0007",'
    b'"status":"\\u001b[31mred\\u009b2J","endpoints":{"control":"c"},"\\u001b[2Jnote":"\\u202egnp.exe"}'
)
CLASSES = {
    "body-shorter-than-content-length": Answer(response(body=BODY, content_length=len(BODY) + 1000, headers=[JSON])),
    "random-bytes": Answer(b"\x00\xff\x13garbage\r\n\r\n"),
    "no-status-line": Answer(BODY),
    "ten-thousand-headers": Answer(response(body=BODY, headers=[b"X-H%d: 1" % i for i in range(10_000)])),
    "header-line-too-long": Answer(response(body=BODY, headers=[b"X-Long: " + b"a" * 70_000])),
    "broken-chunked": Answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + JSON + b"\r\n\r\nzz\r\n{}"),
    "gzip-that-is-not": Answer(response(body=b"not gzip", headers=[JSON, b"Content-Encoding: gzip"])),
    "closes-without-answer": Answer(silent=True),
    "answers-once-then-closes": lambda n, request: (
        Answer(response(status=b"404 Not Found", body=b"{}", headers=[JSON])) if n == 0 else Answer(silent=True)
    ),
    "slow-trickle": Answer(response(status=b"404 Not Found", body=b"{}", headers=[JSON]), trickle=0.001),
    # Control characters in the reason phrase, a header and a body that is not JSON (raw ESC bytes)...
    "control-characters": Answer(
        response(
            status=b"404 Not\x1b]0;pwned\x07 Found",
            headers=[JSON, b"X-Note: " + CLEAR_SCREEN + b"cleared\x9b2J"],
            body=b"\x1b]52;c;ZXZpbA==\x07" + CLEAR_SCREEN + b'\r{"error": "gone"}\x1b[31m',
        )
    ),
    # ... and in the strings and a member name of a JSON body (escaped, as JSON allows).
    "control-characters-in-json": Answer(
        response(body=ESCAPED_JSON, headers=[JSON, b"X-Trace: \x1b]8;;http://evil.example/\x07link"])
    ),
    # Past the exchange's deadline: a byte every 0.2 s; a body that never ends; interim answers
    # without end; and, now and then only, a slow answer (the run goes on: a finding each).
    "trickled-status-line": Answer(NOT_FOUND, trickle=0.2),
    "trickled-body-without-end": Answer(b"HTTP/1.1 404 Not Found\r\n" + JSON + b"\r\n\r\n", endless=b" ", trickle=0.05),
    "interim-answers-without-end": Answer(endless=b"HTTP/1.1 100 Continue\r\n\r\n", trickle=0.01),
    "slow-now-and-then": lambda n, request: Answer(NOT_FOUND, trickle=0.1 if n in (5, 9) else 0.0),
    # Back-pressure without end: Retry-After an hour, on every request.
    "retry-after-every-time": Answer(
        response(status=b"429 Too Many Requests", headers=[JSON, b"Retry-After: 3600"], body=b"{}")
    ),
    # A body without framing that floods until the client goes.
    "flood-without-end": Answer(b"HTTP/1.1 404 Not Found\r\n" + JSON + b"\r\n\r\n", endless=b" " * 65536),
    # A good first answer on a kept connection, a broken one for the request after it.
    "broken-second-answer-on-a-connection": lambda n, request: (
        Answer(NOT_FOUND, close=False) if n % 2 == 0 else Answer(b"\x00garbage\r\n\r\n")
    ),
}


# The classes that a test of their own below runs (through assert_designed_answer too): not twice.
OWN_TESTS = {
    "slow-now-and-then",
    "trickled-status-line",
    "trickled-body-without-end",
    "interim-answers-without-end",
    "retry-after-every-time",
    "body-shorter-than-content-length",
    "control-characters",
    "answers-once-then-closes",
}


@pytest.mark.parametrize("name", [name for name in CLASSES if name not in OWN_TESTS])
def test_each_class_of_hostile_answer_has_a_designed_outcome(tmp_path, name):
    assert_designed_answer(tmp_path, hostile_run(tmp_path, CLASSES[name]))


def test_every_class_is_run():
    assert OWN_TESTS < CLASSES.keys()


def test_an_exchange_past_its_deadline_is_answered_too_slowly_and_the_run_goes_on(tmp_path):
    summary = assert_designed_answer(tmp_path, hostile_run(tmp_path, CLASSES["slow-now-and-then"]))
    slow = [c for c in summary["causes"] if "answered too slowly" in c["title"]]
    assert [c["rule"] for c in slow] == ["no answer"], summary["causes"]
    assert re.search(rf"answered too slowly: \d+ bytes in {DEADLINE} s, ", slow[0]["title"]), slow[0]["title"]
    assert summary["verdict"] != "unreachable" and summary["counts"]["passed"] > 0


@pytest.mark.parametrize("name", ["trickled-status-line", "trickled-body-without-end", "interim-answers-without-end"])
def test_a_target_that_answers_nothing_in_time_is_unreachable(tmp_path, name):
    run = hostile_run(tmp_path, CLASSES[name])
    summary = assert_designed_answer(tmp_path, run)
    assert run.returncode == 69 and summary["verdict"] == "unreachable", run.output[-2000:]
    assert "answered too slowly" in run.output


def test_back_pressure_without_end_is_waited_within_the_runs_total_then_judged(tmp_path):
    summary = assert_designed_answer(tmp_path, hostile_run(tmp_path, CLASSES["retry-after-every-time"]))
    assert "429 persists" in {c["rule"] for c in summary["causes"]}, summary["causes"]


def test_a_broken_answer_is_a_finding_with_one_line_of_why(tmp_path):
    run = hostile_run(tmp_path, CLASSES["body-shorter-than-content-length"])
    summary = assert_designed_answer(tmp_path, run)
    assert [c["rule"] for c in summary["causes"]] == ["broken answer"]
    why = f"the body ended after {len(BODY)} of {len(BODY) + 1000:,} bytes (Content-Length)"
    assert why in summary["causes"][0]["title"]
    lines = [json.loads(line) for line in (tmp_path / "reports" / "failures.jsonl").read_text().splitlines()]
    assert lines and all(e["test"] and e["curl"].startswith("curl -i -X ") for e in lines)


def test_control_characters_are_escaped_where_a_person_reads_and_kept_in_the_json_data(tmp_path):
    run = hostile_run(tmp_path, CLASSES["control-characters"])
    assert_designed_answer(tmp_path, run)  # nothing raw in the terminal, summary.md or the HTML
    assert "response: 404 Not\\x1b]0;pwned\\x07 Found;" in run.output  # escaped, not dropped
    lines = (tmp_path / "reports" / "failures.jsonl").read_text().splitlines()
    answers = [json.loads(line)["response"] for line in lines]  # the data as sent, escaped as JSON
    assert any(a["reason"] == "Not\x1b]0;pwned\x07 Found" and a["body"].startswith("\x1b]52;c;") for a in answers)
    assert any(a["headers"].get("x-note") == "\x1b[2Jcleared\x9b2J" for a in answers)


def test_a_target_that_stops_answering_is_exit_69_naming_the_last_request(tmp_path):
    run = hostile_run(tmp_path, CLASSES["answers-once-then-closes"])
    summary = assert_designed_answer(tmp_path, run)
    assert run.returncode == 69 and summary["verdict"] == "unreachable"
    assert "RUN STOPPED: target stopped answering" in run.output and "last request: " in run.output
    not_run = {t["test"] for t in summary["not_run"]}
    assert len(not_run) + summary["counts"]["failed"] + summary["counts"]["passed"] == len(summary["tests"])
    assert len(not_run) > 10  # the tests after the stop are listed as not run, not missing


STATUS_LINES = st.sampled_from(
    [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 500 Oops",
        b"HTTP/1.0 200 OK",
        b"HTTP/1.1 2000 X",
        b"",
        b"\xff\xfe",
        b"HTTP/1.1 404 Not\x1b[2J Found",
    ]
)


@st.composite
def hostile_answers(draw):
    status = draw(STATUS_LINES)
    body = draw(
        st.sampled_from([BODY, b"{}", b"", b"[1,2", b"\xff" * 10, BODY * 50, ESCAPED_JSON, CLEAR_SCREEN + b"{}"])
    )
    encoding = draw(st.sampled_from(["none", "gzip", "bad-gzip"]))
    if encoding == "gzip":
        body = gzip.compress(body)
    headers = [JSON] if draw(st.booleans()) else []
    if draw(st.booleans()):
        headers.append(b"X-Note: " + CLEAR_SCREEN + b"\x9b2J")
    if encoding != "none":
        headers.append(b"Content-Encoding: gzip")
    headers += [
        b"X-Extra-%d: %s" % (i, b"v" * draw(st.sampled_from([1, 100, 9000])))
        for i in range(draw(st.sampled_from([0, 3, 99, 150])))
    ]
    framing = draw(st.sampled_from(["length", "length+", "length-", "chunked", "close"]))
    head = [status, *headers]
    if framing == "chunked":
        payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if draw(st.booleans()) else b"zz\r\n" + body
        head.append(b"Transfer-Encoding: chunked")
    else:
        payload = body
        if framing != "close":
            length = len(body) + {"length": 0, "length+": 500, "length-": -1}[framing]
            head.append(b"Content-Length: %d" % max(length, 0))
    data = b"\r\n".join(head) + b"\r\n\r\n" + payload
    cut = draw(st.sampled_from([None, None, len(data) // 2, 5]))
    if cut is not None:
        data = data[:cut]
    data = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" * draw(st.sampled_from([0, 0, 1, 150])) + data
    close = framing == "close" or cut is not None or draw(st.booleans())
    if draw(st.sampled_from([False, False, True])):  # slow from any point of the answer on, past the deadline
        return Answer(data, close=close, trickle=0.2, trickle_from=draw(st.integers(0, len(data))))
    return Answer(data, close=close)


@settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(answer=hostile_answers())
def test_any_composed_hostile_answer_has_a_designed_outcome(tmp_path_factory, answer):
    tmp_path = tmp_path_factory.mktemp("hostile")
    assert_designed_answer(tmp_path, hostile_run(tmp_path, answer))


def test_the_liveness_probe_reads_no_more_of_a_body_than_any_request(tmp_path):
    # Three requests in a row get no answer, so the client sends the last answered request again to
    # see whether the target still answers: that answer floods (40 MB). It is read within the 1 MiB
    # bound like any answer, and judged: a "body size" finding of the liveness probe.
    flood = response(status=b"404 Not Found", body=b" " * 40_000_000, headers=[JSON])
    silent = []

    def answer(number, request):
        if 8 <= number < 11:
            silent.append(number)
            return Answer(silent=True)
        return Answer(flood) if len(silent) == 3 and number == 11 else Answer(NOT_FOUND)

    run = hostile_run(tmp_path, answer)
    assert_designed_answer(tmp_path, run)
    lines = (tmp_path / "reports" / "failures.jsonl").read_text().splitlines()
    probes = [json.loads(line) for line in lines if json.loads(line)["check"] == "liveness probe"]
    assert probes, run.output[-3000:]
    assert all(p["response"]["body_bytes"] <= 1 << 20 for p in probes)
    assert any(problem["rule"] == "body size" for p in probes for problem in p["problems"])

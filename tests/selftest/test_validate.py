"""`chaser-conformance validate`: fixtures, JSON Lines and HAR captures judged offline by the live rules."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chaser_conformance.server import serve_in_thread
from har import capture, record, synthetic
from runner import run_suite_forked, target_env

DATA = Path(__file__).parent / "data"
TOKEN = "demo-token-primary"  # the reference server's; the tests assert it is printed nowhere
MINIMAL = {"id": "s1", "created_at": "t", "session_type": "b", "status": "r", "endpoints": {"control": "c"}}


def validate(*args, cwd=None):
    run = subprocess.run(
        [sys.executable, "-m", "chaser_conformance", "validate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    return run.returncode, run.stdout, run.stderr


def fixture(folder, name, body):
    path = folder / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def test_a_valid_fixture_conforms_and_an_invalid_one_is_reported_by_pointer_and_rule(tmp_path):
    good = fixture(tmp_path, "good.json", MINIMAL)
    bad = fixture(tmp_path, "bad.json", {**MINIMAL, "persistence": 1, "endpoints": {}})
    assert validate(good)[0] == 0
    code, out, _ = validate(good, bad)
    assert code == 1
    assert f"{bad}: SessionInfo body: schema: /persistence: breaks type: ['boolean', 'null'] (found integer)" in out
    assert f"{bad}: SessionInfo body: schema: /endpoints/control: breaks required (found absent)" in out
    assert "validate: 2 exchanges judged in 2 files" in out and "3 findings" not in out


def test_a_fixture_that_is_not_strict_json_is_a_finding(tmp_path):
    nan = fixture(tmp_path, "nan.json", json.dumps(MINIMAL)[:-1] + ', "load": NaN}')
    code, out, _ = validate(nan)
    assert code == 1 and "not JSON (RFC 8259): NaN is not a JSON value" in out


def test_a_directory_is_searched_for_every_kind_of_input(tmp_path):
    fixture(tmp_path, "a.json", MINIMAL)
    (tmp_path / "deeper").mkdir()
    fixture(tmp_path / "deeper", "b.json", {**MINIMAL, "status": None})
    fixture(tmp_path, "notes.txt", "not an input")
    code, out, _ = validate(tmp_path)
    assert code == 1 and "deeper/b.json: SessionInfo body: schema: /status: breaks type" in out
    assert "2 exchanges judged in 2 files" in out


def test_json_lines_of_bodies_and_recorded_exchanges(tmp_path):
    lines = [
        json.dumps(MINIMAL),
        json.dumps({**MINIMAL, "id": 7}),
        json.dumps(
            {
                "request": {"method": "GET", "url": "https://api.example.test/v1/sessions/s9", "headers": {}},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(MINIMAL),
                },
            }
        ),
    ]
    path = fixture(tmp_path, "mocks.jsonl", "\n".join(lines) + "\n")
    code, out, _ = validate(path)
    assert code == 1
    assert f"{path}:line 2: SessionInfo body: schema: /id: breaks type: 'string' (found integer)" in out
    assert (
        f"{path}:line 3: GET https://api.example.test/v1/sessions/s9 -> 200: /id: must equal the requested id 's9'"
        in out
    )


def test_the_suites_own_failures_jsonl_is_judged_again(tmp_path):
    with serve_in_thread(["missing-id"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    assert run.returncode == 1
    failures = tmp_path / "reports" / "failures.jsonl"
    code, out, err = validate(failures)
    assert code == 1 and "/id: breaks required (found absent)" in out, out + err
    assert "0 entries skipped" in out


def har_of(tmp_path, switches, name="capture.har"):
    with serve_in_thread(switches) as server:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        reads = [
            ("GET", "/v1/sessions/ses_full", bearer),
            ("GET", "/v1/sessions/ses_nulls", bearer),
            ("GET", "/v1/sessions/ses_minimal", bearer),
            ("GET", "/v1/sessions/no-such-session", bearer),
            ("GET", "/v1/sessions/ses_full", {}),  # no credentials: 401
            ("GET", f"/v1/sessions/ses_full?access_token={TOKEN}", {"Cookie": f"token={TOKEN}"}),
            ("DELETE", "/v1/sessions/no-such-session", bearer),  # not a GET: counted and skipped
            ("GET", "/healthz", {}),  # another path: skipped
        ]
        return record(tmp_path / name, server.base_url, reads)


def test_a_har_of_a_conformant_server_conforms_and_says_what_it_did_not_judge(tmp_path):
    code, out, err = validate(har_of(tmp_path, []))
    assert code == 0, out + err
    assert "validate: 6 exchanges judged in 1 files (2 entries skipped: not GET /v1/sessions/{id})" in out
    assert "advisory: 401: whether the credentials were valid is not judged offline" in out
    assert "not judged offline: whether a token was valid, which sessions exist and whose they are" in out


@pytest.mark.parametrize(
    "fault,problem",
    [
        ("missing-id", "schema: /id: breaks required (found absent)"),
        ("other-session", "/id: must equal the requested id 'ses_full'"),
        ("json-nan-404", "not JSON (RFC 8259): NaN is not a JSON value"),
        ("json-duplicate-name-200", "duplicate member name"),
        ("404-text-html", "Content-Type must be application/json"),
        ("unknown-id-500", "server error 500"),
    ],
)
def test_a_har_of_a_faulty_server_is_reported_entry_by_entry(tmp_path, fault, problem):
    path = har_of(tmp_path, [fault])
    code, out, _ = validate(path)
    assert code == 1 and problem in out
    assert all(line.startswith(f"{path}:entry ") for line in out.splitlines()[:-1])


def test_the_token_of_a_har_is_in_none_of_the_output(tmp_path):
    path = har_of(tmp_path, ["missing-id"])
    for args in ([path], [path, "--format", "json"]):
        code, out, err = validate(*args)
        assert code == 1 and TOKEN not in out + err
    report = json.loads(validate(path, "--format", "json")[1])
    urls = [f["url"] for f in report["findings"]]
    assert any(url.endswith("access_token=****") for url in urls)  # masked by value in a URL too
    assert report["exit_code"] == 1 and report["judged"] == 6 and report["findings"][0]["pointer"] == "/id"


def test_a_har_written_by_mitmdump_is_judged(tmp_path):
    # Recorded by mitmdump (mitmproxy, --mode reverse, --set hardump=...) in front of the reference
    # server with the token primary's demo token: an independent HAR writer.
    path = DATA / "mitmdump-reference-server.har"
    code, out, err = validate(path)
    assert code == 0, out + err
    assert "validate: 5 exchanges judged in 1 files" in out and "demo-token" not in out + err
    broken = DATA / "mitmdump-reference-server-missing-id.har"
    code, out, err = validate(broken)
    assert code == 1 and "schema: /id: breaks required (found absent)" in out and "demo-token" not in out + err


def test_a_truncated_har_is_exit_4_with_one_line_naming_the_file(tmp_path):
    whole = har_of(tmp_path, []).read_bytes()
    cut = tmp_path / "cut.har"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    code, out, err = validate(cut)
    assert code == 4 and err.strip().count("\n") == 0 and out == ""  # checked whole before any finding
    assert re.match(rf"chaser-conformance validate: {re.escape(str(cut))}:entry \d+: truncated or malformed JSON", err)
    assert "Traceback" not in out + err
    code, out, _ = validate(cut, "--format", "json")
    assert code == 4 == json.loads(out)["exit_code"] and "truncated" in json.loads(out)["error"]


def test_unrecognised_or_missing_input_is_exit_4(tmp_path):
    odd = fixture(tmp_path, "notes.txt", "hello")
    assert validate(odd)[0] == 4
    code, _, err = validate(tmp_path / "missing.har")
    assert code == 4 and "missing.har: no such file or directory" in err
    broken_lines = fixture(tmp_path, "x.jsonl", '{"a": 1}\n{oops\n')
    code, _, err = validate(broken_lines)
    assert code == 4 and "x.jsonl:line 2: not JSON (Expecting property name" in err


def test_a_har_with_no_matching_entries_says_nothing_was_judged(tmp_path):
    har = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}
    path = fixture(tmp_path, "empty.har", har)
    code, out, _ = validate(path)
    assert code == 0 and "validate: nothing was judged" in out


@pytest.mark.parametrize(
    "document,says",
    [
        ({}, "not a HAR: no log member"),
        ([], "not a HAR: the document is an array"),
        ({"log": {"entries": {}}}, "not a HAR: log.entries is an object, not an array"),
        (
            {"log": {"entries": [{"response": {"status": 200, "headers": [], "content": {}}}]}},
            "entry 0: request is missing",
        ),
    ],
    ids=["{}", "[]", "entries-an-object", "entry-without-request"],
)
def test_a_har_without_har_structure_is_malformed_not_nothing_judged(tmp_path, document, says):
    path = fixture(tmp_path, "odd.har", document)
    code, out, err = validate(path)
    assert code == 4 and out == "" and err.startswith(f"chaser-conformance validate: {path}") and says in err


def test_a_token_is_masked_even_where_it_comes_before_the_header_that_shows_it_is_one(tmp_path):
    # Entry 0 shows the token in its URL under a name that says nothing; only entry 1's
    # Authorization header says it is a token. Both passes read the whole capture first.
    token = "tok-before-its-header-9f2"
    entries = [
        synthetic(url=f"https://api.example.test/v1/sessions/s0?ref={token}", body="{}"),
        synthetic(
            url="https://api.example.test/v1/sessions/s1", request_headers=[("Authorization", f"Bearer {token}")]
        ),
    ]
    path = fixture(tmp_path, "early.har", capture(entries))
    for args in ([path], [path, "--format", "json"]):
        code, out, err = validate(*args)
        assert code == 1 and "ref=****" in out and token not in out + err

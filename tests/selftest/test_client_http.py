"""The suite's own HTTP, as a client: what RFC 9110/9112 ask of one, on every path it sends through.

The catalogue shows the suite passing servers that use HTTP's freedoms (connections.py there);
these tests pin the client side down where a whole run would hide it."""

import json

import pytest
import requests
import urllib3.exceptions

from chaser_conformance.server import serve_in_thread
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport import verbatim
from chaser_conformance.transport.answers import NoAnswer, no_answer
from chaser_conformance.transport.client import ApiClient, RunLimits
from chaser_conformance.transport.connections import asks_close, needs_own_connection
from hostile import Answer, HostileServer
from runner import refused_port, run_suite_forked, target_env

TOKEN = "demo-token-primary"


def client(base_url, cap=100):
    return ApiClient(base_url, Secret(TOKEN), limits=RunLimits(cap), connect_timeout=5, read_timeout=5)


def test_a_refused_connection_is_worded_as_refused_on_every_path():
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}/v1/sessions/ses_full"
        with pytest.raises(requests.ConnectionError) as pooled:
            requests.get(url, timeout=(5, 5))
        assert no_answer(pooled.value) == "connection refused"  # urllib3 2.x: a NewConnectionError
        with pytest.raises(OSError) as raw:
            verbatim.send("GET", url, {}, (5, 5), 1024)
        assert no_answer(raw.value) == "connection refused"
        api = client(url.split("/v1")[0])
        with pytest.raises(NoAnswer, match="connection refused"):
            api.get_session("ses_full")


def test_a_timeout_is_still_worded_as_a_timeout():
    timed_out = urllib3.exceptions.ConnectTimeoutError(None, "timed out")
    assert no_answer(requests.ConnectTimeout(urllib3.exceptions.MaxRetryError(None, "/", timed_out))).startswith(
        "no response in time"
    )
    assert no_answer(TimeoutError("timed out")).startswith("no response in time")


@pytest.mark.parametrize(
    "value, close", [("close", True), ("Keep-Alive, Close", True), ("keep-alive", False), ("closed", False)]
)
def test_the_close_option_is_read_as_a_token(value, close):
    assert asks_close({"connection": value}) is close
    assert needs_own_connection("GET", {"Connection": value}) is close


def test_a_method_that_cannot_be_repeated_never_takes_a_reused_connection():
    assert needs_own_connection("POST", {}) and needs_own_connection("PATCH", {})
    assert not any(needs_own_connection(m, {}) for m in ("GET", "HEAD", "PUT", "DELETE", "TRACE"))


def test_a_request_that_says_close_is_the_last_on_its_connection():
    # persistent-pieces answers nothing sent on a connection after a request that said close.
    with serve_in_thread(["persistent-pieces"]) as server:
        api = client(server.base_url)
        try:
            for _ in range(3):
                assert api.get_session("ses_full", headers={"Connection": "close"}).status_code == 200
                assert api.get_session("ses_full").status_code == 200  # keep-alive again afterwards
        finally:
            api.close()


def test_a_reused_connection_closed_under_a_request_is_retried_only_when_idempotent():
    # idle-close-on-reuse closes every persistent connection as its next request arrives.
    with serve_in_thread(["idle-close-on-reuse"]) as server:
        api = client(server.base_url)
        try:
            for method, status in [("GET", 200), ("GET", 200), ("HEAD", 200), ("POST", 405), ("GET", 200)]:
                assert api.request(method, api.session_url("ses_full")).status_code == status
        finally:
            api.close()
        served = [entry for entry in server.app.journal if entry[0] == "POST"]
        assert len(served) == 1  # sent once, on a new connection: never repeated
    assert api.limits.resent == 3 and api.limits.sent == 5 + 3  # each resend recorded, within the cap


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "two-workers"])
def test_the_requests_sent_again_are_told_in_every_channel(tmp_path, args):
    with serve_in_thread(["idle-close-on-reuse"]) as server:
        run = run_suite_forked(tmp_path, target_env(server), args)
    reports = tmp_path / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    assert run.returncode == 0 and summary["verdict"] == "conformant", run.output[-3000:]
    resent = summary["requests_resent"]
    assert 0 < resent < summary["requests_sent"]
    words = f"{summary['requests_sent']} requests sent (cap 2000; {resent} sent again on a new connection"
    assert words in run.output and words in (reports / "summary.md").read_text()
    assert words in (reports / "report.html").read_text()


def test_a_request_without_accept_encoding_is_never_sent_byte_for_byte(tmp_path):
    # A request without Accept-Encoding allows any coding (RFC 9110 §12.5.3): the byte-for-byte path
    # asks for what it decodes, as the pooled one does, and decodes it.
    with serve_in_thread(["gzip-unless-refused"]) as server:
        api = client(server.base_url)
        try:
            response = api.request_verbatim("GET", api.segment_url("ses_full%zz"))
        finally:
            api.close()
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.request.headers["Accept-Encoding"] == verbatim.ACCEPT_ENCODING
    assert json.loads(response.content)["error"] == "not_found"


def test_the_head_comparison_reports_even_when_the_get_fails_another_rule(tmp_path):
    # other-session: every GET fails the id echo; head-404: HEAD answers 404 where GET answers 200.
    with serve_in_thread(["other-session", "head-404"]) as server:
        run = run_suite_forked(tmp_path, target_env(server), ["-k", "test_head_agrees_with_get"])
    assert run.returncode == 1, run.output[-3000:]
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    rules = {c["rule"] for c in summary["causes"]}
    assert "id echo" in rules, summary["causes"]
    assert any("HEAD must answer with GET's status" in str(a) for a in summary["advisories"]), summary["advisories"]


def test_an_interim_answer_is_read_past_on_every_path():
    # early-hints sends 103 before each answer: http.client alone takes it for the answer.
    with serve_in_thread(["early-hints"]) as server:
        api = client(server.base_url)
        try:
            assert api.get_session("ses_full").status_code == 200
            assert api.request("HEAD", api.session_url("ses_full")).status_code == 200
            assert api.request_verbatim("GET", api.session_url("ses_full")).status_code == 200
            head = api.request_verbatim("HEAD", api.session_url("ses_full"))
            assert (head.status_code, head.content) == (200, b"")
        finally:
            api.close()


HEAD_FIELDS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


# A pooled HEAD reads no body, so a trickle after the header fields is not its answer's.
@pytest.mark.parametrize("method, path", [("GET", "pooled"), ("GET", "verbatim"), ("HEAD", "verbatim")])
@pytest.mark.parametrize(
    "at_once, came",
    [(5, "no complete status line and header fields"), (len(HEAD_FIELDS) + 10, "the body did not end")],
)
def test_an_answer_past_its_deadline_says_how_many_bytes_came_in_how_long(method, path, at_once, came):
    body = b'{"id": "ses_full"' + b" " * 983
    # `at_once` bytes at once, then a byte a second: past a 0.5 s deadline.
    with HostileServer(Answer(HEAD_FIELDS + body, trickle=1.0, trickle_from=at_once)) as server:
        api = ApiClient(
            server.base_url, Secret(TOKEN), limits=RunLimits(100, deadline=0.5), connect_timeout=5, read_timeout=5
        )
        send = api.request if path == "pooled" else api.request_verbatim
        try:
            with pytest.raises((NoAnswer, requests.ConnectionError)) as slow:
                send(method, api.session_url("ses_full"))
        finally:
            api.close()
    assert f"answered too slowly: {at_once} bytes in 0.5 s, {came}" in str(slow.value)

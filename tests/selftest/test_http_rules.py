"""The rules of sections 5-7 of issue 16 one by one, without a suite run: the 404 media-type rule and
its strict twin, inconclusive advisories that never fail, disclosure found and not imagined (echoes
of what the request sent, session data, banners), credentials never shown, and the HEAD comparison
against headers that vary by themselves."""

import base64
import http.server
import json
import random
import threading
import time

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from chaser_conformance.checks import ContractViolation, Exchange, Finding, Judge, Problem, RunRecord
from chaser_conformance.checks.disclosure import (
    EVERYWHERE,
    OUTSIDE_SESSION_DATA,
    SCANNED_BYTES,
    disclosure_problems,
    reflection_problems,
)
from chaser_conformance.checks.http_semantics import compare, features, head_problems
from chaser_conformance.contract.spec import load_contract
from chaser_conformance.generators.sample_clients import CLIENTS
from chaser_conformance.server import serve_in_thread
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport.client import ApiClient, RunLimits, Target

TOKEN = "tok-semantics-never-print-me"
BASE = "http://127.0.0.1:1"
TARGET = Target(BASE, Secret(TOKEN), ("ses_full",), "ses_other", embedded=False)
SESSION = {
    "id": "ses_full",
    "created_at": "2026-11-01T09:30:00Z",
    "session_type": "browser",
    "status": "running",
    "endpoints": {"control": "wss://10.0.5.9:9222/devtools/browser/ses_full", "video": "http://v.chaser.internal/1"},
}


def judge(strict=False):
    return Judge(load_contract(), TARGET, RunRecord(), strict=strict)


def exchange(status=404, body=None, content_type="application/json", sid="nope", method="GET", auth=None, **headers):
    body = {"error": "not_found"} if body is None else body
    return Exchange(
        method,
        f"{BASE}/v1/sessions/{sid}",
        CaseInsensitiveDict({"Authorization": Secret(auth or f"Bearer {TOKEN}")}),
        status,
        "",
        CaseInsensitiveDict({"Content-Type": content_type, **headers}),
        body if isinstance(body, bytes) else json.dumps(body).encode(),
    )


@pytest.mark.parametrize("media_type", ["application/problem+json", "application/vnd.chaser.error+json"])
def test_another_json_media_type_on_a_404_is_an_advisory_and_fails_under_strict(media_type):
    failures, advisories = judge().assess(exchange(404, content_type=media_type))
    assert failures == [] and [a.rule for a in advisories] == ["404 media type"]
    with pytest.raises(ContractViolation, match="leniency: fails under CHASER_STRICT"):
        judge(strict=True)("unknown id", exchange(404, content_type=media_type))
    # The body is still judged, as the documented type's: not JSON is a failure.
    failures, _ = judge().assess(exchange(404, b"not json", content_type=media_type))
    assert [f.rule for f in failures] == ["strict json"]


@pytest.mark.parametrize("media_type", ["application/problem+json", "application/vnd.chaser.session+json"])
def test_another_json_media_type_on_a_200_stays_a_failure(media_type):
    failures, _ = judge().assess(exchange(200, SESSION, content_type=media_type, sid="ses_full"))
    assert [f.rule for f in failures] == ["content type"]


@pytest.mark.parametrize("media_type", ["text/html", "text/json", "", "application/jsonx"])
def test_a_404_that_is_not_a_json_media_type_fails(media_type):
    failures, _ = judge().assess(exchange(404, content_type=media_type))
    assert [f.rule for f in failures] == ["content type"]


def test_an_inconclusive_advisory_never_fails_even_under_strict():
    strict = judge(strict=True)
    probe = exchange(404, method="DELETE")
    strict("undeclared method", probe)  # no ContractViolation
    assert any(a.rule == "method probe inconclusive" for a in strict.record.advisories)
    strict.advise("head", probe, [Problem("HEAD inconclusive", "inconclusive: maybe", inconclusive=True)])
    with pytest.raises(ContractViolation):
        strict.advise("head", probe, [Problem("HEAD disagrees with GET", "HEAD 404, GET 200")])


def test_head_is_judged_by_the_status_policy_only():
    assert judge().assess(exchange(200, b"", method="HEAD", sid="ses_full"))[0] == []
    assert judge().assess(exchange(405, b"", method="HEAD", sid="ses_full"))[0] == []
    assert [f.rule for f in judge().assess(exchange(503, b"", method="HEAD"))[0]] == ["server error"]


DISCLOSED = {
    "python": {"trace": 'Traceback (most recent call last):\n  File "/srv/app/x.py", line 3, in f'},
    "java": {"trace": "\tat com.chaser.Api.get(Api.java:57)"},
    "dotnet": {"trace": "   at Chaser.Api.Get(String id) in C:\\src\\Api.cs:line 42"},
    "node": {"trace": "    at getSession (/app/src/sessions.js:42:17)"},
    "go": {"trace": "goroutine 1 [running]:\nmain.main()"},
    "php": {"trace": "Fatal error: Uncaught Error in /var/www/api.php on line 12"},
    "ruby": {"trace": "app/controllers/sessions_controller.rb:12:in `show'"},
    "mysql": {"detail": "You have an error in your SQL syntax near 'x' at line 1"},
    "postgres": {"detail": 'ERROR: relation "sessions" does not exist'},
    "sql-text": {"query": "SELECT * FROM sessions WHERE id = 'x'"},
    "mongo": {"detail": "MongoServerError: E11000 duplicate key error"},
    "unix-path": {"detail": "open /var/lib/chaser/x.json"},
    "windows-path": {"log": "D:\\chaser\\logs\\api.log"},
    "private-ipv4": {"upstream": "10.0.3.17:8080"},
    "internal-host": {"served_by": "ip-172-31-9-14.eu-west-1.compute.internal"},
    "link-local": {"metadata": "169.254.169.254"},
}


@pytest.mark.parametrize("body", DISCLOSED.values(), ids=DISCLOSED.keys())
def test_disclosure_in_an_error_body_is_found(body):
    assert disclosure_problems(exchange(404, body), TOKEN)


def test_the_header_fields_are_scanned_within_the_same_bound_as_the_body():
    # A stack trace in a header field is found within the first SCANNED_BYTES of the field section;
    # past it (100 fields of 64 KiB, the most http.client reads) the scan stops, as for the body.
    trace = DISCLOSED["python"]["trace"].replace("\n", " ")
    within = {f"X-Pad-{i}": "p" * 1000 for i in range(30)} | {"X-Debug": trace}
    past = {f"X-Pad-{i}": "p" * 60_000 for i in range(2)} | {"X-Debug": trace}
    assert "stack trace" in [p.rule for p in disclosure_problems(exchange(404, **within), TOKEN)]
    assert disclosure_problems(exchange(404, **past), TOKEN) == []
    assert SCANNED_BYTES < 2 * 60_000


# What a text may hold beside a match: characters that the patterns' lookarounds and word boundaries test.
BESIDE = ["", "a", "Z", "_", "7", ".", "/", ":", "-", "%", "~", "\\", " ", "\t", "\n", '"', "'", "(", "[", "#", "$"]


@pytest.mark.parametrize("family", ["stack trace", "database error", "filesystem path", "internal address"])
def test_a_match_inside_one_text_is_a_match_of_all_texts_joined(family):
    # The scan searches all of an exchange's texts joined by line breaks before it looks at them one by
    # one: a pattern that breaks this (an anchor, a lookbehind that a line break satisfies differently
    # from a text's start) would hide a disclosure.
    patterns = dict(EVERYWHERE + OUTSIDE_SESSION_DATA)[family]
    samples = [text for body in DISCLOSED.values() for text in body.values()]
    rng = random.Random(family)
    for _ in range(400):
        sample = rng.choice(samples)
        cut = sorted(rng.sample(range(len(sample) + 1), 2))
        texts = [
            rng.choice(BESIDE) + sample[: cut[0]],
            sample[cut[0] : cut[1]],
            sample[cut[1] :] + rng.choice(BESIDE),
            rng.choice(BESIDE) + sample + rng.choice(BESIDE),
        ]
        rng.shuffle(texts)
        for what, pattern in patterns:
            if any(pattern.search(text) for text in texts):
                assert pattern.search("\n".join(texts)), (what, texts)


HARMLESS = {
    "echoed-path-id": ("../../etc/passwd", {"error": "not_found", "id": "../../etc/passwd"}),
    "echoed-sql-id": ("' OR '1'='1", {"error": "not_found", "id": "' OR '1'='1"}),
    "echoed-select": ("SELECT a FROM b WHERE c", {"id": "SELECT a FROM b WHERE c"}),
    "echoed-user-agent": ("x", {"client": "python-requests/2.32.3", "docs": "https://docs.chaser.sh/errors/404"}),
    "loopback": ("x", {"detail": "upstream 127.0.0.1:8080 and localhost", "self": f"{BASE}/v1/sessions/x"}),
    "request-id": ("x", {"request_id": "5f0c6a1e-2b7d-4c41-9a43-8d2f0e6b7c10", "version": "10.2.3"}),
    "prose": ("x", {"message": "No session here. Select another one from the list where you left it."}),
    "token-hint": ("x", {"token_hint": "..." + TOKEN[-4:]}),
}


@pytest.mark.parametrize("sid,body", HARMLESS.values(), ids=HARMLESS.keys())
def test_what_the_request_sent_or_harmless_text_is_no_disclosure(sid, body):
    ex = exchange(404, body, sid=requests.utils.quote(sid, safe=""), **{"Server": "nginx/1.25.3", "Via": "1.1 varnish"})
    assert disclosure_problems(ex, TOKEN) == []


def test_a_session_s_own_endpoints_on_a_private_network_are_its_data():
    assert disclosure_problems(exchange(200, SESSION, sid="ses_full"), TOKEN) == []


@pytest.mark.parametrize(
    "where",
    ["body", "header", "base64-header", "other-credential"],
)
def test_an_echoed_credential_is_found_and_never_shown(where):
    auth = f"Bearer {TOKEN}"
    body, headers = {"error": "not_found"}, {}
    if where == "body":
        body["request"] = {"authorization": auth}
    elif where == "header":
        headers["X-Debug-Token"] = TOKEN
    elif where == "base64-header":
        headers["X-Auth-Context"] = base64.b64encode(auth.encode()).decode()
    else:
        auth = f"Bearer {TOKEN[:-1]}"  # a truncated token: most of the secret
        body["echo"] = auth
    ex = exchange(404, body, auth=auth, **headers)
    problems = disclosure_problems(ex, TOKEN)
    assert [p.rule for p in problems][:1] == ["credential echoed"]
    finding = Finding.of("unknown id", ex, problems, "the token", TOKEN)
    shown = json.dumps(finding.to_dict()) + finding.text()
    assert TOKEN not in shown and TOKEN[:-1] not in shown
    assert base64.b64encode(auth.encode()).decode() not in shown


def test_a_host_named_by_a_request_header_is_found_in_the_session_urls():
    body = {**SESSION, "endpoints": {"control": "wss://evil-1.example/control/ses_full"}}
    assert reflection_problems(exchange(200, body, sid="ses_full"), "evil-1.example", "X-Forwarded-Host")
    assert reflection_problems(exchange(200, SESSION, sid="ses_full"), "evil-1.example", "X-Forwarded-Host") == []


def _tracing(rng):
    found = {"status": 200, "header content-type": "application/json", "header x-request-id": f"{rng.random()}"}
    if rng.random() < 1 / 3:
        found["header x-cache"] = "HIT"
    return found


def test_head_comparison_never_calls_variation_a_difference():
    # 2,000 comparisons of a server whose HEAD equals its GET but for headers drawn at random.
    rng = random.Random(16)
    for _ in range(2000):
        verdict = compare(lambda: _tracing(rng), lambda: _tracing(rng))
        assert verdict.differences == []


def test_head_comparison_against_a_live_conformant_variant_50_times():
    with serve_in_thread(["tracing-on-every-response"]) as server:
        url = f"{server.base_url}/v1/sessions/ses_full"
        auth = {"Authorization": "Bearer demo-token-primary"}
        with requests.Session() as http:

            def read(method):
                return features(Exchange.of(http.request(method, url, headers=auth, timeout=5)))

            for _ in range(50):
                problems = head_problems(compare(lambda: read("HEAD"), lambda: read("GET")))
                assert not [p for p in problems if not p.inconclusive]


def test_head_comparison_finds_what_every_head_shows():
    verdict = compare(lambda: {"status": 404}, lambda: {"status": 200})
    assert [p.rule for p in head_problems(verdict)] == ["HEAD disagrees with GET"]
    # HEAD may leave Content-Length out; if it sends one, it is GET's.
    assert compare(lambda: {"status": 200}, lambda: {"status": 200, "header content-length": "9"}).differences == []
    differing = compare(lambda: {"header content-length": "0"}, lambda: {"header content-length": "9"})
    assert differing.differences


def test_each_client_profile_goes_on_the_wire_as_the_library_sends_it():
    seen = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = ApiClient(
        f"http://127.0.0.1:{server.server_port}",
        Secret(TOKEN),
        limits=RunLimits(100),
        connect_timeout=5,
        read_timeout=5,
    )
    try:
        for client in CLIENTS:
            api.get_session("x", headers=client.request_headers(https=False))
            sent = seen.pop()
            expected = {k.lower(): v for k, v in client.headers.items() if v is not None}
            assert sent == {**expected, "host": f"127.0.0.1:{server.server_port}", "authorization": f"Bearer {TOKEN}"}
    finally:
        api.close()
        server.shutdown()
        server.server_close()


ADVERSARIAL = {
    "no-white-space": b"x" * 65536,
    "at-at-at": b"at " * 21845,
    "labels": b"a." * 32768,
    "namespaces": b"System." * 9362,
    "digits": b"10." * 21845,
    "drives": b"C:\\a" * 16384,
}


@pytest.mark.parametrize("body", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_disclosure_scan_stays_linear_on_what_a_server_may_send(body):
    # An unbounded `\S+` took 9 to 24 s on such bodies, and a broken server sends them by the hundred.
    started = time.perf_counter()
    disclosure_problems(exchange(404, body, content_type="text/plain"), TOKEN)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "name, value, flagged",
    [
        ("Server", "nginx/1.25.3", True),
        ("Server", "Werkzeug/3.1.9 Python/3.11.7", True),
        ("X-Powered-By", "PHP/8.2.12", True),
        ("X-Powered-By", "Express", False),
        ("Server", "nginx", False),
        ("Server", "cloudflare", False),
        ("Server", "envoy-proxy-2", False),
    ],
)
def test_a_product_version_in_a_banner_is_hygiene_and_a_name_alone_is_not(name, value, flagged):
    from chaser_conformance.checks.hygiene import banner_problems

    problems = banner_problems(exchange(200, b"{}", **{name: value}))
    assert [(p.rule, p.at) for p in problems] == ([("version disclosed", name)] if flagged else [])


def test_integers_past_i_json_and_fields_that_change_between_reads_are_named_by_pointer():
    from chaser_conformance.checks.hygiene import changed_fields, ijson_problems

    body = {"a": 2**53 - 1, "b": -(2**53), "c": [True, {"d/e": 2**70}], "f": 1.5e300}
    assert [p.pointer for p in ijson_problems(body)] == ["/b", "/c/1/d~1e"]
    first = {"id": "s", "created_at": "2026-11-01T09:30:00Z", "session_type": "browser", "status": "running"}
    later = {**first, "status": "stopped", "created_at": "2026-11-02T10:00:00Z"}
    assert [p.pointer for p in changed_fields(first, later)] == ["/created_at"]  # a status may change

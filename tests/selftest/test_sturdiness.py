"""Safe and sturdy against real deployments: each misbehaviour of a target, on loopback."""

import collections
import os
import threading
import time

import pytest
import requests
from werkzeug.wrappers import Response

from chaser_conformance.server import serve_in_thread
from chaser_conformance.server.catalogue import Switch
from chaser_conformance.transport.client import RunLimits, RunStopped, http_session
from runner import run_suite_forked, target_env


def switch(name, apply):
    return Switch(name, "fault", "test", name, apply)


# Serially and under pytest -n (a worker sees the silence; the run-wide verdict is the controller's).
@pytest.mark.parametrize("args", [[], ["-n", "2"]], ids=["serial", "n2"])
def test_a_target_that_stops_answering_ends_the_run_in_bounded_time(tmp_path, args):
    answered = collections.Counter()
    release = threading.Event()

    def stop_after_60(request, response, app):
        answered["n"] += 1
        if answered["n"] > 60:
            release.wait(5)  # the misbehaviour under test: hold the request past the suite's read timeout
        return response

    with serve_in_thread([switch("stops-answering", stop_after_60)]) as server:
        run = run_suite_forked(tmp_path, target_env(server) | {"CHASER_READ_TIMEOUT": "0.3"}, args, timeout=120)
        release.set()
    assert run.returncode == 69, run.output[-3000:]
    assert "RUN STOPPED: target stopped answering: 3 requests in a row got no answer" in run.output
    assert "Traceback" not in run.output.split("short test summary")[-1]


def test_a_huge_or_endless_body_is_read_only_up_to_the_bound(tmp_path):
    def endless(request, response, app):
        if response.status_code != 200:
            return response
        return Response((b"x" * 65536 for _ in iter(int, 1)), status=200, content_type="application/json")

    with serve_in_thread([switch("endless-body", endless)]) as server:
        run = run_suite_forked(tmp_path, target_env(server), timeout=120)
    assert run.returncode == 1
    assert "response body larger than 1048576 bytes" in run.output


def test_redirects_are_not_followed_and_the_token_goes_nowhere_else(tmp_path):
    with serve_in_thread() as elsewhere:
        away = elsewhere.base_url

        def redirect(request, response, app):
            return Response(status=302, headers={"Location": away + request.full_path})

        with serve_in_thread([switch("redirect-away", redirect)]) as server:
            run = run_suite_forked(tmp_path, target_env(server))
        assert list(elsewhere.app.journal) == []
    assert run.returncode == 1 and "undocumented status 302" in run.output


def test_the_request_cap_stops_the_run(tmp_path):
    with serve_in_thread() as server:
        run = run_suite_forked(tmp_path, target_env(server) | {"CHASER_MAX_REQUESTS": "40"})
        sent = len(server.app.journal)
    assert run.returncode == 1
    assert "RUN STOPPED: request cap of 40 reached; raise CHASER_MAX_REQUESTS to allow more" in run.output
    assert sent <= 40
    # A conformant server whose run the cap stopped is "incomplete": the test in which the cap was
    # reached did not finish, like those after it; none failed (it was "not conformant: 1 failed").
    assert "verdict: incomplete: " in run.output and not run.failed, run.output[-3000:]


def test_a_request_outside_the_target_is_refused_before_it_is_sent():
    with serve_in_thread() as target, serve_in_thread() as other:
        http = http_session(target.base_url, RunLimits(10))
        with pytest.raises(RunStopped, match="outside the target"):
            http.get(other.base_url + "/v1/sessions/x", headers={"Authorization": "Bearer t"})
        assert list(other.app.journal) == []


def test_pacing_spreads_requests_at_the_configured_rate():
    limits = RunLimits(100, rate=40)
    started = time.monotonic()
    for _ in range(9):
        limits.before_send()
    assert time.monotonic() - started >= 8 / 40 * 0.95  # the 9th may leave 8 intervals after the 1st


def test_the_reference_server_serves_thousands_of_concurrent_requests_in_stable_memory():
    with serve_in_thread() as server:
        server.app.journal = collections.deque(maxlen=10)  # the journal is a test aid, not server state
        token = str(server.app.store.primary.token)
        urls = [f"{server.base_url}/v1/sessions/{sid}" for sid in ("ses_full", "ses_nulls", "nope", "ses_other")]
        expected = {urls[0]: 200, urls[1]: 200, urls[2]: 404, urls[3]: 404}

        def batch(threads=8, per_thread=125):
            problems = []

            def client():
                with requests.Session() as http:
                    for i in range(per_thread):
                        url = urls[i % len(urls)]
                        status = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
                        if status != expected[url]:
                            problems.append((url, status))

            workers = [threading.Thread(target=client) for _ in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            return problems

        assert batch() == []  # warm-up: 1000 requests
        base = resident_bytes()
        assert batch() == [] and batch() == []  # 2000 more
        grown = resident_bytes() - base
    assert grown < 8_000_000, f"resident memory grew by {grown} bytes over 2000 requests"


def resident_bytes():
    with open("/proc/self/statm") as statm:  # Linux: pages resident now (not the peak)
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_tls_is_verified_by_default_and_a_ca_bundle_makes_a_private_ca_work(tmp_path, certificate):
    with serve_in_thread(tls=certificate) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        refused = run_suite_forked(tmp_path / "default", target_env(server))
        trusted = run_suite_forked(tmp_path / "bundle", target_env(server) | {"CHASER_CA_BUNDLE": certificate[0]})
    assert refused.returncode == 69 and "CERTIFICATE_VERIFY_FAILED" in refused.output
    assert trusted.returncode == 0, trusted.output[-3000:]

"""Information disclosure outside the contract. Every response the suite receives is scanned for the
request's credential, stack traces, database errors, filesystem paths and internal addresses
(checks/disclosure.py, through the Judge); these tests add requests that name another host."""

import random

import pytest

from chaser_conformance.checks import Problem
from chaser_conformance.checks.disclosure import reflection_problems

# Request headers from which frameworks build absolute URLs (Django's build_absolute_uri, Flask's
# url_for(_external=True), Rails' request.base_url, ...), each naming the given host.
HOST_HEADERS = {
    "x-forwarded-host": lambda host: {"X-Forwarded-Host": host},
    "forwarded": lambda host: {"Forwarded": f'for=192.0.2.60;proto=https;host="{host}"'},
    "x-original-host": lambda host: {"X-Original-Host": host},
    "host": lambda host: {"Host": host},
}


@pytest.mark.parametrize("header", list(HOST_HEADERS))
def test_the_session_urls_are_not_built_from_request_headers(api, judge, target, seed, request, header):
    # Any client can set these headers; a session whose URLs carry the host they name sends its
    # users wherever an attacker says (a shared cache keeps such a response for everyone). Advisory,
    # a failure with CHASER_STRICT=1. Only a 200 is judged (and a 5xx, but for Host): a gateway may
    # answer a host it does not serve with 421, 404 or a 5xx of its own, which says nothing about
    # the API (inconclusive).
    rng = random.Random(f"{seed}:{request.node.nodeid}")
    host = f"chaser-{rng.getrandbits(40):010x}.example"
    check = f"request header {header}"
    for sid in target.session_ids:
        response = api.get_session(sid, headers=HOST_HEADERS[header](host))
        if response.status_code != 200 and (response.status_code < 500 or header == "host"):
            text = f"inconclusive: a request naming the host {host!r} in {header} was answered {response.status_code}"
            judge.advise(check, response, [Problem("host probe inconclusive", text, inconclusive=True)])
            continue
        exchange = judge(check, response)
        problems = reflection_problems(exchange, host, header)
        if problems:
            judge.advise(check, exchange, problems)


SPLIT_FIELD = "X-Chaser-Split"
# CR LF and a header field of the suite's, percent-encoded: echoed decoded into a header field of the
# answer, it becomes a field of its own (response splitting, CWE-113).
SPLIT = f"%0D%0A{SPLIT_FIELD}:%201"


@pytest.mark.parametrize("place", ["path", "query"])
def test_an_echoed_input_never_splits_the_answer(api, judge, target, absent_id, place):
    # Sent byte for byte (requests would keep the escapes, but not every spelling); the answer is
    # judged as any other, and the field the input carried must not be one of its header fields.
    sid = absent_id("chaser-split") + (SPLIT if place == "path" else "")
    url = api.segment_url(sid) + (f"?q=x{SPLIT}" if place == "query" else "")
    response = api.request_verbatim("GET", url)
    if SPLIT_FIELD in response.headers:
        text = f"the {place}'s CR LF, echoed into a header field, made {SPLIT_FIELD!r} a header field of the answer"
        judge.fail("response splitting", response, [Problem("response splitting", text)])
    exchange = judge("response splitting", response)
    judge.expect("response splitting", exchange, {404, 400, 422}, "no session has this id")

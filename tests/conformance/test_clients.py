"""Real clients: read sessions the way the seed's code samples do, with each library's default headers."""

import dataclasses

import pytest
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from urllib3.util import SKIP_HEADER

from chaser_conformance.checks import Exchange, Problem
from chaser_conformance.generators.sample_clients import CLIENTS

BY_NAME = {c.name: c for c in CLIENTS}


def _as_sent(response):
    # The exchange as it went on the wire: a header urllib3 was told to skip was not sent.
    ex = Exchange.of(response)
    sent = {k: v for k, v in ex.request_headers.items() if v != SKIP_HEADER}
    return dataclasses.replace(ex, request_headers=CaseInsensitiveDict(sent))


def _undecodable(ex):
    # A coding the client asked for that this suite cannot decode (br without the brotli package).
    coding = ex.headers.get("Content-Encoding", "").strip().lower()
    return coding if coding and coding not in (*HTTPResponse.CONTENT_DECODERS, "identity") else None


@pytest.mark.parametrize("client", list(BY_NAME))
def test_a_real_client_reads_sessions_as_documented(api, judge, target, absent_id, client):
    # judge(): the documented answer for every client: a SessionInfo as application/json for each
    # known session, a JSON 404 for an id that names none. A server that negotiates on Accept,
    # Accept-Encoding, User-Agent or Connection (a 406 for application/json, an HTML page when
    # Accept is absent, a parser that chokes on q-values) answers some clients otherwise.
    profile = BY_NAME[client]
    check = f"client: {profile.label}"
    headers = profile.request_headers(https=target.base_url.startswith("https:"))
    # One known session per client, in turn (the clients differ by headers, not by ids), and one unknown id.
    sid = target.session_ids[list(BY_NAME).index(client) % len(target.session_ids)]
    reads = [(sid, 200, "the session exists"), (absent_id(), 404, "no session has this id")]
    for sid, expected, why in reads:
        ex = _as_sent(api.get_session(sid, headers=headers))
        coding = _undecodable(ex)
        if coding:
            text = f"inconclusive: {profile.label} got Content-Encoding {coding}, which this suite cannot decode"
            judge.advise(check, ex, [Problem("client coding", text, inconclusive=True)])
            continue
        judge(check, ex)
        judge.expect(check, ex, expected, f"{why}, whichever client asks")

"""No credentials, bad credentials, and another account's session: none may read a session."""

import random

import pytest

from chaser_conformance.indistinguishable import compare, features, lookalike
from chaser_conformance.secret import Secret


def _credentials(token):
    # Values of the Authorization header, or None for no header at all. Secret: their reprs are masked.
    values = {
        "no-header": None,
        "empty": "",
        "scheme-only": "Bearer",
        "scheme-and-space": "Bearer ",
        "unknown-token": "Bearer chaser-conformance-unknown-token",
        "token-without-scheme": str(token),
        "basic-scheme": "Basic Y2hhc2VyOmNoYXNlcg==",
        "token-scheme": f"Token {token}",
        "basic-with-the-token": f"Basic {token}",
        "token-twice": f"Bearer {token} {token}",
        "truncated-token": f"Bearer {str(token)[:-1]}",
        "extended-token": f"Bearer {token}x",
    }
    return {k: None if v is None else Secret(v) for k, v in values.items()}


CREDENTIAL_CASES = list(_credentials("t"))


@pytest.mark.parametrize("case", CREDENTIAL_CASES)
def test_bad_credentials_cannot_read_a_session(anon_api, judge, target, case):
    authorization = _credentials(target.secrets[-1])[case]  # near-misses of the token in use (a refreshed one)
    for sid in target.session_ids:
        exchange = judge("bad credentials", anon_api.get_session(sid, authorization=authorization))
        judge.expect("bad credentials", exchange, {401, 404}, "the request carries no valid credentials")


def _token_elsewhere(token):
    # (query, headers) that carry the real token anywhere but the Authorization header.
    return {
        "query-access-token": ({"access_token": Secret(token)}, {}),
        "cookie": ({}, {"Cookie": Secret(f"token={token}; access_token={token}")}),
        "x-api-key": ({}, {"X-API-Key": Secret(token)}),
        "x-authorization": ({}, {"X-Authorization": Secret(f"Bearer {token}")}),
        "proxy-authorization": ({}, {"Proxy-Authorization": Secret(f"Bearer {token}")}),
    }


@pytest.mark.parametrize("place", list(_token_elsewhere("t")))
def test_a_token_in_the_wrong_place_is_not_a_credential(anon_api, judge, target, place):
    query, headers = _token_elsewhere(target.secrets[-1])[place]
    for sid in target.session_ids:
        url = anon_api.session_url(sid)
        exchange = judge("token in the wrong place", anon_api.request("GET", url, params=query, headers=headers))
        judge.expect("token in the wrong place", exchange, {401, 404}, "Authorization is the only credential")


@pytest.mark.parametrize("kind", ["another-site", "null"])
def test_an_arbitrary_origin_is_not_trusted_with_credentials(api, judge, target, seed, kind):
    # judge(): an Origin reflected (or *) together with Access-Control-Allow-Credentials: true is a
    # finding (an advisory: CORS is outside the contract; a failure with CHASER_STRICT=1).
    origin = "null" if kind == "null" else f"https://chaser-conformance-{seed:x}.example"
    for sid in target.session_ids:
        exchange = judge("cross-origin read", api.get_session(sid, headers={"Origin": origin}))
        judge.expect("cross-origin read", exchange, 200, "the session exists; an Origin header changes nothing")


def test_another_accounts_session_looks_exactly_like_an_unknown_one(api, judge, target, seed, request):
    if target.foreign_session_id is None:
        pytest.skip("CHASER_FOREIGN_SESSION_ID (or --foreign-session-id) is not set: no session of another account")
    foreign = target.foreign_session_id
    rng = random.Random(f"{seed}:{request.node.nodeid}")
    taken = {*target.session_ids, foreign}
    reads = []

    def read_foreign():
        exchange = judge("foreign session", api.get_session(foreign))
        judge.expect("foreign session", exchange, 404, "a session of another account must look like no session")
        reads.append(exchange)
        return features(exchange, foreign)

    def read_unknown():
        sid = lookalike(foreign, rng)
        while sid in taken:
            sid += rng.choice("0123456789")  # an id with no letters or digits to redraw
        return features(judge("unknown id", api.get_session(sid)), sid)

    verdict = compare(read_foreign, read_unknown)
    for doubt in verdict.inconclusive:
        judge.record.advise("foreign session", f"inconclusive (neither passed nor failed on this): {doubt}")
    if verdict.leaks:
        problems = [f"tells the foreign session apart from an unknown id: {leak}" for leak in verdict.leaks]
        judge.fail("foreign session", reads[0], problems)

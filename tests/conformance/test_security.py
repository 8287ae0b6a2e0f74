"""No credentials, bad credentials, and another account's session: none may read a session."""

import json

import pytest

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
    authorization = _credentials(target.token)[case]
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
    query, headers = _token_elsewhere(target.token)[place]
    for sid in target.session_ids:
        url = anon_api.session_url(sid)
        exchange = judge("token in the wrong place", anon_api.request("GET", url, params=query, headers=headers))
        judge.expect("token in the wrong place", exchange, {401, 404}, "Authorization is the only credential")


def _leaves(value, at=""):
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, f"{at}/{key}")
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _leaves(sub, f"{at}/{index}")
    else:
        yield at, value


def _shape(exchange, sid):
    """Status, media type and JSON leaves of a 404, with the requested id replaced by a placeholder."""
    text = exchange.content.decode("utf-8", "replace").replace(sid, "{id}")
    try:
        leaves = dict(_leaves(json.loads(text)))
    except ValueError:
        leaves = {"": text}
    return exchange.status, exchange.media_type, leaves


def test_another_accounts_session_looks_exactly_like_an_unknown_one(api, judge, target, settings, absent_id):
    if target.foreign_session_id is None:
        pytest.skip("CHASER_FOREIGN_SESSION_ID (or --foreign-session-id) is not set: no session of another account")
    foreign = target.foreign_session_id
    exchange = judge("foreign session", api.get_session(foreign))
    judge.expect("foreign session", exchange, 404, "a session of another account must look like no session at all")
    # Two unknown ids tell which parts of a 404 vary by themselves (request ids, timestamps);
    # everything else must be the same for the foreign session, or the answer tells it exists.
    first, second = (absent_id(), absent_id())
    status_a, media_a, leaves_a = _shape(judge("unknown id", api.get_session(first)), first)
    status_b, media_b, leaves_b = _shape(judge("unknown id", api.get_session(second)), second)
    status_f, media_f, leaves_f = _shape(exchange, foreign)
    differences = []
    if (status_f, media_f) != (status_a, media_a):
        differences.append(f"status/type {status_f} {media_f!r} vs {status_a} {media_a!r} for an unknown id")
    if set(leaves_f) != set(leaves_a):
        differences.append(f"body fields {sorted(set(leaves_f) ^ set(leaves_a))} differ from an unknown id's 404")
    stable = {k for k in leaves_a if leaves_b.get(k) == leaves_a[k]}
    for key in sorted(stable & set(leaves_f)):
        if leaves_f[key] != leaves_a[key]:
            differences.append(f"{key or '/'}: {leaves_f[key]!r} where an unknown id gives {leaves_a[key]!r}")
    if differences:
        judge.fail("foreign session", exchange, [f"differs from an unknown id: {d}" for d in differences])

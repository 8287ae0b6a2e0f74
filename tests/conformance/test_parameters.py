"""The path alone chooses the session: a query parameter, a header field or a body that names
another session never reads it.

For an unknown path id and for an own session's, the request also names another session (an own
one, another account's) in the places servers read ids from besides the path. The answer must be
the path's session or its 404 (or a refusal of the undeclared input: 400, 422). Another account's
session read so, or any session read for an unknown path id, is `read chosen by a parameter`
(exposure); another of the caller's own sessions read for an own path id is `id echo` (contract:
the session asked for is not the session returned, and the caller may read both). The judge's own
rules stand for whatever else is wrong with the answer.
"""

import json

import pytest

from chaser_conformance.checks import Problem
from chaser_conformance.checks.statuses import UNDECLARED_REFUSALS

CHECK = "parameters that choose"


def _query(name):
    return lambda other: {"params": {name: other}}


CHOOSERS = {
    "query id": _query("id"),
    "query session_id": _query("session_id"),
    "query sessionId": _query("sessionId"),
    "query sid": _query("sid"),
    "query ids[]": _query("ids[]"),
    # As UTF-8 bytes: an id beyond Latin-1 is sent as servers read it.
    "header X-Session-Id": lambda other: {"headers": {"X-Session-Id": other.encode("utf-8")}},
    "JSON body on GET": lambda other: {
        "headers": {"Content-Type": "application/json"},
        "data": json.dumps({"id": other, "session_id": other}).encode(),
    },
}


def _cases(target, absent):
    own, foreign = target.session_ids, target.foreign_session_id
    cases = [(absent, own[0])]
    if foreign is not None:
        cases += [(own[0], foreign), (absent, foreign)]
    if len(own) > 1:
        cases.append((own[0], own[1]))
    return cases


@pytest.mark.parametrize("chooser", CHOOSERS)
def test_no_parameter_chooses_another_session_than_the_path(api, judge, target, absent_id, chooser):
    for path_id, other in _cases(target, absent_id()):
        response = api.request("GET", api.session_url(path_id), **CHOOSERS[chooser](other))
        known = path_id in target.session_ids
        if _read_id(response) == other and (other == target.foreign_session_id or not known):
            whose = "another account's session" if other == target.foreign_session_id else "a session"
            text = f"{chooser} naming {other!r} read {whose} for the path's {path_id!r} ({response.status_code})"
            judge.fail(CHECK, response, [Problem("read chosen by a parameter", text)])
        exchange = judge(CHECK, response)  # an own session for an own path id: the judge's id echo
        allowed = {200 if known else 404, *UNDECLARED_REFUSALS}
        judge.expect(CHECK, exchange, allowed, f"the path names {'a known session' if known else 'no session'}")


def _read_id(response):
    if not 200 <= response.status_code < 300:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None

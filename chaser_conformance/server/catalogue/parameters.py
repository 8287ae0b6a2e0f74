"""Faults of the parameters that choose what is read (tests/conformance/test_parameters.py): code
that reads a session id from somewhere besides the path, of any account, as handlers written for
"also accept ?id=" do. And the conformant variant that refuses what openapi.yaml does not declare
(a query string, content on a GET) with 400, as strict validators do."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import caller, error_body, json_response
from .switch import Apply, Server, fault, variant


def _any_account(server: Server, sid: Any) -> dict[str, Any] | None:
    if not isinstance(sid, str):
        return None
    for account in server.store.accounts.values():
        found = server.store.find(account, sid)
        if found is not None:
            return found
    return None


def _own(request: Request, server: Server, sid: Any) -> dict[str, Any] | None:
    account = caller(request, server.store)
    return server.store.find(account, sid) if account is not None and isinstance(sid, str) else None


def chosen_by(read: Any, only_unknown: bool, own_only: bool = False) -> Apply:
    """The session `read(request)` names is served, from any account: always, or (`only_unknown`)
    as a fallback when the path's id is not found; `own_only`: the caller's, instead of the caller's
    own session the path names."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        if (only_unknown and response.status_code != 404) or (own_only and response.status_code != 200):
            return response
        sid = read(request)
        found = _own(request, server, sid) if own_only else _any_account(server, sid)
        return json_response(200, found) if found is not None else response

    return apply


def _body_id(request: Request) -> Any:
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None


def refuse_undeclared(request: Request, response: Response, server: Server) -> Response:
    if request.query_string or request.get_data():
        return json_response(400, error_body("bad_request", "unexpected query parameters or content"))
    return response


PARAMETER_FAULTS = [
    fault(
        "query-id-fallback",
        "security",
        "an unknown path id falls back to ?id=, of any account",
        chosen_by(lambda r: r.args.get("id"), only_unknown=True),
    ),
    fault(
        "session-header-wins",
        "security",
        "X-Session-Id, when sent, chooses the session over the path, of any account",
        chosen_by(lambda r: r.headers.get("X-Session-Id"), only_unknown=False),
    ),
    fault(
        "own-session-id-wins",
        "id-match",
        "?session_id= chooses another of the caller's own sessions over the one the path names",
        chosen_by(lambda r: r.args.get("session_id"), only_unknown=False, own_only=True),
    ),
    fault(
        "json-body-id-wins",
        "security",
        "a JSON body's id on a GET chooses the session over the path, of any account",
        chosen_by(_body_id, only_unknown=False),
    ),
]

PARAMETER_VARIANTS = [
    variant(
        "undeclared-input-400",
        "validation",
        "400 for any query string or content on a GET, which openapi.yaml declares for no operation",
        refuse_undeclared,
    ),
]

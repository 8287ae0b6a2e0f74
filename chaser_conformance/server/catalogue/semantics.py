"""Semantic faults: well-formed answers that describe the wrong session, or none."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import caller, json_response, session_id
from .switch import Server, fault, id_is, on_200, on_status, replace_with, rewrite_body, when


def a_different_session(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "id": body["id"] + "-other"}


def invent_session(request: Request, response: Response, server: Server) -> Response:
    """A 200 for any id an authenticated GET asks for, made up from a real session."""
    if not session_id(request) or request.method != "GET" or caller(request, server.store) is None:
        return response
    template = dict(next(iter(server.store.primary.sessions.values())))
    return json_response(200, {**template, "id": session_id(request)})


def serve_session_by_prefix(request: Request, response: Response, server: Server) -> Response:
    """The first session whose id the requested one is a prefix of, or extends."""
    sid = session_id(request)
    for known, body in server.store.primary.sessions.items():
        if sid and sid != known and (known.startswith(sid) or sid.startswith(known)):
            return json_response(200, body)
    return response


SEMANTIC_FAULTS = [
    fault(
        "other-session",
        "semantics",
        "200 describes a different session of the account",
        on_200(rewrite_body(a_different_session)),
    ),
    fault(
        "existing-404",
        "semantics",
        "an existing session (the minimal one) answers 404",
        when(id_is("ses_minimal"), on_200(replace_with(404, {"error": "not_found"}))),
    ),
    fault("any-id-200", "semantics", "200 with a made-up session for any unknown id", on_status(404, invent_session)),
    fault(
        "prefix-match",
        "semantics",
        "an id answers with the first session it is a prefix of or extends",
        on_status(404, serve_session_by_prefix),
    ),
]

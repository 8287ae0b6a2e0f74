"""Faults of the request shapes (tests/conformance/test_shapes.py): authentication that one shape of
the read skips, as code that checks credentials in one place and routes in another does. HEAD
served by a handler that never looks at the token, a route that also matches with a trailing slash
or a normalised spelling but sits outside the authentication middleware, a caller "forwarded from
loopback" trusted as internal, a format parameter served from a cache. And the conformant variant
that stresses the same code: a lenient router (trailing and doubled slashes, dot segments, the
fixed path in any case) that checks credentials on every spelling."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ...contract.spec import SESSION_PATH
from ..http import json_response
from .security import serve_despite_auth
from .switch import Apply, Server, Test, fault, method_is, variant


def normalised_id(path: str, *, trailing: bool = True, spellings: bool = True) -> str | None:
    """The session id a lenient router reads from `path`: with `trailing`, a trailing slash dropped;
    with `spellings`, slashes merged, dot segments resolved and the fixed path's case folded. None:
    no session path, or the documented spelling itself (the reference server answers that)."""
    spelled = path
    if spellings:
        spelled = posixpath.normpath(re.sub("/{2,}", "/", path)) + ("/" if path.endswith("/") else "")
        if spelled[: len(SESSION_PATH)].lower() == SESSION_PATH:
            spelled = SESSION_PATH + spelled[len(SESSION_PATH) :]
    if trailing and spelled.endswith("/"):
        spelled = spelled[:-1]
    sid = spelled[len(SESSION_PATH) :] if spelled.startswith(SESSION_PATH) else ""
    return sid if sid and "/" not in sid and spelled != path else None


def lenient_route(skip_auth: bool, **spelling: bool) -> Apply:
    """Another spelling of the session path is routed to the session: with the credentials checked
    as on the documented route, or (`skip_auth`) outside the authentication, for any caller."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        # The path as sent: an encoded slash (%2F) is part of an id, not a separator (WSGI decodes it).
        raw = (request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path).split("?")[0]
        found = normalised_id(raw, **spelling)
        sid = unquote(found) if found is not None else None
        if sid is None or "/" in sid:
            return response
        if not skip_auth:
            return server.get_session(request, sid)
        found = server.store.find(server.store.primary, sid)
        return json_response(200, found) if found is not None else response

    return apply


def header_is(name: str, value: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return request.headers.get(name, "").split(",")[0].strip() == value

    return test


def query_is(name: str, value: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return request.args.get(name) == value

    return test


SHAPE_FAULTS = [
    fault(
        "head-skips-auth",
        "security",
        "HEAD is answered without a look at the credentials",
        serve_despite_auth(method_is("HEAD")),
    ),
    fault(
        "trailing-slash-skips-auth",
        "security",
        "the route with a trailing slash sits outside the authentication",
        lenient_route(True, spellings=False),
    ),
    fault(
        "normalised-route-skips-auth",
        "security",
        "a route spelled with doubled slashes, dot segments or capitals is served without authentication",
        lenient_route(True, trailing=False),
    ),
    fault(
        "loopback-forwarded-skips-auth",
        "security",
        "a caller whose X-Forwarded-For says 127.0.0.1 is trusted as internal",
        serve_despite_auth(header_is("X-Forwarded-For", "127.0.0.1")),
    ),
    fault(
        "format-parameter-skips-auth",
        "security",
        "?format=json is served by a formatter that never looks at the credentials",
        serve_despite_auth(query_is("format", "json")),
    ),
]

SHAPE_VARIANTS = [
    variant(
        "lenient-routes-with-auth",
        "routes",
        "trailing and doubled slashes, dot segments and the fixed path in any case route to the session, "
        "with the credentials checked as on the documented route",
        lenient_route(False),
    ),
]

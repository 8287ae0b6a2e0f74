"""Security faults: credentials that are not checked, another account's sessions that can be read
or told apart from sessions that do not exist, and headers that let a session's data be shared."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import caller, json_response, session_id
from ..store import Account
from .switch import (
    Apply,
    Server,
    Test,
    fault,
    foreign_session,
    on_200,
    on_status,
    replace_with,
    set_field,
    set_header,
    set_status,
    unless,
    when,
)


def find_session(request: Request, accounts: Iterable[Account], server: Server) -> dict[str, Any] | None:
    for account in accounts:
        found = server.store.find(account, session_id(request))
        if found is not None:
            return found
    return None


def serve_despite_auth(accept: Test) -> Apply:
    """A 401 becomes the (first account's) session when the request passes the faulty test `accept`."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        if not accept(request, response, server):
            return response
        found = find_session(request, [server.store.primary], server)
        return json_response(200, found) if found is not None else response

    return on_status(401, apply)


def serve_from_any_account(request: Request, response: Response, server: Server) -> Response:
    """A lookup that forgets whose session it is: any authenticated caller reads every account's."""
    if caller(request, server.store) is None:
        return response
    found = find_session(request, server.store.accounts.values(), server)
    return json_response(200, found) if found is not None else response


def no_authorization(request: Request, response: Response, server: Server) -> bool:
    return not request.headers.get("Authorization")


def any_bearer_token(request: Request, response: Response, server: Server) -> bool:
    header = request.headers.get("Authorization") or ""
    return header.lower().startswith("bearer ") and len(header) > len("bearer ")


def other_scheme(request: Request, response: Response, server: Server) -> bool:
    header = request.headers.get("Authorization") or ""
    return " " in header and not header.lower().startswith("bearer")


def access_token_in_query(request: Request, response: Response, server: Server) -> bool:
    return bool(request.args.get("access_token"))


def the_token_in_query(request: Request, response: Response, server: Server) -> bool:
    return request.args.get("access_token") == str(server.store.primary.token)


def the_token_in_a_cookie(request: Request, response: Response, server: Server) -> bool:
    return request.cookies.get("access_token") == str(server.store.primary.token)


SECURITY_FAULTS = [
    fault(
        "no-token-reads",
        "security",
        "a request without Authorization reads the session",
        serve_despite_auth(no_authorization),
    ),
    fault("any-bearer-reads", "security", "any Bearer token reads the session", serve_despite_auth(any_bearer_token)),
    fault(
        "other-scheme-reads",
        "security",
        "any credential under a scheme other than Bearer reads it",
        serve_despite_auth(other_scheme),
    ),
    fault(
        "query-token-reads",
        "security",
        "an access_token query parameter reads the session, whatever its value",
        serve_despite_auth(access_token_in_query),
    ),
    # Leniency (strict): only the whole token, in a place openapi.yaml does not name, reads.
    fault(
        "query-the-token-reads",
        "security",
        "the token itself as an access_token query parameter reads the session (any other value does not)",
        serve_despite_auth(the_token_in_query),
        strict=True,
    ),
    fault(
        "cookie-the-token-reads",
        "security",
        "the token in an access_token cookie reads the session",
        serve_despite_auth(the_token_in_a_cookie),
        strict=True,
    ),
    fault(
        "cross-account",
        "security",
        "another account's session is readable",
        on_status(404, serve_from_any_account),
    ),
    fault(
        "foreign-403",
        "security",
        "another account's session answers 403, not 404",
        on_status(404, when(foreign_session, replace_with(403, {"error": "forbidden"}))),
    ),
    fault(
        "foreign-404-tells",
        "security",
        "another account's session answers a 404 that tells it exists",
        on_status(
            404,
            when(foreign_session, replace_with(404, {"error": "not_found", "message": "owned by another account"})),
        ),
    ),
]

# The 404 that another account's session gets differs from unknown ids' 404s in one feature,
# and so tells that the session exists.
FOREIGN_404_FAULTS = [
    fault(
        "foreign-404-extra-header",
        "security",
        "another account's session: a 404 with a header unknown ids' 404s lack",
        on_status(404, when(foreign_session, set_header("X-Owner-Account", "other"))),
    ),
    fault(
        "foreign-404-changed-header",
        "security",
        "another account's session: a 404 whose Content-Type differs from unknown ids' (charset added)",
        on_status(404, when(foreign_session, set_header("Content-Type", "application/json; charset=utf-8"))),
    ),
    fault(
        "foreign-404-missing-header",
        "security",
        "every 404 carries X-Content-Type-Options but another account's session's",
        on_status(404, unless(foreign_session, set_header("X-Content-Type-Options", "nosniff"))),
    ),
    fault(
        "foreign-404-reason-phrase",
        "security",
        "another account's session: 404 with another reason phrase",
        on_status(404, when(foreign_session, set_status("404 Owned Elsewhere"))),
    ),
    fault(
        "foreign-404-extra-member",
        "security",
        "another account's session: a 404 body with one more member",
        on_status(404, when(foreign_session, set_field("/hint", "ask its owner"))),
    ),
]


def cache_control(value: str) -> Apply:
    return on_200(set_header("Cache-Control", value))


Allow = Callable[[str | None], str | None]  # the request's Origin -> the Access-Control-Allow-Origin sent


def cors(allow: Allow, credentials: bool = True) -> Apply:
    """CORS headers on every response that `allow` gives an origin for."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        allowed = allow(request.headers.get("Origin"))
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Vary"] = "Origin"
            if credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    return apply


def any_origin(origin: str | None) -> str | None:
    return origin


def wildcard(origin: str | None) -> str | None:
    return "*"


def only(*trusted: str) -> Allow:
    def allow(origin: str | None) -> str | None:
        return origin if origin in trusted else None

    return allow


TRUSTED_ORIGIN = "https://app.chaser.sh"

SECURITY_HEADER_FAULTS = [
    fault(
        "cache-public",
        "security",
        "authenticated 200 with Cache-Control: public, max-age=300",
        cache_control("public, max-age=300"),
        strict=True,
    ),
    fault(
        "cache-s-maxage",
        "security",
        "authenticated 200 with Cache-Control: s-maxage=60",
        cache_control("s-maxage=60"),
        strict=True,
    ),
    fault(
        "cache-max-age",
        "security",
        "authenticated 200 with Cache-Control: max-age=60 (no private, no no-store)",
        cache_control("max-age=60"),
        strict=True,
    ),
    fault(
        "cors-reflects-any-origin",
        "security",
        "any Origin reflected with Access-Control-Allow-Credentials: true",
        cors(any_origin),
        strict=True,
    ),
    fault(
        "cors-wildcard-with-credentials",
        "security",
        "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
        cors(wildcard),
        strict=True,
    ),
    fault(
        "cors-trusts-null-origin",
        "security",
        "the 'null' Origin (sandboxed frames, file://) trusted with credentials",
        cors(only("null", TRUSTED_ORIGIN)),
        strict=True,
    ),
]

"""Conformant variants that behave as common framework code does, not as the reference server:
bearer checks that trim the credential with the language's own notion of white space (Python's
`str.strip()`, JavaScript's `String.prototype.trim()`, `str.split()`), and servers without HEAD.

A caller who sends the whole token with white space around it held the token: reading with it is
leniency, not exposure (design.md, "Status policy"). A server that does not implement HEAD answers
it 501 (RFC 9110 §15.6.2; Python's http.server without `do_HEAD`) or 405 (routers that route GET
alone). Everything else stays as the reference server answers: the token exact otherwise, 404 JSON
for unknown ids and other accounts' sessions alike.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from ..http import error_body, json_response, session_id
from .switch import Apply, Server, in_turn, method_is, on_status, replace_with, set_header, variant, when

# ECMAScript's WhiteSpace and LineTerminator code points: what String.prototype.trim() removes
# (ECMA-262; test_frameworks asks node). Unlike str.isspace(), U+FEFF is in, U+001C..U+001F and U+0085 out.
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

Extract = Callable[[str], str | None]  # an Authorization value -> the token the server looks up


def _scheme_and_token(value: str) -> tuple[str, str]:
    scheme, _, token = value.partition(" ")
    return scheme, token


def python_strip_whole(value: str) -> str | None:
    # scheme, _, token = request.headers["Authorization"].strip().partition(" ")
    scheme, token = _scheme_and_token(value.strip())
    return token if scheme.lower() == "bearer" and token else None


def python_strip_token(value: str) -> str | None:
    # scheme, _, token = header.partition(" "); token = token.strip()
    scheme, token = _scheme_and_token(value.strip(" \t"))
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def javascript_trim(value: str) -> str | None:
    # const header = req.get("Authorization").trim(); ... header.slice(space + 1).trim()
    scheme, token = _scheme_and_token(value.strip(JS_WHITESPACE))
    token = token.strip(JS_WHITESPACE)
    return token if scheme.lower() == "bearer" and token else None


def split_on_whitespace(value: str) -> str | None:
    # parts = header.split(); if len(parts) == 2 and parts[0].lower() == "bearer": token = parts[1]
    parts = value.split()
    return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


def bearer_read_as(extract: Extract) -> Apply:
    """A 401 answered instead as the server would for the token that `extract` finds in the
    Authorization value: the session if it is that account's, the reference server's 404 if not."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        header = request.headers.get("Authorization")
        token = extract(header) if header else None
        account = server.store.account_for(token) if token else None
        if account is None:
            return response
        session = server.store.find(account, session_id(request))
        if session is None:
            return json_response(404, error_body("not_found", "session not found"))  # as the reference's
        return json_response(200, session)

    return on_status(401, apply)


def unsupported_method(request: Request, response: Response, server: Server) -> Response:
    # http.server's send_error(501, "Unsupported method ('HEAD')"): its HTML error page and headers;
    # the page itself is not sent to a HEAD (werkzeug, like http.server, keeps its Content-Length).
    message = f"Unsupported method ({request.method!r})"
    page = f"<!DOCTYPE HTML>\n<html><head><title>Error response</title></head><body><p>{message}</p></body></html>\n"
    return Response(page, status=f"501 {message}", content_type="text/html;charset=utf-8")


FRAMEWORK_VARIANTS = [
    variant(
        "auth-python-strip",
        "security",
        "Authorization compared after Python's str.strip() of the whole value (Bearer <token>\\u00a0 reads)",
        bearer_read_as(python_strip_whole),
    ),
    variant(
        "auth-python-strip-token",
        "security",
        "the token after 'Bearer ' compared after Python's str.strip() (white space either side of it reads)",
        bearer_read_as(python_strip_token),
    ),
    variant(
        "auth-javascript-trim",
        "security",
        "Authorization and its token trimmed as JavaScript's String.prototype.trim() does (U+00A0, U+FEFF, ...)",
        bearer_read_as(javascript_trim),
    ),
    variant(
        "auth-split-whitespace",
        "security",
        "Authorization split on any white space (Python's str.split()): scheme and token, two words",
        bearer_read_as(split_on_whitespace),
    ),
    variant(
        "no-head-501",
        "protocol",
        "HEAD not implemented: 501 Unsupported method, as Python's http.server without do_HEAD",
        when(method_is("HEAD"), unsupported_method),
    ),
    variant(
        "only-get-implemented",
        "protocol",
        "every method but GET answered 501 Unsupported method, as Python's http.server with do_GET alone",
        when(lambda request, response, server: request.method != "GET", unsupported_method),
    ),
    variant(
        "no-head-405",
        "protocol",
        "HEAD not routed: 405 with Allow: GET (every 405 says so), as routers that route GET alone",
        in_turn(
            when(
                method_is("HEAD"),
                replace_with(405, error_body("method_not_allowed", "HEAD is not allowed"), {"Allow": "GET"}),
            ),
            on_status(405, set_header("Allow", "GET")),  # werkzeug's own 405s list HEAD
        ),
    ),
]

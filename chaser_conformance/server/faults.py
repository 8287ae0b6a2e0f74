"""Named switches for the reference server: faults (each breaks one rule of the contract) and
variants (each does something unusual that the contract allows).

The suite is proven by running it against every fault (it must fail) and every variant
(it must pass). A switch sees the request and the conformant response and returns the
response to send instead. Schema faults are derived from openapi.yaml itself: every
required field missing, every non-nullable field null, every field with a value of
every JSON type it does not allow.
"""

from __future__ import annotations

import fnmatch
import gzip
import itertools
import json
import random
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..spec import SAMPLE_VALUES, accepted_types, delete_at, load_contract, set_at

if TYPE_CHECKING:
    from .app import ReferenceApp

Apply = Callable[[Request, Response, "ReferenceApp"], Response]
SESSION_PREFIX = "/v1/sessions/"


@dataclass(frozen=True)
class Switch:
    name: str
    kind: str  # "fault" or "variant"
    group: str  # schema, protocol, semantics, security, partial; for variants: what is unusual
    description: str
    apply: Apply
    # Outside the contract: found as an advisory, so shown caught (or passed) with CHASER_STRICT=1.
    strict: bool = False


# --- helpers -------------------------------------------------------------------------------


def json_response(status: int, body: Any, content_type: str = "application/json", **headers: str) -> Response:
    return Response(json.dumps(body), status=status, content_type=content_type, headers=headers)


def session_id(request: Request) -> str:
    return request.path[len(SESSION_PREFIX) :] if request.path.startswith(SESSION_PREFIX) else ""


def on_200(edit: Callable[[Response, dict[str, Any]], Response | None]) -> Apply:
    """Change a 200 SessionInfo; `edit` returns a new response or edits the body dict in place."""

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        if response.status_code != 200:
            return response
        body = json.loads(response.get_data())
        replaced = edit(response, body)
        if replaced is not None:
            return replaced
        response.set_data(json.dumps(body))
        return response

    return apply


def on_status(status: int, make: Callable[[Request, Response, ReferenceApp], Response]) -> Apply:
    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        return make(request, response, app) if response.status_code == status else response

    return apply


def when(predicate: Callable[[Request], bool], inner: Apply) -> Apply:
    """Apply `inner` only to requests that match: the partial faults."""

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        return inner(request, response, app) if predicate(request) else response

    return apply


def every(n: int, inner: Apply) -> Apply:
    """Apply `inner` to every n-th response that it would change: bad only some of the time."""
    counter = itertools.count(1)
    lock = threading.Lock()

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        if response.status_code != 200:
            return response
        with lock:
            turn = next(counter)
        return inner(request, response, app) if turn % n == 0 else response

    return apply


def _delete(pointer: str) -> Callable[[Response, dict[str, Any]], None]:
    return lambda response, body: delete_at(body, pointer)


def _put(pointer: str, value: Any) -> Callable[[Response, dict[str, Any]], None]:
    return lambda response, body: set_at(body, pointer, value)


def _set_content_type(response: Response, value: str | None) -> Response:
    if value is None:
        response.headers.pop("Content-Type", None)
    else:
        response.headers["Content-Type"] = value
    return response


def _raw_body(data: bytes, content_type: str | None = "application/json") -> Callable[[Response, dict], Response]:
    return lambda response, body: _set_content_type(Response(data, status=200), content_type)


def _content_type(value: str | None) -> Callable[[Request, Response, ReferenceApp], Response]:
    return lambda request, response, app: _set_content_type(response, value)


def _lookup(app: ReferenceApp, request: Request, *, any_account: bool = False) -> dict[str, Any] | None:
    accounts = app.store.accounts.values() if any_account else [app.store.primary]
    for account in accounts:
        found = app.store.find(account, session_id(request))
        if found is not None:
            return found
    return None


def _serve_despite_auth(accept: Callable[[str | None], bool]) -> Apply:
    """A 401 that becomes the session when the credentials pass the faulty test `accept`."""

    def make(request: Request, response: Response, app: ReferenceApp) -> Response:
        found = _lookup(app, request) if accept(request.headers.get("Authorization")) else None
        return json_response(200, found) if found is not None else response

    return on_status(401, make)


def _drop_connection(request: Request, response: Response, app: ReferenceApp) -> Response:
    # No answer at all: close the socket under the server; the client sees the connection end.
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=200)


# --- schema faults, derived from the contract ------------------------------------------------

# The confusions a hand-written check gets wrong: Python's bool is an int, JSON numbers in strings.
CONFUSIONS: dict[str, list[tuple[str, Any]]] = {
    "integer": [("false", False), ("numeric-string", "3"), ("float", 1.5)],
    "boolean": [("zero", 0), ("one", 1), ("string-true", "true")],
    "string": [("zero", 0), ("false", False)],
}


def _schema_faults() -> Iterable[Switch]:
    for field in load_contract().fields():
        name = field.pointer.strip("/").replace("/", ".")
        if field.required:
            yield Switch(
                f"missing-{name}",
                "fault",
                "schema",
                f"200 lacks required {field.pointer}",
                on_200(_delete(field.pointer)),
            )
        if not field.nullable:
            yield Switch(
                f"null-{name}",
                "fault",
                "schema",
                f"200 has null in non-nullable {field.pointer}",
                on_200(_put(field.pointer, None)),
            )
        allowed = accepted_types(field.types)
        for json_type, value in SAMPLE_VALUES.items():
            if json_type not in allowed and json_type != "null":
                yield Switch(
                    f"type-{name}-{json_type}",
                    "fault",
                    "schema",
                    f"200 has a value of type {json_type} in {field.pointer} ({'/'.join(field.types)})",
                    on_200(_put(field.pointer, value)),
                )
        for allowed_type in field.types:
            for label, value in CONFUSIONS.get(allowed_type, []):
                yield Switch(
                    f"confuse-{name}-{label}",
                    "fault",
                    "schema",
                    f"200 has {value!r} in {field.pointer} ({'/'.join(field.types)})",
                    on_200(_put(field.pointer, value)),
                )


BODY_FAULTS = [
    Switch("body-array", "fault", "schema", "200 body is a JSON array", on_200(_raw_body(b"[]"))),
    Switch("body-string", "fault", "schema", "200 body is a JSON string", on_200(_raw_body(b'"ses_full"'))),
    Switch("body-null", "fault", "schema", "200 body is JSON null", on_200(_raw_body(b"null"))),
    Switch("body-not-json", "fault", "schema", "200 body is not JSON", on_200(_raw_body(b"{id: ses_full"))),
    Switch("body-empty", "fault", "schema", "200 body is empty", on_200(_raw_body(b""))),
]


def _unusual(request: Request) -> bool:
    sid = session_id(request)
    return any(not (ch.isalnum() and ch.isascii()) and ch not in "-_" for ch in sid)


PROTOCOL_FAULTS = [
    Switch(
        "200-text-plain",
        "fault",
        "protocol",
        "200 JSON served as text/plain",
        on_200(lambda r, b: _raw_body(json.dumps(b).encode(), "text/plain")(r, b)),
    ),
    Switch(
        "200-no-content-type",
        "fault",
        "protocol",
        "200 without a Content-Type",
        on_200(lambda r, b: _raw_body(json.dumps(b).encode(), None)(r, b)),
    ),
    Switch("404-text-html", "fault", "protocol", "404 served as text/html", on_status(404, _content_type("text/html"))),
    Switch(
        "404-no-content-type", "fault", "protocol", "404 without a Content-Type", on_status(404, _content_type(None))
    ),
    Switch(
        "404-not-json",
        "fault",
        "protocol",
        "404 with application/json but a text body",
        on_status(404, lambda q, r, a: Response("session not found", 404, content_type="application/json")),
    ),
    Switch(
        "200-as-203",
        "fault",
        "protocol",
        "success answered 203 instead of 200",
        on_status(200, lambda q, r, a: (setattr(r, "status_code", 203), r)[1]),
    ),
    Switch(
        "unknown-id-500",
        "fault",
        "protocol",
        "500 for ids that do not exist",
        on_status(404, lambda q, r, a: json_response(500, {"error": "internal"})),
    ),
    Switch(
        "unknown-id-400",
        "fault",
        "protocol",
        "undocumented 400 for ids that do not exist",
        on_status(404, lambda q, r, a: json_response(400, {"error": "bad id"})),
    ),
    Switch(
        "401-no-challenge",
        "fault",
        "protocol",
        "401 without WWW-Authenticate",
        on_status(401, lambda q, r, a: json_response(401, {"error": "unauthorized"})),
    ),
    Switch(
        "405-no-allow",
        "fault",
        "protocol",
        "405 without an Allow header",
        on_status(405, lambda q, r, a: json_response(405, {"error": "method not allowed"})),
    ),
    Switch(
        "delete-accepted",
        "fault",
        "protocol",
        "DELETE answered 204 (an undeclared method accepted)",
        on_status(405, lambda q, r, a: Response(status=204) if q.method == "DELETE" else r),
    ),
]

# --- strict JSON (RFC 8259): texts Python's json accepts and other readers refuse ----------------


def _first_member(body: Any, member: str) -> str:
    """The JSON text of an object body with one raw member written first."""
    text = json.dumps(body)
    if not isinstance(body, dict):
        text = json.dumps({"value": body})
    return "{" + member + (", " + text[1:] if text != "{}" else "}")


def _duplicate_first(body: Any) -> str:
    # The first member again, written first with another value: a last-wins parser (Python)
    # sees the real body, a first-wins parser sees the other value.
    if not isinstance(body, dict) or not body:
        body = {"value": body}
    key, value = next(iter(body.items()))
    other = value + "-stale" if isinstance(value, str) else "stale"
    return _first_member(body, f"{json.dumps(key)}: {json.dumps(other)}")


# name -> (what is wrong, body -> (bytes, Content-Type))
NOT_JSON: dict[str, tuple[str, Callable[[Any], tuple[bytes, str]]]] = {
    "nan": ("a NaN member", lambda b: (_first_member(b, '"ratio": NaN').encode(), "application/json")),
    "infinity": ("an Infinity member", lambda b: (_first_member(b, '"ratio": Infinity').encode(), "application/json")),
    "negative-infinity": (
        "a -Infinity member",
        lambda b: (_first_member(b, '"ratio": -Infinity').encode(), "application/json"),
    ),
    "duplicate-name": ("a member name twice", lambda b: (_duplicate_first(b).encode(), "application/json")),
    "bom": ("a UTF-8 byte order mark", lambda b: (b"\xef\xbb\xbf" + json.dumps(b).encode(), "application/json")),
    "latin1-bytes": (
        "bytes that are not UTF-8 (Latin-1)",
        lambda b: (_first_member(b, '"region": "Z\u00fcrich"').encode("latin-1"), "application/json"),
    ),
    "utf16-charset": (
        "UTF-16 with charset=utf-16",
        lambda b: (json.dumps(b).encode("utf-16"), "application/json; charset=utf-16"),
    ),
    "lone-surrogate": (
        "a lone surrogate escape",
        lambda b: (_first_member(b, '"note": "\\ud800"').encode(), "application/json"),
    ),
    "trailing-data": (
        "a second JSON value after the first",
        lambda b: ((json.dumps(b) + "\n" + json.dumps(b)).encode(), "application/json"),
    ),
}


def _json_text(status: int, write: Callable[[Any], tuple[bytes, str]]) -> Apply:
    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        if response.status_code != status:
            return response
        data, content_type = write(json.loads(response.get_data()))
        response.set_data(data)
        response.headers["Content-Type"] = content_type
        return response

    return apply


STRICT_JSON_FAULTS = [
    Switch(f"json-{name}-{status}", "fault", "strict-json", f"{status} body with {what}", _json_text(status, write))
    for name, (what, write) in NOT_JSON.items()
    for status in (200, 404)
]


SEMANTIC_FAULTS = [
    Switch(
        "other-session",
        "fault",
        "semantics",
        "200 describes a different session of the account",
        on_200(lambda r, b: json_response(200, a_different_session(b))),
    ),
    Switch(
        "existing-404",
        "fault",
        "semantics",
        "an existing session (the minimal one) answers 404",
        when(
            lambda q: session_id(q) == "ses_minimal",
            on_status(200, lambda q, r, a: json_response(404, {"error": "not_found"})),
        ),
    ),
    Switch(
        "any-id-200",
        "fault",
        "semantics",
        "200 with a made-up session for any unknown id",
        on_status(404, lambda q, r, a: _made_up(q, r, a)),
    ),
    Switch(
        "prefix-match",
        "fault",
        "semantics",
        "an id answers with the first session it is a prefix of or extends",
        on_status(404, lambda q, r, a: _prefix_match(q, r, a)),
    ),
]


def _loose_lookup(matches: Callable[[str, str], bool], raw: bool = False) -> Apply:
    """A backend that resolves ids loosely: the first session of the caller's account whose id
    `matches(requested, stored)` answers an id that names no session (the stored body, as a
    database would return it). `raw` hands over the path segment as sent, undecoded."""

    def make(request: Request, response: Response, app: ReferenceApp) -> Response:
        from .app import bearer_token

        account = app.store.account_for(bearer_token(request.headers.get("Authorization")) or "")
        requested = _raw_segment(request) if raw else session_id(request)
        if account is None or not requested or request.method != "GET":
            return response
        for stored, body in account.sessions.items():
            if matches(requested, stored):
                return json_response(200, body)
        return response

    return on_status(404, make)


def _raw_segment(request: Request) -> str:
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    path = uri.split("?", 1)[0]
    return path[len(SESSION_PREFIX) :] if path.startswith(SESSION_PREFIX) else ""


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


ID_MATCH_FAULTS = [
    Switch(
        "id-case-insensitive",
        "fault",
        "id-match",
        "ids compared case-insensitively (a *_ci collation)",
        _loose_lookup(lambda got, stored: got.casefold() == stored.casefold()),
    ),
    Switch(
        "id-pad-space",
        "fault",
        "id-match",
        "trailing spaces ignored in the comparison (SQL PAD SPACE)",
        _loose_lookup(lambda got, stored: got.rstrip(" ") == stored.rstrip(" ")),
    ),
    Switch(
        "id-trimmed",
        "fault",
        "id-match",
        "the id is trimmed of white space before the lookup",
        _loose_lookup(lambda got, stored: got.strip() == stored),
    ),
    Switch(
        "id-nfkc",
        "fault",
        "id-match",
        "the id is NFKC-normalised before the lookup (fullwidth and other compatibility forms)",
        _loose_lookup(lambda got, stored: unicodedata.normalize("NFKC", got) == stored),
    ),
    Switch(
        "id-like-pattern",
        "fault",
        "id-match",
        "the id is used as a SQL LIKE pattern (% and _)",
        _loose_lookup(_like),
    ),
    Switch(
        "id-glob-pattern",
        "fault",
        "id-match",
        "the id is used as a glob pattern (* and ?)",
        _loose_lookup(lambda got, stored: fnmatch.fnmatchcase(stored, got)),
    ),
    Switch(
        "id-double-decoded",
        "fault",
        "id-match",
        "the id is percent-decoded a second time",
        _loose_lookup(lambda got, stored: unquote(got) == stored),
    ),
    Switch(
        "id-format-suffix",
        "fault",
        "id-match",
        "a format suffix (.json, .xml) is stripped from the id",
        _loose_lookup(lambda got, stored: re.sub(r"\.(json|xml)$", "", got) == stored),
    ),
    Switch(
        "id-path-parameter",
        "fault",
        "id-match",
        "path parameters (';' and after) are stripped from the id, as servlet containers do",
        _loose_lookup(lambda got, stored: ";" in got and unquote(got.split(";", 1)[0]) == stored, raw=True),
    ),
]


def a_different_session(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "id": body["id"] + "-other"}


def _made_up(request: Request, response: Response, app: ReferenceApp) -> Response:
    if not session_id(request) or request.method != "GET":
        return response
    auth = request.headers.get("Authorization")
    if app.store.account_for((auth or "").removeprefix("Bearer ")) is None:
        return response
    template = dict(next(iter(app.store.primary.sessions.values())))
    return json_response(200, {**template, "id": session_id(request)})


def _prefix_match(request: Request, response: Response, app: ReferenceApp) -> Response:
    sid = session_id(request)
    for known, body in app.store.primary.sessions.items():
        if sid and sid != known and (known.startswith(sid) or sid.startswith(known)):
            return json_response(200, body)
    return response


SECURITY_FAULTS = [
    Switch(
        "no-token-reads",
        "fault",
        "security",
        "a request without Authorization reads the session",
        _serve_despite_auth(lambda h: not h),
    ),
    Switch(
        "any-bearer-reads",
        "fault",
        "security",
        "any Bearer token reads the session",
        _serve_despite_auth(lambda h: bool(h) and h.lower().startswith("bearer ") and len(h) > 7),
    ),
    Switch(
        "other-scheme-reads",
        "fault",
        "security",
        "the token under a scheme other than Bearer reads it",
        _serve_despite_auth(lambda h: bool(h) and " " in h and not h.lower().startswith("bearer")),
    ),
    Switch(
        "query-token-reads",
        "fault",
        "security",
        "an access_token query parameter reads the session",
        on_status(
            401,
            lambda q, r, a: json_response(200, _lookup(a, q)) if q.args.get("access_token") and _lookup(a, q) else r,
        ),
    ),
    Switch(
        "cross-account",
        "fault",
        "security",
        "another account's session is readable",
        on_status(
            404,
            lambda q, r, a: (
                json_response(200, _lookup(a, q, any_account=True))
                if a.store.account_for(q.headers.get("Authorization", "").removeprefix("Bearer "))
                and _lookup(a, q, any_account=True)
                else r
            ),
        ),
    ),
    Switch(
        "foreign-403",
        "fault",
        "security",
        "another account's session answers 403, not 404",
        on_status(
            404,
            lambda q, r, a: (
                json_response(403, {"error": "forbidden"}) if session_id(q) in a.store.other.sessions else r
            ),
        ),
    ),
    Switch(
        "foreign-404-tells",
        "fault",
        "security",
        "another account's session answers a 404 that tells it exists",
        on_status(
            404,
            lambda q, r, a: (
                json_response(404, {"error": "not_found", "message": "owned by another account"})
                if session_id(q) in a.store.other.sessions
                else r
            ),
        ),
    ),
]


def _foreign_404(change: Callable[[Response], Response | None]) -> Apply:
    """Change only the 404 that another account's session gets: it then tells that the session exists."""

    def make(request: Request, response: Response, app: ReferenceApp) -> Response:
        if session_id(request) not in app.store.other.sessions:
            return response
        return change(response) or response

    return on_status(404, make)


def _nosniff_except_foreign(request: Request, response: Response, app: ReferenceApp) -> Response:
    if response.status_code == 404 and session_id(request) not in app.store.other.sessions:
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


FOREIGN_404_FAULTS = [
    Switch(
        "foreign-404-extra-header",
        "fault",
        "security",
        "another account's session: a 404 with a header unknown ids' 404s lack",
        _foreign_404(lambda r: r.headers.__setitem__("X-Owner-Account", "other")),
    ),
    Switch(
        "foreign-404-changed-header",
        "fault",
        "security",
        "another account's session: a 404 whose Content-Type differs from unknown ids' (charset added)",
        _foreign_404(lambda r: r.headers.__setitem__("Content-Type", "application/json; charset=utf-8")),
    ),
    Switch(
        "foreign-404-missing-header",
        "fault",
        "security",
        "every 404 carries X-Content-Type-Options but another account's session's",
        _nosniff_except_foreign,
    ),
    Switch(
        "foreign-404-reason-phrase",
        "fault",
        "security",
        "another account's session: 404 with another reason phrase",
        _foreign_404(lambda r: setattr(r, "status", "404 Owned Elsewhere")),
    ),
    Switch(
        "foreign-404-extra-member",
        "fault",
        "security",
        "another account's session: a 404 body with one more member",
        _foreign_404(lambda r: json_response(404, {**json.loads(r.get_data()), "hint": "ask its owner"})),
    ),
]


def _cache_control(value: str) -> Apply:
    return on_200(lambda r, b: (r.headers.__setitem__("Cache-Control", value), None)[1])


def _cors(allow: Callable[[str | None], str | None], credentials: bool = True) -> Apply:
    """CORS headers on every response: `allow(origin)` is the Access-Control-Allow-Origin sent, if any."""

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        allowed = allow(request.headers.get("Origin"))
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Vary"] = "Origin"
            if credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    return apply


TRUSTED_ORIGIN = "https://app.chaser.sh"

SECURITY_HEADER_FAULTS = [
    Switch(
        "cache-public",
        "fault",
        "security",
        "authenticated 200 with Cache-Control: public, max-age=300",
        _cache_control("public, max-age=300"),
        strict=True,
    ),
    Switch(
        "cache-s-maxage",
        "fault",
        "security",
        "authenticated 200 with Cache-Control: s-maxage=60",
        _cache_control("s-maxage=60"),
        strict=True,
    ),
    Switch(
        "cache-max-age",
        "fault",
        "security",
        "authenticated 200 with Cache-Control: max-age=60 (no private, no no-store)",
        _cache_control("max-age=60"),
        strict=True,
    ),
    Switch(
        "cors-reflects-any-origin",
        "fault",
        "security",
        "any Origin reflected with Access-Control-Allow-Credentials: true",
        _cors(lambda origin: origin),
        strict=True,
    ),
    Switch(
        "cors-wildcard-with-credentials",
        "fault",
        "security",
        "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
        _cors(lambda origin: "*"),
        strict=True,
    ),
    Switch(
        "cors-trusts-null-origin",
        "fault",
        "security",
        "the 'null' Origin (sandboxed frames, file://) trusted with credentials",
        _cors(lambda origin: origin if origin in ("null", TRUSTED_ORIGIN) else None),
        strict=True,
    ),
]


PARTIAL_FAULTS = [
    Switch(
        "nulls-only",
        "fault",
        "partial",
        "only sessions whose nullable fields are null lose 'status'",
        on_200(lambda r, b: _delete("/status")(r, b) if b.get("workspace_id", "") is None else None),
    ),
    Switch(
        "minimal-only",
        "fault",
        "partial",
        "only sessions without optional fields have a numeric id",
        on_200(lambda r, b: _put("/id", 1)(r, b) if "workspace_id" not in b else None),
    ),
    Switch(
        "non-ascii-id-500",
        "fault",
        "partial",
        "500 only for ids with non-ASCII characters",
        when(
            lambda q: not session_id(q).isascii(),
            on_status(404, lambda q, r, a: json_response(500, {"error": "codec"})),
        ),
    ),
    Switch(
        "unusual-id-no-answer",
        "fault",
        "partial",
        "no answer at all for ids with reserved characters",
        when(_unusual, _drop_connection),
    ),
    Switch(
        "long-id-500",
        "fault",
        "partial",
        "500 only for ids longer than 1000 characters",
        when(
            lambda q: len(session_id(q)) > 1000,
            on_status(404, lambda q, r, a: json_response(500, {"error": "too long"})),
        ),
    ),
    Switch(
        "flaky-1-in-4", "fault", "partial", "every 4th 200 lacks 'created_at'", every(4, on_200(_delete("/created_at")))
    ),
]


# --- variants: unusual, but within the contract ----------------------------------------------


def _gzip(request: Request, response: Response, app: ReferenceApp) -> Response:
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        return response
    response.set_data(gzip.compress(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def _slow(request: Request, response: Response, app: ReferenceApp) -> Response:
    time.sleep(0.05)  # the variant itself: a slow server, well inside the suite's timeouts
    return response


def _rate_limited() -> Apply:
    counter = itertools.count(1)
    lock = threading.Lock()

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        with lock:
            turn = next(counter)
        if turn % 150 == 0:
            return json_response(429, {"error": "slow down"}, **{"Retry-After": "1"})
        return response

    return apply


def _all_nullable_null(response: Response, body: dict[str, Any]) -> None:
    for f in load_contract().fields():
        if f.nullable:
            _put(f.pointer, None)(response, body)


def _optional_absent(response: Response, body: dict[str, Any]) -> None:
    for f in load_contract().fields():
        if not f.required:
            _delete(f.pointer)(response, body)


def _extra_properties(response: Response, body: dict[str, Any]) -> None:
    body.update(x_region="eu-1", tags=["a", {"b": None}])
    body["endpoints"]["debug"] = "ws://debug.chaser.test"


def _pretty(response: Response, body: dict[str, Any]) -> Response:
    return _raw_body(json.dumps(dict(reversed(list(body.items()))), indent=2).encode())(response, body)


def _per_request_headers(request: Request, response: Response, app: ReferenceApp) -> Response:
    # What gateways and tracing add: fresh values on every response, and a header on some only.
    chance = random.SystemRandom()
    response.headers["X-Request-Id"] = f"{chance.getrandbits(64):016x}"
    response.headers["Server-Timing"] = f"db;dur={chance.uniform(0.1, 9):.2f}"
    if chance.random() < 1 / 3:
        response.headers["X-Cache"] = "HIT"
    return response


NOT_FOUND_BODIES: list[Any] = [
    None,
    "not found",
    404,
    ["not_found"],
    {"error": "not_found"},
    {"error": {"code": 404, "detail": "no such session"}},
    {"errors": [{"status": "404"}], "meta": {"retryable": False}},
]


def _body_shape_per_request(request: Request, response: Response, app: ReferenceApp) -> Response:
    # The 404 schema is any JSON value: this one is drawn afresh for every request.
    return json_response(404, random.SystemRandom().choice(NOT_FOUND_BODIES))


def _escaped_string(text: str) -> str:
    # Every UTF-16 code unit as \uXXXX: non-BMP characters become escaped surrogate pairs.
    units = text.encode("utf-16-be")
    return '"' + "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)) + '"'


def _escaped_json(value: Any) -> str:
    if isinstance(value, str):
        return _escaped_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_escaped_string(k)}:{_escaped_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_escaped_json, value)) + "]"
    return json.dumps(value)


def _exponent_json(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return json.dumps(value)
    if isinstance(value, int):
        return f"{value * 10}E-1"  # 2 as 20E-1: an integer value written as an exponent
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_exponent_json(v)}" for k, v in value.items()) + "}"
    return "[" + ",".join(map(_exponent_json, value)) + "]"


def _legal_json(write: Callable[[Any], str]) -> Apply:
    """Rewrite every JSON body (200, 404, 401, 405) in another legal form of the same value."""

    def apply(request: Request, response: Response, app: ReferenceApp) -> Response:
        if response.mimetype != "application/json" or not response.get_data():
            return response
        response.set_data(write(json.loads(response.get_data())).encode())
        return response

    return apply


def _with_label(body: Any) -> Any:
    # A non-BMP character and a non-ASCII one: an escaped surrogate pair is legal, a lone one is not.
    return {**body, "label": "\U0001f9ed Z\u00fcrich"} if isinstance(body, dict) else body


def _big_integer(response: Response, body: dict[str, Any]) -> None:
    if body.get("active_connection_leases") is not None:
        body["active_connection_leases"] = 2**70  # no maximum in the schema
    body["bytes_sent"] = 10**30  # an extra property, well beyond 64 bits


STRICT_JSON_VARIANTS = [
    Switch(
        "json-unicode-escapes",
        "variant",
        "strict-json",
        "every string character \\u-escaped, a non-BMP character as an escaped surrogate pair",
        _legal_json(lambda b: _escaped_json(_with_label(b))),
    ),
    Switch(
        "json-exponent-integers",
        "variant",
        "strict-json",
        "integers written with an exponent (20E-1 for 2)",
        _legal_json(_exponent_json),
    ),
    Switch("json-big-integers", "variant", "strict-json", "integers beyond 64 bits", on_200(_big_integer)),
    Switch(
        "json-any-whitespace",
        "variant",
        "strict-json",
        "space, tab, CR and LF around every token, before and after the value",
        _legal_json(lambda b: " \t\r\n" + json.dumps(b, indent="\t", separators=(" ,\r\n", " :\t ")) + "\r\n\t "),
    ),
]

VARIANTS = [
    Switch("extra-properties", "variant", "schema", "extra properties at both levels", on_200(_extra_properties)),
    Switch("all-nullable-null", "variant", "schema", "every nullable field null", on_200(_all_nullable_null)),
    Switch("optional-absent", "variant", "schema", "every optional field absent", on_200(_optional_absent)),
    Switch(
        "integer-valued-float",
        "variant",
        "schema",
        "active_connection_leases as 2.0 (an integer in 2020-12)",
        on_200(lambda r, b: b.update(active_connection_leases=2.0) if "active_connection_leases" in b else None),
    ),
    Switch(
        "empty-strings",
        "variant",
        "schema",
        "required strings empty",
        on_200(lambda r, b: b.update(status="", session_type="", created_at="")),
    ),
    Switch(
        "charset",
        "variant",
        "protocol",
        "Content-Type: application/json; charset=utf-8 everywhere",
        lambda q, r, a: (
            (
                r.headers.__setitem__("Content-Type", "application/json; charset=utf-8")
                if r.headers.get("Content-Type", "").startswith("application/json")
                else None
            )
            or r
        ),
    ),
    Switch("gzip", "variant", "protocol", "gzip-compressed responses", _gzip),
    Switch(
        "connection-close",
        "variant",
        "protocol",
        "Connection: close after each response",
        lambda q, r, a: (r.headers.__setitem__("Connection", "close"), r)[1],
    ),
    Switch("slow", "variant", "protocol", "50 ms per response", _slow),
    Switch("rate-limited", "variant", "protocol", "429 with Retry-After: 1 on every 150th request", _rate_limited()),
    Switch(
        "401-rich-challenge",
        "variant",
        "security",
        "401 with a full RFC 6750 challenge and a second scheme",
        on_status(
            401,
            lambda q, r, a: (
                r.headers.__setitem__(
                    "WWW-Authenticate", 'Basic realm="x", Bearer realm="chaser", error="invalid_token"'
                ),
                r,
            )[1],
        ),
    ),
    Switch(
        "404-for-bad-credentials",
        "variant",
        "security",
        "404 (not 401) for missing or bad credentials",
        on_status(401, lambda q, r, a: json_response(404, {"error": "not_found"})),
    ),
    Switch(
        "404-any-json",
        "variant",
        "protocol",
        "404 bodies that are other JSON values",
        on_status(404, lambda q, r, a: json_response(404, [None, "not found", 404][len(session_id(q)) % 3])),
    ),
    Switch(
        "404-null-body",
        "variant",
        "protocol",
        "404 body is JSON null",
        on_status(404, lambda q, r, a: json_response(404, None)),
    ),
    Switch(
        "methods-404",
        "variant",
        "protocol",
        "undeclared methods answer 404 for ids that do not exist",
        on_status(405, lambda q, r, a: json_response(404, {"error": "not_found"})),
    ),
    Switch(
        "options-204",
        "variant",
        "protocol",
        "OPTIONS answered 204 with Allow (as CORS layers do)",
        lambda q, r, a: Response(status=204, headers={"Allow": "GET, HEAD, OPTIONS"}) if q.method == "OPTIONS" else r,
    ),
    Switch("pretty-json", "variant", "protocol", "indented JSON with keys in reverse order", on_200(_pretty)),
    Switch(
        "cache-headers",
        "variant",
        "protocol",
        "ETag, Cache-Control and a request id on every response",
        lambda q, r, a: (r.headers.update({"ETag": '"abc"', "Cache-Control": "no-store", "X-Request-Id": "r-1"}), r)[1],
    ),
    Switch(
        "request-id-in-404",
        "variant",
        "security",
        "every 404 body carries a fresh request id and the id asked for",
        on_status(
            404,
            lambda q, r, a: json_response(
                404, {"error": "not_found", "id": session_id(q), "request_id": f"req-{time.monotonic_ns()}"}
            ),
        ),
    ),
    Switch(
        "404-per-request-headers",
        "variant",
        "security",
        "404s with a fresh request id and timing on each, and a header on one in three",
        on_status(404, _per_request_headers),
    ),
    Switch(
        "404-body-shape-per-request",
        "variant",
        "security",
        "404 bodies of a different JSON shape drawn for each request",
        on_status(404, _body_shape_per_request),
    ),
    Switch(
        "cache-private",
        "variant",
        "security",
        "authenticated 200 with Cache-Control: private, max-age=60",
        _cache_control("private, max-age=60"),
        strict=True,
    ),
    Switch(
        "cors-allowlist",
        "variant",
        "security",
        "credentialed CORS for one trusted origin only",
        _cors(lambda origin: origin if origin == TRUSTED_ORIGIN else None),
        strict=True,
    ),
    Switch(
        "cors-public-without-credentials",
        "variant",
        "security",
        "Access-Control-Allow-Origin: * without credentials",
        _cors(lambda origin: "*", credentials=False),
        strict=True,
    ),
    *STRICT_JSON_VARIANTS,
]

FAULTS = [
    *_schema_faults(),
    *BODY_FAULTS,
    *PROTOCOL_FAULTS,
    *STRICT_JSON_FAULTS,
    *SEMANTIC_FAULTS,
    *ID_MATCH_FAULTS,
    *SECURITY_FAULTS,
    *FOREIGN_404_FAULTS,
    *SECURITY_HEADER_FAULTS,
    *PARTIAL_FAULTS,
]
CATALOGUE: dict[str, Switch] = {s.name: s for s in (*FAULTS, *VARIANTS)}
assert len(CATALOGUE) == len(FAULTS) + len(VARIANTS), "switch names must be unique"


def resolve_switches(switches: Iterable[str | Switch]) -> tuple[Switch, ...]:
    resolved = []
    for switch in switches:
        if isinstance(switch, Switch):
            resolved.append(switch)
        elif switch in CATALOGUE:
            resolved.append(CATALOGUE[switch])
        else:
            raise ValueError(f"unknown fault or variant {switch!r}")
    return tuple(resolved)

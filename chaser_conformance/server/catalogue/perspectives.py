"""Faults of the generated credentials and of the perspectives (tests/conformance/test_security.py):
credentials matched loosely, and existence told to callers who may not read a session (by status,
reason phrase or the body's bytes), a valid read served to another caller, and a first read that
only the pre-flight sees. Several mechanisms per class.

A loose match that takes only credentials carrying the whole token (trimmed, decoded, a list, the
token with more after it) is leniency, an advisory: those faults are strict (caught under
CHASER_STRICT=1). One that takes a credential which lost part of the token (case folded, cut, the
alphabet folded) is an exposure, caught without strict."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import unicodedata
import weakref
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..http import caller, json_response, session_id
from .security import find_session, serve_despite_auth
from .switch import Apply, Server, fault, on_status, variant

# --- credentials matched loosely -------------------------------------------------------------


def token_test(matches):
    def test(request: Request, response: Response, server: Server) -> bool:
        header = request.headers.get("Authorization")
        token = str(server.store.primary.token)
        return header is not None and matches(header, token)

    return test


def case_insensitive_credentials(header: str, token: str) -> bool:
    return header.strip().lower() == f"bearer {token}".lower()


def unicode_trimmed(header: str, token: str) -> bool:
    scheme, _, given = header.strip().partition(" ")
    return scheme.lower() == "bearer" and given.strip() == token


def prefix_of_token(header: str, token: str) -> bool:
    given = header.partition(" ")[2]
    return len(given) >= 4 and (token.startswith(given) or given.startswith(token))


def last_word(header: str, token: str) -> bool:
    return header.split()[-1:] == [token] if header.split() else False


def first_of_list(header: str, token: str) -> bool:
    return any(part.strip().partition(" ")[2] == token for part in header.split(","))


def base64_decoded(header: str, token: str) -> bool:
    given = header.partition(" ")[2]
    try:
        decoded = base64.b64decode(given, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    return given == token or decoded == token or decoded.rstrip(":") == token


def extended(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and given.startswith(token)


def percent_decoded(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and unquote(given) == token


def nfkc_normalised(header: str, token: str) -> bool:
    """The credential compared after Unicode NFKC normalisation (fullwidth letters fold to ASCII). The
    header's bytes reach the handler decoded as Latin-1 (WSGI); the server reads them as UTF-8."""
    try:
        text = header.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        text = header
    return unicodedata.normalize("NFKC", text) == f"Bearer {token}"


def alphabet_folded(header: str, token: str) -> bool:
    given = header.partition(" ")[2]
    return given.translate(str.maketrans("+/", "-_")) == token.translate(str.maketrans("+/", "-_")) and given != token


# --- existence told to callers who may not read ------------------------------------------------


def exists_anywhere(request: Request, server: Server) -> bool:
    return find_session(request, server.store.accounts.values(), server) is not None


def anonymous_told(edit: Apply) -> Apply:
    """The edit on a 401 for an id that exists (in any account): the caller learns it exists."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        return edit(request, response, server) if exists_anywhere(request, server) else response

    return on_status(401, apply)


def status_404_for_unknown(request: Request, response: Response, server: Server) -> Response:
    if exists_anywhere(request, server):
        return response
    return json_response(404, {"error": "not_found", "message": "session not found"})


def reordered(request: Request, response: Response, server: Server) -> Response:
    # The same JSON value, serialised otherwise: keys sorted, no spaces.
    response.set_data(json.dumps(json.loads(response.get_data()), sort_keys=True, separators=(",", ":")))
    return response


def reason(phrase: str) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        response.status = f"{response.status_code} {phrase}"
        return response

    return apply


def foreign_bytes_differ(request: Request, response: Response, server: Server) -> Response:
    if session_id(request) in server.store.other.sessions and caller(request, server.store) is not None:
        response.set_data(json.dumps(json.loads(response.get_data()), indent=1))
    return response


def served_from_cache() -> Apply:
    """A shared cache keyed by URL alone: a session read with the token is served to the next caller."""
    cache: weakref.WeakKeyDictionary[Server, dict[str, bytes]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            kept = cache.setdefault(server, {})
            if response.status_code == 200:
                kept[request.path] = response.get_data()
                return response
            hit = kept.pop(request.path, None) if response.status_code == 401 else None
        return Response(hit, status=200, content_type="application/json") if hit is not None else response

    return apply


def on_first_read(edit: Apply) -> Apply:
    """The edit on the first 200 of each session (per server); every later read is right."""
    seen: weakref.WeakKeyDictionary[Server, set[str]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            done = seen.setdefault(server, set())
            first = request.path not in done
            done.add(request.path)
        return edit(request, response, server) if first else response

    return on_status(200, apply)


def without_status(request: Request, response: Response, server: Server) -> Response:
    body = json.loads(response.get_data())
    body.pop("status", None)
    response.set_data(json.dumps(body))
    return response


def cold_start_error(request: Request, response: Response, server: Server) -> Response:
    return json_response(503, {"error": "warming_up"}, {"Retry-After": "0"})


def exactly_bearer(request: Request, response: Response, server: Server) -> Response:
    """Only "Bearer <token>" exactly, no other spelling HTTP allows: strict, and still conformant
    (the suite never sends the legal spellings as near misses, nor needs them accepted)."""
    header = request.headers.get("Authorization")
    if request.method != "GET" or header is None or response.status_code == 401 or re.fullmatch(r"Bearer \S+", header):
        return response
    return json_response(401, {"error": "unauthorized"}, {"WWW-Authenticate": 'Bearer realm="chaser"'})


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 9110 §5.5: no CTL but HTAB in a field value


def control_character_400(request: Request, response: Response, server: Server) -> Response:
    """What Node.js' HTTP parser does with a control character in a field value: 400 before any
    handler runs, no body, and the connection closed."""
    if not any(_CONTROL.search(value) for _, value in request.headers.items()):
        return response
    return Response(status=400, headers={"Connection": "close"})


def _token(name: str, what: str, matches, strict: bool = False):
    return fault(name, "security", what, serve_despite_auth(token_test(matches)), strict=strict)


PERSPECTIVE_FAULTS = [
    # Exposure: the credential accepted lost part of the token.
    _token("token-case-insensitive", "the token is compared case-insensitively", case_insensitive_credentials),
    _token("token-prefix", "a prefix of the token, or the token with more after it, is accepted", prefix_of_token),
    _token("token-alphabet-folded", "the base64 and base64url alphabets are treated as one", alphabet_folded),
    # Leniency: every credential accepted carries the whole token.
    _token(
        "token-unicode-trimmed",
        "the token is trimmed of any Unicode white space (no-break space)",
        unicode_trimmed,
        strict=True,
    ),
    _token(
        "token-last-word",
        "the last word of Authorization is taken as the token, whatever comes before",
        last_word,
        strict=True,
    ),
    _token(
        "token-from-a-list",
        "Authorization is split on commas and any credential in it is tried",
        first_of_list,
        strict=True,
    ),
    _token("token-base64-decoded", "a base64-encoded token is decoded and accepted", base64_decoded, strict=True),
    _token("token-extended", "the token with anything after it is accepted (startswith)", extended, strict=True),
    _token("token-percent-decoded", "a percent-encoded token is decoded and accepted", percent_decoded, strict=True),
    _token(
        "token-nfkc-normalised",
        "the credential is NFKC-normalised before it is compared (the token in fullwidth letters reads)",
        nfkc_normalised,
        strict=True,
    ),
    fault(
        "anonymous-404-for-unknown",
        "security",
        "without valid credentials: 401 for ids that exist, 404 for the rest",
        status_404_for_unknown,
    ),
    fault(
        "anonymous-bytes-differ",
        "security",
        "without valid credentials, an existing id's 401 body is serialised otherwise",
        anonymous_told(reordered),
    ),
    fault(
        "anonymous-reason-differs",
        "security",
        "without valid credentials, an existing id's 401 has another reason phrase",
        anonymous_told(reason("Session Locked")),
    ),
    fault(
        "foreign-404-bytes-differ",
        "security",
        "another account's session: the same JSON 404, written with other bytes",
        on_status(404, foreign_bytes_differ),
    ),
    fault(
        "valid-read-served-to-anonymous",
        "security",
        "a shared cache serves a session read with the token to the next caller without one",
        served_from_cache(),
    ),
    fault(
        "first-read-broken",
        "schema",
        "the first read of each session lacks the required `status`; later reads are right",
        on_first_read(without_status),
    ),
    fault(
        "first-read-5xx",
        "protocol",
        "the first read of each session answers 503 (a cold cache); later reads are right",
        on_first_read(cold_start_error),
    ),
]

PERSPECTIVE_VARIANTS = [
    variant(
        "auth-exact-bearer",
        "security",
        "only 'Bearer <token>' exactly is accepted (no other legal spelling)",
        exactly_bearer,
    ),
    variant(
        "control-character-400",
        "security",
        "400 without a body to a request with a control character in a field value, as Node.js answers",
        control_character_400,
    ),
]

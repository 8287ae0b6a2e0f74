"""Statuses HTTP prescribes, as the Judge grades them: 501 and 505 are not a server's error, a
refusal of a request the suite made malformed is HTTP's own answer, and a redirect to the request's
own URL after the normalisation frameworks apply is a lenient route (rules.py)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from .exchange import Exchange

HEAD_UNSUPPORTED = (405, 501)  # HEAD refused or not implemented
HTTP_REFUSALS = (400, 414, 431)  # malformed request, URI too long, header fields too large
UNDECLARED_REFUSALS = (400, 422)  # a request with input openapi.yaml does not declare, refused
REQUEST_TARGET_LIMIT = 8000  # octets every server should read (RFC 9112 §3); past it a 414 is fair
FIELD_SECTION_LIMIT = 8192  # a common header size limit (nginx, Node.js 16 KiB; Apache 8 KiB per field)
# RFC 9110 §5.5: a field value holds no control character but HTAB (CTL = %x00-1F / %x7F).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def server_error(status: int) -> bool:
    """A 5xx the server chose; 501 and 505 are what HTTP prescribes for a method or a version a
    server does not implement (RFC 9110 §15.6.2, §15.6.6), judged where they are answered."""
    return status >= 500 and status not in (501, 505)


def malformed_field_value(value: str) -> bool:
    """The value breaks HTTP's own syntax for a field value: a server (Node.js) may refuse the
    request with 400 before any credential is looked at, which is HTTP's answer, not a finding."""
    return _CONTROL.search(value) is not None


def http_malformed(ex: Exchange) -> bool:
    """The suite made the request malformed or oversized at the HTTP level: a control character in a
    field value (RFC 9110 §5.5), a request target or field section past common limits."""
    return any(malformed_field_value(str(v)) for v in ex.request_headers.values()) or bool(oversized(ex))


def undeclared_input(ex: Exchange) -> bool:
    """The request carries input openapi.yaml declares for no operation: a query string (the one
    operation takes none) or content on a GET. A server may refuse it (400, or FastAPI's 422)
    before it looks at the path: the refusal of what the suite added, not a finding."""
    return bool(urlsplit(ex.url).query) or bool(ex.request_headers.get("Content-Length", "0") not in ("", "0"))


def oversized(ex: Exchange) -> str:
    """What of the request is past what servers commonly read ("" when nothing): a refusal of it is
    the server's limit, which says nothing about the contract (inconclusive)."""
    split = urlsplit(ex.url)
    target = len((split.path + (f"?{split.query}" if split.query else "")).encode())
    if target > REQUEST_TARGET_LIMIT:
        return f"a request target of {target:,} octets (every server should read {REQUEST_TARGET_LIMIT:,}, RFC 9112 §3)"
    size = sum(len(str(k)) + len(str(v)) + 4 for k, v in ex.request_headers.items())
    if size > FIELD_SECTION_LIMIT:
        return f"header fields of {size:,} octets (common servers read {FIELD_SECTION_LIMIT:,})"
    return ""


def normalised_path(path: str) -> str:
    """A path as routers normalise it: percent-decoded (so %2F is a slash), runs of slashes merged,
    a trailing slash trimmed."""
    return re.sub(r"/{2,}", "/", unquote(path)).rstrip("/") or "/"


def _needs_normalising(path: str) -> bool:
    """A path that routers rewrite: an encoded slash, an empty segment, a trailing slash."""
    return bool(re.search(r"%2[fF]|//", path)) or path.endswith("/")


def _dot_segment(path: str) -> bool:
    return any(part in (".", "..") for part in path.split("/"))


def normalised_redirect(ex: Exchange, session_path: bool) -> str:
    """The advisory's text when `ex` is a 3xx to its own URL after the normalisation frameworks
    apply (Starlette's and Werkzeug's: %2F decoded, slashes merged and trimmed), else "".

    Only a request whose path needs that normalisation is excused, and only a Location that is
    exactly it: the same host (scheme and port may differ behind a TLS proxy), no dot segment, no
    other query. A redirect from the documented spelling itself (to a slash added) stays a finding."""
    location = ex.headers.get("Location")
    if not (300 <= ex.status < 400) or not location or not session_path:
        return ""
    sent = urlsplit(ex.url)
    to = urlsplit(urljoin(ex.url, location))
    if (to.hostname or "").lower() != (sent.hostname or "").lower() or to.query != sent.query:
        return ""
    if not _needs_normalising(sent.path) or _dot_segment(unquote(to.path)):
        return ""
    if unquote(to.path) != normalised_path(sent.path):
        return ""
    return (
        f"{ex.status} to {to.path!r}, the request's own path {sent.path!r} normalised "
        "(%2F decoded, slashes merged or trimmed): the route is lenient, no other resource is named"
    )

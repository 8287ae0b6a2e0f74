"""Connections, framing and content codings: the freedoms HTTP/1.1 leaves a server in how it
sends an answer, each a conformant variant the suite must pass (a client that reuses a connection
it asked to close, waits for a close that never comes, or cannot read a coding it allowed fails
them); and a fault whose framing no client can read.

The variants with a `Wire` are written on the connection by server/wire.py; the others are plain
WSGI switches.
"""

from __future__ import annotations

import gzip

from werkzeug.wrappers import Request, Response

from ..wire import Wire
from .hostile import write_raw
from .switch import Server, fault, on_200, unchanged, variant

PIECES = 3
LATE_CLOSE_SECONDS = 1.0  # short: a HEAD read to the end of its connection waits for it


def _codings(field: str) -> dict[str, float]:
    listed = {}
    for item in field.split(","):
        name, *params = (part.strip().lower() for part in item.split(";"))
        q = next((p.partition("=")[2] for p in params if p.replace(" ", "").startswith("q=")), "1")
        try:
            listed[name] = float(q)
        except ValueError:
            listed[name] = 1.0
    return {k: v for k, v in listed.items() if k}


def refuses(accept_encoding: str | None, coding: str) -> bool:
    """Whether a request's Accept-Encoding excludes `coding` (RFC 9110 §12.5.3): no field allows
    every coding; a field allows the codings it lists (q > 0), and others only through `*`."""
    if accept_encoding is None:
        return False
    listed = _codings(accept_encoding)
    if coding in listed:
        return listed[coding] == 0
    return listed.get("*", 0) == 0


def gzip_unless_refused(request: Request, response: Response, server: Server) -> Response:
    response.headers.add("Vary", "Accept-Encoding")
    if refuses(request.headers.get("Accept-Encoding"), "gzip"):
        return response
    # HEAD too: its fields are GET's (the same Content-Encoding and Content-Length), without content.
    response.set_data(gzip.compress(response.get_data(), mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def lower_case_names(request: Request, response: Response, server: Server) -> Response:
    fields = [(name.lower(), value) for name, value in response.headers.items()]
    response.headers.clear()
    for name, value in fields:
        response.headers.add(name, value)
    return response


def chunk_size_not_hex(request: Request, response: Response, server: Server) -> Response:
    lines = [b"HTTP/1.1 " + response.status.encode("latin-1")]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in response.headers.items() if k.lower() != "content-length"]
    lines += [b"Transfer-Encoding: chunked", b"Connection: close"]
    body = response.get_data()
    write_raw(request, b"\r\n".join(lines) + b"\r\n\r\nzz\r\n" + body + b"\r\n0\r\n\r\n")
    return response


CONNECTION_VARIANTS = [
    variant(
        "persistent-pieces",
        "connections",
        f"persistent connections; each body written in {PIECES} pieces after its Content-Length; a "
        "request that says Connection: close is answered without saying so, its connection closed "
        f"{LATE_CLOSE_SECONDS:g} s later, and nothing sent on it meanwhile is answered",
        unchanged,
        wire=Wire("length", PIECES, late_close=LATE_CLOSE_SECONDS),
    ),
    variant(
        "chunked-pieces",
        "connections",
        f"persistent connections; each body sent in {PIECES} chunks (no Content-Length), a trailer "
        "field after the last; a request that says Connection: close has its connection closed a "
        "moment after the answer",
        unchanged,
        wire=Wire("chunked", PIECES, late_close=LATE_CLOSE_SECONDS, trailer=True),
    ),
    variant(
        "close-delimited",
        "connections",
        f"each body written in {PIECES} pieces with neither Content-Length nor chunks, ended by "
        "closing the connection (RFC 9112 §6.3)",
        unchanged,
        wire=Wire("close", PIECES),
    ),
    variant(
        "idle-close-on-reuse",
        "connections",
        "persistent connections, each closed unanswered as the next request arrives on it (the "
        "idle-close race of RFC 9112 §9.5, lost every time): idempotent requests are sent again",
        unchanged,
        wire=Wire("length", close_on_reuse=True),
    ),
    variant(
        "early-hints",
        "connections",
        "a 103 Early Hints interim answer (RFC 8297) before every answer; a client must read past "
        "any number of them (RFC 9110 §15.2)",
        unchanged,
        wire=Wire("length", early_hints=True),
    ),
    variant(
        "no-reason-phrase",
        "connections",
        "every status line without a reason phrase ('HTTP/1.1 200 '): a client SHOULD ignore it (RFC 9112 §4)",
        unchanged,
        wire=Wire("length", reason=False),
    ),
    variant(
        "padded-field-values",
        "connections",
        "spaces and tabs around every field value ('Content-Type: \\t application/json \\t'): optional "
        "whitespace, which a parser excludes (RFC 9112 §5.1)",
        unchanged,
        wire=Wire("length", padded=True),
    ),
    variant(
        "lower-case-field-names",
        "connections",
        "every header field name in lower case, as HTTP/2 gateways write them (names are "
        "case-insensitive, RFC 9110 §5.1)",
        lower_case_names,
    ),
    variant(
        "gzip-unless-refused",
        "connections",
        "every body gzipped unless Accept-Encoding refuses gzip; a request without Accept-Encoding "
        "allows any coding (RFC 9110 §12.5.3)",
        gzip_unless_refused,
    ),
]

CONNECTION_FAULTS = [
    fault(
        "chunk-size-not-hex",
        "hostile",
        "every 200 is chunked with a chunk-size line that is not hexadecimal",
        on_200(chunk_size_not_hex),
    ),
]

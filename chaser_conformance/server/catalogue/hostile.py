"""Hostile faults: answers that are not usable HTTP, or no answers at all.

No framework writes these, so each switch writes its bytes to the client's socket itself (werkzeug
puts it in the environ as "werkzeug.socket") and shuts the socket down; the WSGI response werkzeug
then tries to write is lost on the closed socket, which werkzeug takes as a dropped connection.
Under a server without that socket (werkzeug's test client) the switches change nothing.

The suite must answer each with a designed outcome: a "[broken answer]" finding (exit 1), or, for
a target that stops answering, exit 69 with the tests after the stop listed as not run.
"""

from __future__ import annotations

import random
import socket
import threading
import weakref
from collections.abc import Iterable

from werkzeug.wrappers import Request, Response

from .partial import drop_connection
from .switch import Apply, Server, fault, on_200

# More than http.client's 100 header fields, and more than any server would send by mistake.
HEADER_COUNT = 10_000
# Past http.client's (and most clients') 64 KiB line limit.
HEADER_LINE_BYTES = 70_000
MISSING_BODY_BYTES = 1_000
RANDOM_BYTES = 512


def write_raw(request: Request, data: bytes) -> None:
    """Send `data` as the whole answer to this request, then end the connection."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.sendall(data)
    except OSError:
        pass  # the client stopped reading (e.g. after too many header fields): broken as intended
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def head(response: Response, content_length: int, extra: Iterable[bytes] = ()) -> bytes:
    """The status line and header fields of `response`, with this Content-Length and `extra` fields."""
    lines = [b"HTTP/1.1 " + response.status.encode("latin-1")]
    for name, value in response.headers.items():
        if name.lower() != "content-length":
            lines.append(f"{name}: {value}".encode("latin-1"))
    lines.append(b"Content-Length: %d" % content_length)
    lines.extend(extra)
    return b"\r\n".join(lines) + b"\r\n\r\n"


# --- the raw answers ------------------------------------------------------------------------------


def body_short_of_content_length(request: Request, response: Response, server: Server) -> Response:
    body = response.get_data()
    write_raw(request, head(response, len(body) + MISSING_BODY_BYTES) + body)
    return response


def not_http(request: Request, response: Response, server: Server) -> Response:
    # Seeded by the path: the same request gets the same garbage, in every run. The NUL first makes
    # sure no seed ever spells "HTTP/".
    garbage = random.Random(request.path).randbytes(RANDOM_BYTES - 1)
    write_raw(request, b"\x00" + garbage)
    return response


def with_header_fields(fields: tuple[bytes, ...]) -> Apply:
    """The response as it is, its head carrying these extra header fields."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        body = response.get_data()
        write_raw(request, head(response, len(body), fields) + body)
        return response

    return apply


def filler_fields(count: int) -> tuple[bytes, ...]:
    return tuple(b"X-Filler-%d: %d" % (i, i) for i in range(count))


def gzip_that_is_not(request: Request, response: Response, server: Server) -> Response:
    body = response.get_data()  # plain JSON, declared gzip
    write_raw(request, head(response, len(body), [b"Content-Encoding: gzip"]) + body)
    return response


# --- per server instance --------------------------------------------------------------------------


def after_the_first_request(edit: Apply) -> Apply:
    """The edit on every request but the first that this server instance got.

    The count is kept per server (the app the switch is given), not per process: the selftests
    run many servers with the same switch in one process, and each must answer its first request.
    """
    seen: weakref.WeakKeyDictionary[Server, bool] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            first = server not in seen
            seen[server] = True
        return response if first else edit(request, response, server)

    return apply


HOSTILE_FAULTS = [
    fault(
        "body-shorter-than-content-length",
        "hostile",
        f"every 200 declares a Content-Length {MISSING_BODY_BYTES:,} bytes longer than its body, then closes",
        on_200(body_short_of_content_length),
    ),
    fault(
        "random-bytes",
        "hostile",
        f"every request is answered with {RANDOM_BYTES} seeded random bytes that are not HTTP, then closed",
        not_http,
    ),
    fault(
        "ten-thousand-headers",
        "hostile",
        f"every 200 carries {HEADER_COUNT:,} header fields",
        on_200(with_header_fields(filler_fields(HEADER_COUNT))),
    ),
    fault(
        "header-line-over-64-kib",
        "hostile",
        f"every 200 carries a header line of {HEADER_LINE_BYTES:,} bytes",
        on_200(with_header_fields((b"X-Filler: " + b"a" * HEADER_LINE_BYTES,))),
    ),
    fault(
        "gzip-that-is-not",
        "hostile",
        "every 200 says Content-Encoding: gzip over a body that is plain JSON",
        on_200(gzip_that_is_not),
    ),
    fault(
        "answers-once-then-closes",
        "hostile",
        "the first request to the server is answered; every later one has its connection closed without a byte",
        after_the_first_request(drop_connection),
    ),
]

# The faults that make a target stop answering: the suite catches them by stopping (exit 69).
STOPS_ANSWERING = frozenset({"answers-once-then-closes", "malformed-id-kills"})

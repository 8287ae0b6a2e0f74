"""How the reference server writes answers on its connections, when a switch asks for more than
werkzeug's dev server does (it closes every connection after one answer, with `Connection: close`).

A `Wire` is a freedom HTTP/1.1 leaves a server, used the way Python's http.server, Node's http or
an event loop behind a slow link use it: persistent connections (RFC 9112 §9.3), a body written in
several pieces, framed by Content-Length, by chunks or by the end of the connection (RFC 9112 §6.3),
a connection closed after a request that asked for it, without saying so in the answer (§9.6:
SHOULD), and a moment late (§9.6 describes a staged close), an idle persistent connection closed
just as a client sends on it (§9.5: any party MAY close a connection at any time), or an interim
answer before the final one (RFC 9110 §15.2: a client MUST parse any number of them).

The request line and header fields are still parsed by http.server and the environ is werkzeug's:
only the writing of the answer is done here.
"""

from __future__ import annotations

import io
import selectors
import socket
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler

# A request body this server reads before it answers (the suite's requests have none).
MAX_REQUEST_BODY = 1 << 16
# An idle persistent connection is closed after this long, as servers do (uvicorn: 5 s).
IDLE_SECONDS = 5.0


@dataclass(frozen=True)
class Wire:
    framing: str = "length"  # "length" (Content-Length), "chunked", or "close" (ended by closing)
    pieces: int = 1  # writes per body
    # After answering a request that says `Connection: close`: how long the connection stays open
    # before the server closes it (ended early by the client's own close); what the client sends
    # meanwhile is never answered (RFC 9112 §9.6: a server MUST NOT process it).
    late_close: float = 0.0
    # Close a persistent connection, unanswered, as soon as the next request arrives on it.
    close_on_reuse: bool = False
    # A 103 Early Hints (RFC 8297) before each answer to an HTTP/1.1 request (RFC 9110 §15.2).
    early_hints: bool = False
    # The status line's reason phrase left empty (RFC 9112 §4: a client SHOULD ignore it).
    reason: bool = True
    # Fields after the last chunk (RFC 9112 §7.1.2), which a client may discard.
    trailer: bool = False
    # Optional whitespace around each field value (RFC 9112 §5.1: a parser excludes it).
    padded: bool = False


def split(body: bytes, pieces: int) -> list[bytes]:
    size = max(1, -(-len(body) // max(1, pieces)))
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


class WireRequestHandler(WSGIRequestHandler):
    """Writes each answer as `wire` says; a subclass per server sets `wire` (request_handler())."""

    wire = Wire()
    timeout = IDLE_SECONDS  # the socket's: an idle persistent connection is closed (TimeoutError)
    answered = 0

    def setup(self) -> None:
        super().setup()
        # Each piece goes out as written, as servers that write in pieces set it (Node.js, uvicorn):
        # with Nagle's algorithm, a piece would wait for the client's delayed ACK (40 ms a response).
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        if self.answered and self.wire.close_on_reuse:
            self._readable(IDLE_SECONDS)  # the next request (or the client's close, or idleness)
            self.close_connection = True  # closed without reading it: the client lost the race
            return
        super().handle_one_request()

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length", "0").strip()
        if "Transfer-Encoding" in self.headers or not length.isdigit() or int(length) > MAX_REQUEST_BODY:
            self.close_connection = True  # a body it does not read: the connection cannot go on
            length = "0"
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return lambda data: None  # the app returns its body; it never writes

        app_iter = self.server.app(environ, start_response)  # type: ignore[attr-defined]
        try:
            body = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        status, headers = started
        self._answer(status, headers, body, environ["REQUEST_METHOD"] == "HEAD")
        self.answered += 1
        if self.close_connection and self.wire.late_close:
            self._readable(self.wire.late_close)  # the client's close, its next request, or the deadline

    def _answer(self, status: str, headers: list[tuple[str, str]], body: bytes, head: bool) -> None:
        code, _, reason = status.partition(" ")
        if self.wire.early_hints and self.request_version >= "HTTP/1.1":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </openapi.yaml>; rel=preload\r\n\r\n")
        self.send_response(int(code), reason if self.wire.reason else "")
        framing = self.wire.framing
        for name, value in headers:
            if name.lower() != "content-length" or framing == "length":
                self.send_header(name, f" \t{value}\t " if self.wire.padded else value)
        if framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif framing == "close":
            self.close_connection = True  # the end of the connection is the end of the body
        elif not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        for piece in split(body, self.wire.pieces):
            if framing == "chunked":
                piece = b"%x\r\n%s\r\n" % (len(piece), piece) if piece else b""
            if piece:
                self.wfile.write(piece)
        if framing == "chunked":
            self.wfile.write(b"0\r\nServer-Timing: app;dur=1.5\r\n\r\n" if self.wire.trailer else b"0\r\n\r\n")

    def _readable(self, seconds: float) -> bool:
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            return bool(selector.select(seconds))

    def log_error(self, format: str, *args: Any) -> None:
        pass  # an idle connection timing out is how it ends, not an error


def request_handler(wire: Wire, base: type[WSGIRequestHandler]) -> type[WSGIRequestHandler]:
    """A handler class for one server: `base`'s logging, `wire`'s way of writing."""
    return type("WireRequestHandler", (WireRequestHandler, base), {"wire": wire})

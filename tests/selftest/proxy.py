"""A small forwarding HTTP proxy on loopback, for the selftests of proxy support: a request in
absolute form (`GET http://host:port/path HTTP/1.1`) is sent on to its origin, on a connection of
its own, in origin form; `CONNECT host:port` opens a tunnel. It records what it forwarded and the
Proxy-Authorization it was given, and forwards to loopback only."""

import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hostile import LoopbackServer, read_head

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class ForwardingProxy(LoopbackServer):
    forwarded: list = field(default_factory=list)  # request lines as received
    authorizations: list = field(default_factory=list)

    def __post_init__(self):
        self._listen()

    @property
    def url(self):
        return self.base_url

    def _handle(self, conn):
        conn.settimeout(10)
        with conn:
            buffered = b""
            while not self._stop.is_set():
                buffered = read_head(conn, buffered)
                if buffered is None:
                    return
                head, _, buffered = buffered.partition(b"\r\n\r\n")
                line, *fields = head.split(b"\r\n")
                method, target, version = line.split(b" ", 2)
                self.forwarded.append(line.decode("latin-1"))
                kept = [f for f in fields if not f.lower().startswith(b"proxy-authorization:")]
                self.authorizations += [f.split(b":", 1)[1].strip().decode() for f in fields if f not in kept]
                if method == b"CONNECT":
                    host, _, port = target.decode().rpartition(":")
                    self._tunnel(conn, host.strip("[]"), int(port), buffered)
                    return
                parts = urlsplit(target.decode("latin-1"))
                if parts.hostname not in LOOPBACK:
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    continue
                origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                kept = [f for f in kept if not f.lower().startswith(b"connection:")] + [b"Connection: close"]
                request = b"\r\n".join([b" ".join([method, origin_form.encode("latin-1"), version]), *kept])
                if not self._forward(conn, parts.hostname, parts.port, request + b"\r\n\r\n"):
                    return

    def _forward(self, conn, host, port, request):
        """One request to the origin; its whole answer back. False when the client went away."""
        try:
            with socket.create_connection((host, port), timeout=10) as upstream:
                upstream.sendall(request)
                while chunk := upstream.recv(65536):
                    conn.sendall(chunk)
        except OSError:
            return False
        return True

    def _tunnel(self, conn, host, port, early):
        if host not in LOOPBACK:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((host, port), timeout=10)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            upstream.sendall(early)
            pump = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
            pump.start()
            _pipe(conn, upstream)
            pump.join(timeout=10)


def _pipe(source, sink):
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

"""A raw-socket server on loopback that answers whatever bytes it is told to: the HTTP that a
framework never sends (bad status lines, broken framing, thousands of headers, early closes,
slow trickles). For the selftests of the suite's one guarded boundary to the target."""

import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Answer:
    """What the server does with one request."""

    data: bytes = b""  # sent as is
    close: bool = True  # close the connection after sending (else keep it for the next request)
    trickle: float = 0.0  # seconds between bytes (a slow server), bounded by the test
    trickle_from: int = 0  # bytes of data sent at once before the trickle starts
    silent: bool = False  # read the request and close without a byte
    endless: bytes = b""  # after data, sent again and again (one per `trickle` s) until the client goes


class LoopbackServer:
    """A TCP server on 127.0.0.1 that hands each connection to `_handle` in a thread of its own; a
    subclass calls `_listen()` when it is made."""

    def _listen(self):
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        raise NotImplementedError


@dataclass
class HostileServer(LoopbackServer):
    answer: object  # Answer, or a function (request number, request bytes) -> Answer
    requests: list = field(default_factory=list)

    def __post_init__(self):
        self._listen()

    def _handle(self, conn):
        conn.settimeout(5)
        with conn:
            while not self._stop.is_set():
                request = read_head(conn)
                if request is None:
                    return
                number = len(self.requests)
                self.requests.append(request)
                answer = self.answer(number, request) if callable(self.answer) else self.answer
                try:
                    if answer.silent:
                        return
                    if answer.trickle:
                        conn.sendall(answer.data[: answer.trickle_from])
                        for byte in answer.data[answer.trickle_from :]:
                            if self._stop.wait(answer.trickle):
                                return
                            conn.sendall(bytes([byte]))
                    else:
                        conn.sendall(answer.data)
                    while answer.endless and not self._stop.wait(answer.trickle):
                        conn.sendall(answer.endless)
                except OSError:
                    return
                if answer.close:
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return


def read_head(conn, buffered=b""):
    """`buffered` and what the connection sends until the end of a request's header fields
    (CRLF CRLF); None when it closes or fails first."""
    try:
        while b"\r\n\r\n" not in buffered:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buffered += chunk
    except OSError:
        return None
    return buffered


def response(status=b"200 OK", headers=(), body=b"", content_length=None):
    """The bytes of one response; `content_length` may lie about the body."""
    length = len(body) if content_length is None else content_length
    lines = [b"HTTP/1.1 " + status, b"Content-Length: " + str(length).encode(), *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)  # polling with a deadline, not synchronisation by sleep
    return False

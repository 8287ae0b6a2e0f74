"""A deadline for one exchange as a whole: connecting, the answer's status line and header fields,
and its body. A socket's timeout restarts with every byte, so a server that trickles one byte a
second, or sends interim (1xx) answers without end, is never timed out by it; this bounds the
whole. When the time is up the exchange's socket is shut down, which ends the read that waits on
it at once, whichever thread waits; the adapter then reports the exchange as answered too slowly.

One `Watch` per exchange, kept per thread (the connection classes of connections.py and the
byte-for-byte path report to the current thread's watch the connection each attempt goes on).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests

from .framing import END_OF_HEAD, HEAD_BYTES

_current = threading.local()


class TooSlow(requests.ReadTimeout):
    """An exchange that did not end within its deadline: no answer in time, for every caller."""


class Watch:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.answered = False  # the status line and header fields came
        self.received = 0  # bytes of answer that came in this attempt
        self._conn: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._done = False

    def attempt(self, conn: Any) -> None:
        """A request goes out on `conn` (an http.client connection, connected or not): its time starts."""
        self.pause()
        with self._lock:
            self._conn, self.expired, self.answered, self._done = conn, False, False, False
            self.received = 0
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def connected(self, conn: Any) -> None:
        """The connection of an attempt has its socket: if the time ran out while it connected, end it."""
        if self.expired and conn is self._conn:
            _shut(conn)

    def pause(self) -> None:
        """The exchange is over (its body read) or waits on purpose (a Retry-After): stop the clock."""
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            conn = self._conn
        _shut(conn)

    def why(self) -> str:
        came = "the body did not end" if self.answered else "no complete status line and header fields"
        return f"answered too slowly: {self.received:,} bytes in {self.seconds:g} s, {came} (CHASER_EXCHANGE_DEADLINE)"


def _shut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once; the socket is closed by its owner


@contextlib.contextmanager
def exchange(seconds: float | None) -> Iterator[Watch | None]:
    """The current thread's exchange, within `seconds` (None: no deadline)."""
    watch = Watch(seconds) if seconds else None
    outer, _current.watch = getattr(_current, "watch", None), watch
    try:
        yield watch
    finally:
        if watch is not None:
            watch.pause()
        _current.watch = outer


def current() -> Watch | None:
    return getattr(_current, "watch", None)


def attempt(conn: Any) -> None:
    watch = current()
    if watch is not None:
        watch.attempt(conn)


def connected(conn: Any) -> None:
    watch = current()
    if watch is not None:
        watch.connected(conn)


def answered() -> None:
    """The status line and header fields of the current attempt came (not cut short by the deadline:
    http.client takes a status line cut by the end of the connection for a whole one)."""
    watch = current()
    if watch is not None and not watch.expired:
        watch.answered = True


def received(count: int) -> None:
    """`count` bytes of the current attempt's answer came (interim answers included)."""
    watch = current()
    if watch is not None:
        watch.received += count


class Tally:
    """A response's buffered reader that tells the current exchange how many bytes were read from it.
    Only what http.client consumes is counted (`peek` is not); anything else is the reader's own.
    The lines it reads until the first empty one are kept (`head`, up to HEAD_BYTES), for framing.py:
    no more after it (a chunked body's size lines are read as lines too)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.head: list[bytes] = []
        self._kept = 0
        self._in_head = True

    def new_head(self) -> None:
        """Another header section begins (the final answer's, after an interim one)."""
        self.head, self._kept, self._in_head = [], 0, True

    def _counted(self, data: bytes) -> bytes:
        received(len(data))
        return data

    def read(self, *args: Any) -> bytes:
        return self._counted(self._reader.read(*args))

    def read1(self, *args: Any) -> bytes:
        return self._counted(self._reader.read1(*args))

    def readline(self, *args: Any) -> bytes:
        line = self._counted(self._reader.readline(*args))
        if self._in_head and self._kept < HEAD_BYTES:
            self.head.append(line)
            self._kept += len(line)
        if line in END_OF_HEAD:
            self._in_head = False
        return line

    def readinto(self, buffer: Any) -> int:
        count = self._reader.readinto(buffer)
        received(count or 0)
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


def pause() -> None:
    watch = current()
    if watch is not None:
        watch.pause()


def expired() -> Watch | None:
    """The current thread's watch, if its time ran out."""
    watch = current()
    return watch if watch is not None and watch.expired else None


def sleep(seconds: float) -> None:
    """A wait the target asked for (Retry-After): not part of an exchange's time."""
    pause()
    time.sleep(seconds)  # back-pressure the target asked for, not synchronisation

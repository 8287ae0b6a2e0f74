"""What HTTP asks of a client's connections, for the suite's pooled requests (client.GuardedAdapter).

- A request that carries `Connection: close` is the last one on its connection (RFC 9112 §9.6: the
  client MUST NOT send further requests on it, and closes it after the answer). The clients that
  send it (Ruby Net::HTTP without `start`) open a connection for that one request: so does the suite.
- A server MAY close a persistent connection at any time (RFC 9112 §9.5), an idle one included, so a
  request sent on a reused connection can meet that close before any byte of answer. Such a request
  is sent again on a new connection when its method is idempotent (RFC 9112 §9.3.1, RFC 9110 §9.2.2),
  as browsers and Go's net/http do; a request that fails so on a new connection got no answer.
- A request whose method is not idempotent cannot be sent again, so it never takes a reused
  connection: it goes on a new one.
- A client MUST parse any number of 1xx interim answers before the final one (RFC 9110 §15.2), such
  as 103 Early Hints (RFC 8297); http.client skips only 100 and takes a 103 for the answer.

urllib3 does none of this by itself: it keeps a connection whose request said `close` in its pool
when the answer does not say `close` too, and retries nothing (the suite's Retry allows 429 only).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Mapping
from typing import Any

import urllib3.connection
import urllib3.connectionpool

from . import deadline
from .answers import no_answer
from .framing import framing_problems

# RFC 9110 §9.2.2: the methods whose repetition has the effect of one request.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
CLOSED_BEFORE_ANSWER = (
    "the connection was closed before any response",
    "the connection was reset before any response",
)


def asks_close(headers: Mapping[str, Any]) -> bool:
    """Whether a request's Connection header field lists the `close` option (RFC 9112 §9.6)."""
    value = next((v for k, v in headers.items() if k.lower() == "connection"), None)
    return isinstance(value, str) and "close" in {t.strip().lower() for t in value.split(",")}


def needs_own_connection(method: str, headers: Mapping[str, Any]) -> bool:
    return asks_close(headers) or method.upper() not in IDEMPOTENT


# Which connection the last request of this thread went on: set as urllib3 sends it, read when it
# failed (urllib3 discards the connection before the error reaches the adapter).
_last = threading.local()


def last_was_reused() -> bool:
    return bool(getattr(_last, "reused", False))


def forget() -> None:
    """Before a request: a failure before it is sent (a connect, a TLS handshake) is no reused one's."""
    _last.reused = False


class FinalResponse(http.client.HTTPResponse):
    """http.client's response that reads past every interim (1xx) answer to the final one. 101
    (Switching Protocols) is final: the suite never asks for an upgrade. Its bytes are counted for
    the exchange's deadline ("N bytes in D s")."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = deadline.Tally(self.fp)

    def _read_status(self) -> tuple[str, int, str]:
        for _ in range(MAX_INTERIM):
            self.fp.new_head()  # the final answer's header section is the one judged (framing.py)
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 101 < status < 200:
                return version, status, reason  # 100 is skipped by begin() itself
            http.client.parse_headers(self.fp)  # the interim answer's fields: not the final answer's
        raise http.client.HTTPException(f"more than {MAX_INTERIM} interim (1xx) answers")

    def begin(self) -> None:
        super().begin()  # 100 Continue without end is bounded by the exchange's deadline (deadline.py)
        deadline.answered()
        self.framing = framing_problems(self.fp.head[1:])  # after the status line


MAX_INTERIM = 100  # a server that sends interim answers without end is not waited on forever


class _Counting:
    """A urllib3 connection that counts the requests its current socket carried."""

    carried = 0

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.carried = 0
        deadline.connected(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A socket that carried a request before is a reused connection; None: it connects now.
        _last.reused = getattr(self, "sock", None) is not None and self.carried > 0
        deadline.attempt(self)  # the exchange's time starts: connecting (if it does), answer and body
        super().request(*args, **kwargs)  # type: ignore[misc]
        self.carried += 1


class CountingHTTPConnection(_Counting, urllib3.connection.HTTPConnection):
    response_class = FinalResponse


class CountingHTTPSConnection(_Counting, urllib3.connection.HTTPSConnection):
    response_class = FinalResponse


class CountingHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = CountingHTTPConnection


class CountingHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = CountingHTTPSConnection


POOL_CLASSES = {"http": CountingHTTPPool, "https": CountingHTTPSPool}


def close_idle(pool: Any) -> None:
    """Close the pool's idle connections, so that the next request opens a new one (a closed
    connection stays in the pool and connects again when it is next taken)."""
    for conn in list(getattr(getattr(pool, "pool", None), "queue", ())):
        if conn is not None:
            conn.close()


def closed_before_answer(error: BaseException) -> bool:
    return no_answer(error) in CLOSED_BEFORE_ANSWER

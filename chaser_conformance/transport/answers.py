"""What came back from the target, or did not, when it was not a usable HTTP response: the two
exceptions a request can end in, and the words a person reads for each."""

from __future__ import annotations

import http.client

import requests
import urllib3.exceptions

from ..settings.redact import inert
from .deadline import TooSlow


class NoAnswer(AssertionError):
    """The target did not answer one request (timeout, connection reset): a failure, token masked."""

    def __init__(self, method: str, url: str, why: str) -> None:
        why = inert(why)  # it may quote the server's bytes
        super().__init__(f"[no answer] {method} {url}: {why}")
        self.method, self.url, self.why = method, url, why


class BrokenAnswer(AssertionError):
    """The target answered, but not with a usable HTTP response (a body cut short, a status line
    that is not HTTP, too many header fields, a body that does not decode): a failure of that
    exchange, never an error of the suite. `status` is known when the status line was."""

    def __init__(self, method: str, url: str, why: str, status: int | None = None) -> None:
        why = inert(why)  # it may quote the server's bytes
        super().__init__(f"[broken answer] {method} {url}: {why}")
        self.method, self.url, self.why, self.status = method, url, why, status


def _chain(error: BaseException) -> list[BaseException]:
    """An error and every error inside it: requests and urllib3 wrap the cause several levels deep."""
    found: list[BaseException] = []
    todo = [error]
    while todo and len(found) < 20:
        current = todo.pop(0)
        if current in found:
            continue
        found.append(current)
        inner = [getattr(current, "reason", None), current.__cause__, current.__context__]
        inner += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        todo += [e for e in inner if isinstance(e, BaseException)]
    return found


# urllib3 2.x makes NewConnectionError (refused, unreachable, a name that does not resolve) a
# subclass of ConnectTimeoutError, and a connect that did time out is one too: what happened is
# the cause inside, so every specific cause in the chain is looked for before any timeout.
_CAUSES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (http.client.RemoteDisconnected, "the connection was closed before any response"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "the connection was reset before any response"),
    (BrokenPipeError, "the connection was closed before any response"),  # closed as the request went out
    (urllib3.exceptions.NameResolutionError, "the host name does not resolve"),
)


def no_answer(error: BaseException) -> str:
    """Why no answer came, in a person's words."""
    chain = _chain(error)
    slow = next((e for e in chain if isinstance(e, TooSlow)), None)
    if slow is not None:  # its words say what came within the deadline
        return str(slow)
    for kind, words in _CAUSES:
        if any(isinstance(e, kind) for e in chain):
            return words
    timeouts = (requests.Timeout, TimeoutError, urllib3.exceptions.TimeoutError)
    if any(isinstance(e, timeouts) and not isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "no response in time (CHASER_CONNECT_TIMEOUT, CHASER_READ_TIMEOUT)"
    refused = next((e for e in chain if isinstance(e, urllib3.exceptions.NewConnectionError)), None)
    if refused is not None:  # no connection, and not for lack of time: the operating system's reason
        cause = refused.__cause__ or refused.__context__
        return f"no connection ({cause if isinstance(cause, OSError) else type(refused).__name__})"
    return type(error).__name__


def broken_answer(error: BaseException) -> str | None:
    """Why an answer that came is unusable, in a person's words; None when no answer came at all
    (connection refused, reset or closed before a byte of response, a timeout)."""
    chain = _chain(error)
    for e in chain:
        if isinstance(
            e, (TooSlow, http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, TimeoutError)
        ):
            return None
    for e in chain:
        if isinstance(e, urllib3.exceptions.IncompleteRead):  # a subclass of http.client's, with counts
            if not e.expected:
                return f"the body ended after {e.partial:,} bytes, in the middle of its framing"
            return f"the body ended after {e.partial:,} of {e.partial + e.expected:,} bytes (Content-Length)"
        if isinstance(e, http.client.IncompleteRead):
            return f"the body ended after {len(e.partial):,} bytes, before its framing said it would"
        if isinstance(e, (urllib3.exceptions.InvalidChunkLength, urllib3.exceptions.InvalidHeader)):
            return f"broken framing: {str(e).splitlines()[0][:200]}"
        if isinstance(e, urllib3.exceptions.DecodeError):
            return "a body that does not decode as its Content-Encoding says"
        if isinstance(e, http.client.LineTooLong):
            return f"a line of the response too long to read ({e})"
        if isinstance(e, http.client.BadStatusLine):
            return f"not an HTTP response: the status line is {ascii(str(e)[:80])}"
        if isinstance(e, http.client.HTTPException):
            text = str(e)
            if "headers" in text:
                return f"too many header fields ({text}; http.client's limit is {http.client._MAXHEADERS})"
            return f"not a usable HTTP response ({text[:200]})"
        if isinstance(e, requests.exceptions.InvalidHeader):
            return f"a header field no HTTP client accepts ({str(e)[:200]})"
    for e in chain:
        if isinstance(e, urllib3.exceptions.ProtocolError) and "Connection broken" in str(e):
            return f"the connection broke in the middle of the response ({str(e)[:200]})"
    return None


__all__ = ["BrokenAnswer", "NoAnswer", "broken_answer", "no_answer"]

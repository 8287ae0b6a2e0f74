"""Short-lived tokens: a token command (CHASER_TOKEN_COMMAND), the tokens of a run, and the renewal
of an expired one inside the HTTP adapter.

- `run_token_command` runs the command (no shell; the pattern of AWS' credential_process and
  kubectl's exec credentials): its standard output is the token. A failure is one line with the
  command's exit code and the last line of its stderr, masked.
- `Tokens` is the run's one set of tokens (on the controller under pytest -n, served to the workers
  with the request budget, so that an expiry costs one run of the command, not one per worker): the
  current one, every one ever issued (all masked and leak-scanned), and the refreshes.
- `TokenAuth` is what the `GuardedAdapter` of every client calls (client.py knows it only as `auth`):
  a request that carries a token of the run is sent with the current one; when a token that has
  worked gets a 401, the last request that succeeded with it is sent again. If that gets a 401 too,
  the token has expired: with a command, one new token and the request is retried once; with a
  fixed token, the run stops with the diagnosis "token expired during the run".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from ..contract.exitcodes import UNREACHABLE
from ..contract.spec import SESSION_PATH
from ..settings.secret import Secret
from ..transport.client import RENEWALS_PER_REQUEST, RunStopped, token_accepted
from .token_command import COMMAND_TIMEOUT_SECONDS, TokenError, clear_interruption, run_token_command

EXPIRED = "token expired during the run"


class Tokens:
    """The run's tokens. Every method is safe from several threads, and from pytest -n workers
    through a multiprocessing proxy (hence methods, no attributes)."""

    def __init__(
        self, token: Secret | None, command: str | None = None, timeout: float = COMMAND_TIMEOUT_SECONDS
    ) -> None:
        self._command = command
        self._timeout = timeout
        self._issued: list[Secret] = [token] if token else []
        self._refreshes: list[str] = []  # when each refresh happened (UTC, ISO 8601)
        self._expired: str | None = None
        self._lock = threading.Lock()  # never held while a command runs: report() must not wait on one
        self._renewing = threading.Lock()  # one renewal at a time
        self._worked = False  # a token of the run was accepted, in some process of the run

    def start(self) -> Secret:
        """The first token: the command's, run before the first request (raises TokenError)."""
        with self._lock:
            if self._command and not self._issued:
                self._issued.append(run_token_command(self._command, first=True, timeout=self._timeout))
            return self._issued[-1]

    def current(self) -> Secret:
        with self._lock:
            return self._issued[-1]

    def worked(self) -> None:
        self._worked = True  # one assignment: atomic

    def has_worked(self) -> bool:
        with self._lock:
            return self._worked

    def issued(self) -> tuple[Secret, ...]:
        with self._lock:
            return tuple(self._issued)

    def renew(self, stale: str) -> Secret | None:
        """A token to use in place of `stale`, which has expired: the current one if another thread
        or worker renewed it already, else a new one from the command; None with a fixed token."""
        with self._renewing:
            with self._lock:
                if self._issued[-1] != stale:
                    return self._issued[-1]
                if not self._command:
                    self._expired = self._expired or (
                        f"{EXPIRED}: the token had worked, then the request that had last "
                        "succeeded with it got 401 when sent again. Use a fresh token, or CHASER_TOKEN_COMMAND so "
                        "that the suite gets a new one when it expires"
                    )
                    return None
                command, known = self._command, tuple(self._issued)
            token = run_token_command(command, known, timeout=self._timeout)
            with self._lock:
                self._issued.append(token)
                self._refreshes.append(dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))
            return token

    def expired(self) -> str | None:
        with self._lock:
            return self._expired

    def report(self) -> dict[str, Any]:
        """summary.json's "token": where it came from, and each refresh."""
        with self._lock:
            return {
                "source": "command" if self._command else "fixed",
                "refreshes": len(self._refreshes),
                "refreshed_at": list(self._refreshes),
                "expired": self._expired,
            }


class TokenAuth:
    """One process's side of the run's `Tokens` (the tokens themselves, or a pytest -n worker's proxy
    of the controller's): what it has learnt is kept here, so that the common path (a request with
    the current token, answered) asks the controller nothing."""

    def __init__(self, tokens: Any) -> None:
        self.tokens = tokens
        self._known: list[Secret] = list(tokens.issued())
        self._last_good: dict[str, requests.PreparedRequest] = {}  # token -> a request it succeeded with
        self._lock = threading.Lock()
        # Reads any valid token passes (open_tokens: each known session): the first is the probe of a
        # process where no request has worked yet, once one has worked elsewhere in the run; another
        # tells a 401 of one path (a cache, an ACL) from an expired token.
        self.probe_urls: tuple[str, ...] = ()

    def _succeeded(self, token: str, request: requests.PreparedRequest) -> None:
        with self._lock:
            first = not self._last_good
            self._last_good[token] = request
        if first:
            self.tokens.worked()  # the run's other processes may probe with a known read now

    def secrets(self) -> tuple[Secret, ...]:
        """Every token this process has seen: each is masked in what it writes."""
        with self._lock:
            return tuple(self._known)

    def _learn(self, token: Secret) -> Secret:
        with self._lock:
            if token not in self._known:
                self._known.append(token)
        return token

    def _carried(self, request: requests.PreparedRequest) -> str | None:
        value = request.headers.get("Authorization")
        if value is None or not str(value).startswith("Bearer "):
            return None
        token = str(value)[len("Bearer ") :]
        with self._lock:
            return token if token in self._known else None

    def renewed_for(self, send_once: Callable[..., requests.Response], authorization: str, kwargs: Any) -> str | None:
        """After a 401 to a request sent outside requests (byte for byte): the Authorization value
        to retry it with, when it carried the current token and that token has expired; else None."""
        if not authorization.startswith("Bearer "):
            return None
        token = authorization[len("Bearer ") :]
        with self._lock:
            if token not in self._known:
                return None
        renewed = self._renewed(send_once, token, kwargs)
        return None if renewed is None else Secret(f"Bearer {renewed}")

    def worked(self, authorization: str, request: requests.PreparedRequest) -> None:
        """A request sent outside requests was accepted with this Authorization: remember it, as
        `send` does, to probe the token with when a 401 comes."""
        token = authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None
        with self._lock:
            known = token in self._known
        if known and token is not None:
            self._succeeded(token, request)

    def current_for(self, authorization: str) -> str:
        """An Authorization value with a token of the run carries the current one (a request sent
        outside requests, byte for byte, is not renewed on a 401 itself)."""
        if not authorization.startswith("Bearer "):
            return authorization
        with self._lock:
            known = authorization[len("Bearer ") :] in self._known
            return Secret(f"Bearer {self._known[-1]}") if known else authorization

    @staticmethod
    def _with(request: requests.PreparedRequest, token: str) -> requests.PreparedRequest:
        copy = request.copy()
        copy.headers["Authorization"] = Secret(f"Bearer {token}")
        return copy

    def send(self, send_once: Callable[..., requests.Response], request: requests.PreparedRequest, kwargs: Any) -> Any:
        """Send `request` with `send_once` (the adapter's own send), renewing an expired token."""
        __tracebackhide__ = True  # its locals hold credentials
        carried = self._carried(request)
        if carried is None:
            return send_once(request, **kwargs)  # no token of the run: sent as it is
        token = self._known[-1]
        if carried != token:
            request.headers["Authorization"] = Secret(f"Bearer {token}")  # a test built it before a refresh
        response = send_once(request, **kwargs)
        for _ in range(RENEWALS_PER_REQUEST):
            if response.status_code != 401:
                break
            renewed = self._renewed(send_once, token, kwargs)
            if renewed is None:
                break  # the token still works: this 401 is the server's answer to this request
            response.close()
            token, request = renewed, self._with(request, renewed)
            response = send_once(request, **kwargs)
        if token_accepted(response.status_code):
            self._succeeded(token, request)
        return response

    def _reads_elsewhere(self, send_once: Callable[..., requests.Response], token: str, url: str, kwargs: Any) -> bool:
        """Expiry is a claim about the token, not one path: whether it reads a known session at
        another URL than the one its 401s came from."""
        elsewhere = next((u for u in self.probe_urls if u != url), None)
        if elsewhere is None:
            return False  # one known session only: its 401 cannot be told from expiry
        other = send_once(self._with(requests.Request("GET", elsewhere).prepare(), token), **kwargs)
        other.close()
        return token_accepted(other.status_code)

    def _renewed(self, send_once: Callable[..., requests.Response], token: str, kwargs: Any) -> Secret | None:
        """The token to retry with when `token` has expired; None when it has not (or never worked).

        A token that has no request of its own that worked here (renewed for this very request, or
        by another worker, and refused at once: a lifetime shorter than a round trip under load) is
        probed with the last request that worked with an earlier token: an answer says the 401 was
        this request's; another 401, that it expired too, and it is renewed again."""
        current = self._learn(self.tokens.current())
        if current != token:
            return current  # renewed by another thread or worker meanwhile
        with self._lock:
            last_good = self._last_good.get(token)
            if last_good is None and self._last_good:
                last_good = self._with(next(reversed(self._last_good.values())), token)
        if last_good is None and self.probe_urls and self.tokens.has_worked():
            # Nothing has worked in this process yet (a pytest -n worker that starts once the token
            # has expired), but a token worked elsewhere in the run: a known session's read tells.
            last_good = self._with(requests.Request("GET", self.probe_urls[0]).prepare(), token)
        if last_good is None:
            return None  # it never worked in the run: a wrong token (which the diagnosis names), or this request's 401
        probe = send_once(last_good.copy(), **kwargs)
        probe.close()
        if probe.status_code != 401:
            return None  # the token still works: the 401 was the server's answer to that request alone
        if self._reads_elsewhere(send_once, token, str(last_good.url), kwargs):
            return None  # the token reads another session: a 401 of one path (a cache, an ACL), not expiry
        try:
            renewed = self.tokens.renew(token)
        except TokenError as exc:
            raise RunStopped(f"during the run, {exc}", UNREACHABLE) from None
        if renewed is None:
            raise RunStopped(str(self.tokens.expired()), UNREACHABLE)
        return self._learn(renewed)


def remote_tokens(address: list[Any], authkey: str) -> Any:
    """A pytest -n worker's proxy of the controller's `Tokens` (served beside the request budget)."""
    from multiprocessing.managers import BaseManager

    class Client(BaseManager):
        pass

    Client.register("tokens")
    client = Client(address=(address[0], int(address[1])), authkey=bytes.fromhex(authkey))
    client.connect()
    proxy = client.tokens()  # type: ignore[attr-defined]
    proxy._chaser_client = client  # the connection lives as long as the proxy
    return proxy


def open_tokens(settings: Any, shared: dict[str, Any] | None) -> TokenAuth | None:
    """The tokens of a run against a configured target (None: the embedded server): the controller's
    own (its command run now, before the first request; TokenError if it fails), or, in a pytest
    -n worker, the controller's. Its probe is a read of the first known session."""
    token, command = settings.api_token, settings.token_command
    clear_interruption()
    if settings.embedded:
        return None
    if shared and shared.get("tokens"):
        auth = TokenAuth(remote_tokens(**shared["limits"]))
    else:
        tokens = Tokens(token, command, settings.token_command_timeout)
        tokens.start()
        auth = TokenAuth(tokens)
    auth.probe_urls = tuple(settings.base_url + SESSION_PATH + quote(sid, safe="") for sid in settings.session_id)
    return auth

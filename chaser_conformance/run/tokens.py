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

import contextlib
import datetime as dt
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import requests

from ..contract.exitcodes import INTERRUPTED, UNREACHABLE, on_interrupting_signals
from ..settings.fields import FIELDS_BY_NAME, Source
from ..settings.secret import Secret, mask
from ..transport.client import RENEWALS_PER_REQUEST, RunStopped, token_accepted

COMMAND_TIMEOUT_SECONDS = 60.0
EXPIRED = "token expired during the run"


class TokenError(Exception):
    """The token command failed or printed no usable token; str() is the one line to print."""

    def __init__(self, message: str) -> None:
        super().__init__(message)  # in args: it crosses to a pytest -n worker pickled
        self.message = message

    def __str__(self) -> str:
        return self.message


@contextlib.contextmanager
def ended_by_signals() -> Iterator[Callable[[], None]]:
    """Before the run's own handlers are in place (Run.open: the first token command, the embedded
    server's start): a signal that would end the run raises RunStopped where it waits, as the run's
    handlers do. It is held until the caller arms the handlers (for a command: once it started and
    its end is assured), then raised."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    caught: list[str] = []
    armed = False

    def raise_caught() -> None:
        if caught:
            raise RunStopped(f"interrupted by {caught[0]}", INTERRUPTED)

    def on_signal(signum: int, frame: Any) -> None:
        caught.append(signal.Signals(signum).name)
        if armed:
            raise_caught()

    def arm() -> None:
        nonlocal armed
        armed = True
        raise_caught()  # one that came while the command started

    restore = on_interrupting_signals(on_signal)
    try:
        yield arm
    finally:
        restore()


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """The command and whatever it started (its own process group) end with it, however it ends."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with _RUNNING_LOCK:
        _RUNNING.discard(process)


# The token commands running now (a renewal runs in a thread of the controller when a pytest -n
# worker asks for it), ended when the run ends however it ends, or at once on a signal, when the
# command that was running says why it gave no token (`end_running_commands`).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.RLock()  # taken by a signal handler too, maybe in the thread that holds it
_ENDED_BY: list[str] = []


def end_running_commands(why: str | None = None) -> None:
    """End every token command running now; with `why` (a signal), each raises RunStopped(why)."""
    with _RUNNING_LOCK:  # a command started from here on ends at once (run_token_command)
        if why is not None:
            _ENDED_BY.append(why)
        running = list(_RUNNING)
    for process in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its thread waits on it and reaps it (_end_group)


def run_token_command(
    command: str, known: tuple[str, ...] = (), first: bool = False, timeout: float = COMMAND_TIMEOUT_SECONDS
) -> Secret:
    """The token the command prints, or TokenError naming its exit code and its stderr's last line
    (every token known so far and whatever it printed on stdout masked in it). The command runs in
    a process group of its own, ended with it; the `first`, before the run starts, ends on a
    signal (RunStopped)."""
    argv = shlex.split(command)
    name = argv[0] if argv else ""
    try:
        with ended_by_signals() if first else contextlib.nullcontext(lambda: None) as arm:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            with _RUNNING_LOCK:
                _RUNNING.add(process)
                ended = bool(_ENDED_BY)  # a signal came before: another worker's renewal waited for this one
            if ended:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            try:
                arm()  # a signal raises from here on, where the command's end is assured
                stdout, stderr = process.communicate(timeout=timeout)
            finally:
                _end_group(process)
                if _ENDED_BY:  # a signal ended it (a renewal: the handler of the controller's run)
                    raise RunStopped(_ENDED_BY[0], INTERRUPTED)
        done = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    except FileNotFoundError:
        raise TokenError(f"token command {name!r} not found (exit 127)") from None
    except PermissionError:
        raise TokenError(f"token command {name!r} cannot be run: permission denied (exit 126)") from None
    except subprocess.TimeoutExpired:
        raise TokenError(
            f"token command {name!r} did not finish within {timeout:g} s (CHASER_TOKEN_COMMAND_TIMEOUT)"
        ) from None
    except OSError as exc:
        raise TokenError(f"token command {name!r} cannot be run: {exc.strerror or type(exc).__name__}") from None
    out = done.stdout.decode("utf-8", "replace").strip()
    lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    last = mask(lines[-1].strip(), out, *known)[:200] if lines else ""
    said = f": {last}" if last else " (nothing on stderr)"
    if done.returncode != 0:
        raise TokenError(f"token command {name!r} failed (exit {done.returncode}){said}")
    if not out:
        raise TokenError(f"token command {name!r} printed no token (exit 0){said}")
    try:
        return FIELDS_BY_NAME["api_token"].parse(out, Source("command", ""))  # the rules of CHASER_API_TOKEN
    except ValueError as exc:  # its text never holds the value
        raise TokenError(f"token command {name!r} printed something that is not a bearer token: {exc}") from None


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

    def start(self) -> Secret:
        """The first token: the command's, run before the first request (raises TokenError)."""
        with self._lock:
            if self._command and not self._issued:
                self._issued.append(run_token_command(self._command, first=True, timeout=self._timeout))
            return self._issued[-1]

    def current(self) -> Secret:
        with self._lock:
            return self._issued[-1]

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
            if token in self._known:
                self._last_good[token] = request

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
            with self._lock:
                self._last_good[token] = request
        return response

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
        if last_good is None:
            return None  # it never worked here: a wrong token (which the diagnosis names), or this request's 401
        probe = send_once(last_good.copy(), **kwargs)
        probe.close()
        if probe.status_code != 401:
            return None  # the token still works: the 401 was the server's answer to that request alone
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
    -n worker, the controller's."""
    token, command = settings.api_token, settings.token_command
    _ENDED_BY.clear()  # a run of its own (a process runs one; the selftests run several in one)
    if settings.embedded:
        return None
    if shared and shared.get("tokens"):
        return TokenAuth(remote_tokens(**shared["limits"]))
    tokens = Tokens(token, command, settings.token_command_timeout)
    tokens.start()
    return TokenAuth(tokens)

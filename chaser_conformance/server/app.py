"""The reference implementation of GET /v1/sessions/{id}, as a WSGI app on werkzeug.

Behaviour: a valid bearer token and a session of its account -> 200 SessionInfo;
an unknown id or another account's session -> 404 JSON; missing, malformed or
unknown credentials -> 401 with WWW-Authenticate; any other method -> 405 with
Allow. Nothing a client can send gets a 5xx.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ..contract.spec import SESSION_PATH
from .catalogue import Switch, resolve_switches
from .http import SERVER_BANNER, WWW_AUTHENTICATE, caller, error_body, json_response
from .store import Store
from .wire import request_handler

TOKEN_PATH = "/token"  # served only with a token lifetime (Store.token_ttl)
ROUTES = Map(
    # <path:...> so that ids holding an encoded slash still reach the lookup (and 404).
    [Rule(f"{SESSION_PATH}<path:session_id>", methods=["GET"], endpoint="get_session")],
    merge_slashes=False,
    strict_slashes=False,
)


class Latency:
    """A distant staging on loopback: every answer waits `ms` milliseconds, give or take `jitter_ms`."""

    def __init__(self, ms: float, jitter_ms: float = 0.0) -> None:
        self.ms, self.jitter_ms = ms, jitter_ms
        self._random = random.Random()

    def wait(self) -> None:
        delay = max(0.0, self.ms + self._random.uniform(-self.jitter_ms, self.jitter_ms)) / 1000
        time.sleep(delay)  # the emulated network round trip itself, not synchronisation


def store_for(switches: Iterable[str | Switch], token_ttl: float | None = None) -> Store:
    """The seeded store as the switches change it: their session ids renamed, their tokens."""
    resolved = resolve_switches(switches)
    ids = {old: new for s in resolved for old, new in s.ids}
    tokens = {name: token for s in resolved for name, token in s.tokens}
    return Store(token_ttl=token_ttl, ids=ids, tokens=tokens)


class ReferenceApp:
    def __init__(
        self, store: Store | None = None, switches: Iterable[str | Switch] = (), latency: Latency | None = None
    ) -> None:
        self.switches: tuple[Switch, ...] = resolve_switches(switches)
        self.store = store or store_for(self.switches)
        self.latency = latency
        # (method, path, status) of recent requests, for tests of what the suite sends (e.g. never
        # a DELETE to a real session); bounded so a long load test cannot grow it without limit.
        self.journal: collections.deque[tuple[str, str, int]] = collections.deque(maxlen=100_000)
        self.arrivals: collections.deque[float] = collections.deque(maxlen=100_000)  # time.monotonic()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.arrivals.append(time.monotonic())
        if self.latency is not None:
            self.latency.wait()
        request = Request(environ)
        response = self.dispatch(request)
        for switch in self.switches:
            response = switch.apply(request, response, self)
        self.journal.append((request.method, request.path, response.status_code))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if self.store.token_ttl is not None and request.path == TOKEN_PATH:
            return self.token(request)
        adapter = ROUTES.bind_to_environ(request.environ)
        try:
            _, args = adapter.match()
        except MethodNotAllowed as exc:
            allow = dict(exc.get_headers()[1:])  # after the Content-Type of werkzeug's own error page
            return json_response(405, error_body("method_not_allowed", f"{request.method} is not allowed"), allow)
        except (NotFound, HTTPException):
            return json_response(404, error_body("not_found", "no such resource"))
        return self.get_session(request, args["session_id"])

    def token(self, request: Request) -> Response:
        """POST /token (a server started with a token lifetime): a new token of the first account, in
        the shape of an OAuth 2.0 token response (RFC 6749 §5.1). No client authentication: loopback demo."""
        if request.method != "POST":
            return json_response(
                405, error_body("method_not_allowed", f"{request.method} is not allowed"), {"Allow": "POST"}
            )
        body = {"access_token": str(self.store.issue()), "token_type": "Bearer", "expires_in": self.store.token_ttl}
        return json_response(200, body, {"Cache-Control": "no-store"})

    def get_session(self, request: Request, session_id: str) -> Response:
        account = caller(request, self.store)
        if account is None:
            return json_response(
                401,
                error_body("unauthorized", "a valid bearer token is required"),
                {"WWW-Authenticate": WWW_AUTHENTICATE},
            )
        session = self.store.find(account, session_id)
        if session is None:
            # Another account's session answers exactly like one that does not exist.
            return json_response(404, error_body("not_found", "session not found"))
        return json_response(200, session)


STOP_POLL_SECONDS = 0.02


class ReferenceRequestHandler(WSGIRequestHandler):
    def version_string(self) -> str:
        return SERVER_BANNER  # a name without a product version (http.py)


class QuietRequestHandler(ReferenceRequestHandler):
    """No access log: embedded in a test run, request lines would only bury the report."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class RunningServer:
    """A werkzeug server in a daemon thread; `stop()` shuts it down and frees the port."""

    def __init__(
        self,
        app: ReferenceApp,
        host: str = "127.0.0.1",
        port: int = 0,
        quiet: bool = False,
        tls: tuple[str, str] | None = None,  # (certificate file, key file): serve https
    ) -> None:
        self.app = app
        self.host = host
        self.scheme = "https" if tls else "http"
        handler: type[WSGIRequestHandler] = QuietRequestHandler if quiet else ReferenceRequestHandler
        wire = next((s.wire for s in app.switches if s.wire is not None), None)
        if wire is not None:  # a switch that writes its answers otherwise than werkzeug does
            handler = request_handler(wire, handler)
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=handler, ssl_context=tls
        )
        self._thread = threading.Thread(target=self.serve_forever, name="chaser-reference-server", daemon=True)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self._server.server_port}"

    def start(self) -> RunningServer:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() or Ctrl-C (start() runs it in a thread)."""
        # stop() waits for the loop to look up: every 0.5 s by default, which every run (and each
        # of the selftests' hundreds of servers) would wait on average half of.
        self._server.serve_forever(poll_interval=STOP_POLL_SECONDS)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(
    switches: Iterable[str | Switch] = (),
    store: Store | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    quiet: bool = True,
    tls: tuple[str, str] | None = None,
    latency: Latency | None = None,
) -> RunningServer:
    return RunningServer(ReferenceApp(store, switches, latency), host, port, quiet, tls).start()

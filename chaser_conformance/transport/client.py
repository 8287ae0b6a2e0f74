"""HTTP access to a target. Every request the suite sends, Schemathesis' included, goes through
one `requests.Session` whose adapter (`GuardedAdapter`) enforces the run's limits: the target's
origin only, a request cap, pacing, bounded 429 retries, a bound on body size, and a stop when
the target has stopped answering."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter

from ..contract.spec import SESSION_PATH
from ..settings.secret import Derived, Invented, Secret, mask
from . import connections, deadline, verbatim
from .answers import BrokenAnswer, NoAnswer, broken_answer, no_answer
from .framing import FRAMING_HEADER, carried
from .limits import RunLimits, RunStopped
from .patience import RATE_LIMIT_RETRIES, rate_limit_retry, retry_after
from .target import Target as Target
from .target import open_target as open_target

_DEFAULT = object()
# A token renewed for a request (run/tokens.py) that expires again is renewed again, this many times at most.
RENEWALS_PER_REQUEST = 3
# A SessionInfo is well under a kilobyte; anything past 1 MiB is reported, never read whole.
MAX_BODY_BYTES = 1 << 20
TRUNCATED_HEADER = "X-Chaser-Body-Truncated"


def token_accepted(status: int) -> bool:
    """An answer that proves the token was accepted: a 2xx (a known session read). A 404 proves
    nothing: a router answers it before anything authenticates (an id with an encoded slash or a dot
    segment), so a request answered 404 cannot tell later whether the token has expired; nor a 3xx
    (routers redirect before authenticating too)."""
    return 200 <= status < 300


def shown_request(method: str, url: str) -> str:
    """A request as a stop message names it: no query string (a test puts the token in one)."""
    parts = urlsplit(url)
    return f"{method} {parts.scheme}://{parts.netloc}{parts.path}{'?...' if parts.query else ''}"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


# witness(check, answer): judges an answer no test asked for (a liveness probe, the pre-flight), or
# its absence (NoAnswer, BrokenAnswer), so that every answer the suite gets, or misses, is judged.
Witness = Callable[[str, Any], None]


class GuardedAdapter(HTTPAdapter):
    def __init__(
        self,
        base_url: str,
        limits: RunLimits,
        max_body: int = MAX_BODY_BYTES,
        witness: Witness | None = None,
        auth: Any = None,
        proxy: str | None = None,
    ) -> None:
        super().__init__(max_retries=rate_limit_retry(limits))
        self.proxy = proxy  # the byte-for-byte path goes through it too
        self.origin = origin(base_url)
        self.limits = limits
        self.max_body = max_body
        self.witness = witness
        self.auth = auth  # tokens.TokenAuth: the current token in, an expired one renewed
        self._last_answered: requests.PreparedRequest | None = None

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = connections.POOL_CLASSES  # they know a reused connection

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = connections.POOL_CLASSES  # through a proxy too
        return manager

    def send(self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any) -> requests.Response:
        if self.auth is not None:
            return self.auth.send(self._send_once, request, kwargs)
        return self._send_once(request, **kwargs)

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if origin(request.url or "") != self.origin:
            # Redirects are not followed, so only a bug could get here; the token must not leave.
            raise RunStopped(f"refusing to send a request outside the target: {urlsplit(request.url).netloc}", 1)
        self.limits.before_send()
        method, url = str(request.method), str(request.url)
        with deadline.exchange(self.limits.deadline):
            try:
                with self.limits.waiting():
                    response = self._transmit(request, kwargs)
            except (requests.RequestException, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
                self._if_too_slow(method, url, kwargs)
                why = broken_answer(exc)
                if why is not None:
                    self.limits.answered()  # it answered: badly, which is a finding, not a target down
                    raise BrokenAnswer(method, url, why) from None
                if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
                    raise
                # A few requests without an answer may be the target's fault for those requests only
                # (a crash on odd ids); the target is down only if a request it answered before fails too.
                self._unanswered(method, url, kwargs, no_answer(exc))
                raise
            try:
                response = self._with_body(response, request)
            except BrokenAnswer:
                self._if_too_slow(method, url, kwargs)
                raise
            self._if_too_slow(method, url, kwargs)  # a body framed by the connection's end ends at the cut
        self.limits.answered()
        return response

    def _unanswered(self, method: str, url: str, kwargs: dict[str, Any], why: str) -> None:
        """Count a request without an answer; when it makes too many in a row and a request answered
        before gets none either, the target is down."""
        if self.limits.no_answer(shown_request(method, url)) and not self._still_answers(kwargs):
            self.limits.down(f"{why}; last request: {shown_request(method, url)}")

    def _if_too_slow(self, method: str, url: str, kwargs: dict[str, Any]) -> None:
        """An exchange cut at its deadline got no answer in time, whatever it broke: TooSlow."""
        watch = deadline.expired()
        if watch is not None:
            self._unanswered(method, url, kwargs, watch.why())
            raise deadline.TooSlow(watch.why()) from None

    def _with_body(self, response: requests.Response, request: requests.PreparedRequest) -> requests.Response:
        """Its body read within max_body (decompressed): a huge or endless one is reported, not loaded."""
        try:
            with self.limits.waiting():
                body = response.raw.read(self.max_body + 1, decode_content=True) or b""
            deadline.pause()  # read: the connection may go back to the pool
        except (http.client.HTTPException, urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            why = broken_answer(exc) or f"the connection broke while the body was read ({type(exc).__name__})"
            raise BrokenAnswer(str(request.method), str(request.url), why, response.status_code) from None
        self._last_answered = request
        framing = getattr(getattr(response.raw, "_original_response", None), "framing", None)
        if framing:
            response.headers[FRAMING_HEADER] = carried(framing)
        truncated = len(body) > self.max_body
        if truncated:
            response.headers[TRUNCATED_HEADER] = str(self.max_body)
            body = body[: self.max_body]
        if truncated or connections.asks_close(request.headers):
            response.close()  # the connection with it: cut short, or its last request (RFC 9112 §9.6)
        else:
            response.raw.release_conn()
        response._content = body
        response._content_consumed = True
        return response

    def _transmit(self, request: requests.PreparedRequest, kwargs: dict[str, Any]) -> requests.Response:
        """HTTPAdapter.send with HTTP's connection management (connections.py): a request that says
        `Connection: close` or cannot be repeated goes on a new connection; an idempotent one that met
        the close of a reused connection before any answer is sent again, on another."""
        own = connections.needs_own_connection(str(request.method), request.headers)
        if own:
            verify, cert = kwargs.get("verify", True), kwargs.get("cert")
            pool = self.get_connection_with_tls_context(request, verify, proxies=kwargs.get("proxies"), cert=cert)
            connections.close_idle(pool)
        stale = 0
        while True:
            connections.forget()
            try:
                return super().send(request, stream=True, **kwargs)
            except requests.ConnectionError as exc:
                stale += 1  # each stale connection is dropped from the pool: at most a pool's worth
                if own or stale > DEFAULT_POOLSIZE or not connections.last_was_reused():
                    raise
                if not connections.closed_before_answer(exc):
                    raise
            self.limits.before_send(again=True)  # sent again: a request of its own, within the cap, recorded

    def send_verbatim(
        self,
        method: str,
        url: str,
        authorization: object,
        timeout: tuple[float, float],
        verify: Any,
        more: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """`send` for a request target sent byte for byte (verbatim.py), as a requests.Response."""
        if origin(url) != self.origin:
            raise RunStopped(f"refusing to send a request outside the target: {urlsplit(url).netloc}", 1)
        self.limits.before_send()
        headers = {
            "User-Agent": requests.utils.default_user_agent(),
            "Accept-Encoding": verbatim.ACCEPT_ENCODING,
            "Accept": "*/*",
            "Connection": "close",
            **(more or {}),
        }
        if authorization is not None:
            current = self.auth.current_for(str(authorization)) if self.auth is not None else authorization
            headers["Authorization"] = Secret(str(current))
        answer = self._verbatim(method, url, headers, timeout, verify)
        for _ in range(RENEWALS_PER_REQUEST):  # the token expired meanwhile: again with a new one, as `send` does
            if "Authorization" not in headers or answer.status != 401 or self.auth is None:
                break
            kwargs = {"timeout": timeout, "verify": verify}
            renewed = self.auth.renewed_for(self._send_once, headers["Authorization"], kwargs)
            if not renewed:
                break
            headers["Authorization"] = Secret(renewed)
            self.limits.before_send()
            answer = self._verbatim(method, url, headers, timeout, verify)
        response = requests.Response()
        response.status_code, response.reason, response.url = answer.status, answer.reason, url
        response.headers = requests.structures.CaseInsensitiveDict()
        for name, value in answer.headers:
            known = response.headers.get(name)
            response.headers[name] = value if known is None else f"{known}, {value}"
        if answer.truncated:
            response.headers[TRUNCATED_HEADER] = str(self.max_body)
        response._content, response._content_consumed = answer.body, True
        response.request = requests.Request(method, url, headers=headers).prepare()
        response.request.url = url  # as sent: prepare() re-encodes it
        if self.auth is not None and "Authorization" in headers and token_accepted(answer.status):
            self.auth.worked(headers["Authorization"], response.request)
        return response

    def _verbatim(
        self, method: str, url: str, headers: dict[str, str], timeout: tuple[float, float], verify: Any
    ) -> verbatim.RawAnswer:
        """One request byte for byte, as `send` treats one: an answer that is not usable HTTP is a
        BrokenAnswer, silence counts towards "down", and a 429 with Retry-After is waited out."""
        kwargs = {"timeout": timeout, "verify": verify}
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            with deadline.exchange(self.limits.deadline):
                try:
                    with self.limits.waiting():
                        answer = verbatim.send(method, url, headers, timeout, self.max_body, verify, self.proxy)
                    if deadline.expired():  # a body framed by the connection's end ends at the cut
                        raise deadline.TooSlow("cut at the deadline")
                except (OSError, http.client.HTTPException, urllib3.exceptions.DecodeError) as exc:
                    watch = deadline.expired()
                    why = None if watch else broken_answer(exc)
                    if why is not None:
                        self.limits.answered()  # it answered: badly, which is a finding, not a target down
                        raise BrokenAnswer(method, url, why) from None
                    why = watch.why() if watch else no_answer(exc)
                    self._unanswered(method, url, kwargs, why)
                    raise NoAnswer(method, url, mask(why, str(headers.get("Authorization", "")))) from None
            self.limits.answered()
            wait = retry_after(self.limits, answer.status, answer.headers) if attempt < RATE_LIMIT_RETRIES else None
            if wait is None:
                return answer
            with self.limits.waiting():
                time.sleep(wait)  # back-pressure the target asked for, as the requests path does (not synchronisation)
        return answer

    def _still_answers(self, kwargs: dict[str, Any]) -> bool:
        if self._last_answered is None:
            return False
        self.limits.count_probe()
        probe = self._last_answered.copy()
        with deadline.exchange(self.limits.deadline):
            try:
                with self.limits.waiting():
                    answer: Any = self._with_body(self._transmit(probe, kwargs), probe)  # within the body bound
                answer.close()
            except (requests.RequestException, http.client.HTTPException, urllib3.exceptions.HTTPError):
                return False
            except BrokenAnswer as broken:  # it answered, badly: a finding, and the target is not down
                answer = broken
            if deadline.expired():
                return False  # not in time either
        if self.witness is not None:
            self.witness("liveness probe", answer)
        self.limits.answered()
        return True


def http_session(
    base_url: str,
    limits: RunLimits,
    ca_bundle: Path | None = None,
    witness: Witness | None = None,
    auth: Any = None,
    proxy: str | None = None,
) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no .netrc credentials; the proxy is chosen once, by proxies.route()
    session.proxies = {"http": proxy, "https": proxy} if proxy else {}
    session.verify = str(ca_bundle) if ca_bundle else True
    adapter = GuardedAdapter(base_url, limits, witness=witness, auth=auth, proxy=proxy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: Secret | None,
        *,
        limits: RunLimits,
        connect_timeout: float,
        read_timeout: float,
        ca_bundle: Path | None = None,
        witness: Witness | None = None,
        auth: Any = None,
        proxy: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.limits = limits
        self.http = http_session(self.base_url, limits, ca_bundle, witness, auth, proxy)

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r}, token={self.token!r})"

    def session_url(self, session_id: str) -> str:
        # Quote everything: ids with '/', '?', '#', '..' must stay one path segment.
        return self.segment_url(quote(session_id, safe=""))

    def segment_url(self, segment: str) -> str:
        """The URL of a path segment sent as given (already percent-encoded)."""
        return self.base_url + SESSION_PATH + segment

    def authorization(self) -> Secret | None:
        return Secret(f"Bearer {self.token}") if self.token else None

    def request(
        self,
        method: str,
        url: str,
        *,
        authorization: object = _DEFAULT,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        """`authorization=None` sends no Authorization header; a string sends it verbatim (beyond
        Latin-1, which requests cannot send: as UTF-8 bytes, on the byte-for-byte path)."""
        __tracebackhide__ = True  # its locals hold credentials
        sent = dict(headers or {})
        auth = self.authorization() if authorization is _DEFAULT else authorization
        if auth is not None and not params and data is None and verbatim.beyond_latin1(str(auth)):
            return _how_derived(self.request_verbatim(method, url, authorization=auth, headers=headers), auth)
        if auth is not None:
            sent["Authorization"] = Secret(str(auth))
        try:
            response = self.http.request(
                method, url, headers=sent, params=params, data=data, timeout=self.timeout, allow_redirects=False
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise NoAnswer(method, mask(url, self.token), mask(no_answer(exc), self.token)) from None
        return _how_derived(response, auth)

    def request_verbatim(
        self, method: str, url: str, *, authorization: object = _DEFAULT, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        """Send `url`'s path byte for byte (requests and urllib3 re-encode an invalid
        percent-escape, and remove dot segments), within the run's limits: for near-miss and
        malformed ids, and the request shapes. `headers`: more header fields."""
        __tracebackhide__ = True  # its locals hold credentials
        auth = self.authorization() if authorization is _DEFAULT else authorization
        adapter = self.http.get_adapter(url)
        assert isinstance(adapter, GuardedAdapter)
        return adapter.send_verbatim(method, url, auth, self.timeout, self.http.verify, headers)

    def get_session(self, session_id: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", self.session_url(session_id), **kwargs)

    def close(self) -> None:
        self.http.close()


def _how_derived(response: requests.Response, auth: object) -> requests.Response:
    """A credential derived from the token, or made up, stays so on the request recorded, for its
    curl line (the value sent is the same: only a token of the run is swapped for a renewed one)."""
    if isinstance(auth, (Derived, Invented)) and response.request.headers.get("Authorization") == auth:
        response.request.headers["Authorization"] = auth
    return response

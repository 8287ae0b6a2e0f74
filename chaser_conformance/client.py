"""HTTP access to a target: base URL, bearer token, timeouts, request pacing."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .secret import Secret, mask

SESSION_PATH = "/v1/sessions/"
_DEFAULT = object()
# 429 with Retry-After is back-pressure, not non-conformance: wait it out, within a bound.
RATE_LIMIT_RETRIES = 3
RETRY_AFTER_MAX_SECONDS = 10


class RetryRateLimited(Retry):
    """Retry only a 429 that carries Retry-After (not 413/503, and not a 429 without it)."""

    RETRY_AFTER_STATUS_CODES = frozenset({429})


def rate_limit_retry() -> Retry:
    return RetryRateLimited(
        total=RATE_LIMIT_RETRIES,
        connect=0,
        read=0,
        redirect=0,
        other=0,
        status_forcelist=(),
        allowed_methods=None,  # retrying is safe: a 429 means the request was not processed
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX_SECONDS,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def http_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=rate_limit_retry())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class NoAnswer(AssertionError):
    """The target did not answer (timeout, connection reset): a failure, with the token masked."""


@dataclass(frozen=True)
class Target:
    """What the suite runs against: resolved settings, or the embedded server's seed."""

    base_url: str
    token: Secret
    session_ids: tuple[str, ...]
    foreign_session_id: str | None
    embedded: bool

    @property
    def label(self) -> str:
        return f"{self.base_url} ({'embedded reference server' if self.embedded else 'configured'})"


class Pacer:
    """At most `rate` requests per second across threads (0 = no limit)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)  # pacing towards the target's rate limit, not synchronisation


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: Secret | None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        pacer: Pacer | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.pacer = pacer or Pacer(0)
        self.http = http_session()

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r}, token={self.token!r})"

    def session_url(self, session_id: str) -> str:
        # Quote everything: ids with '/', '?', '#', '..' must stay one path segment.
        return self.base_url + SESSION_PATH + quote(session_id, safe="")

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
    ) -> requests.Response:
        """`authorization=None` sends no Authorization header; a string sends it verbatim."""
        __tracebackhide__ = True  # its locals hold credentials
        sent = dict(headers or {})
        auth = self.authorization() if authorization is _DEFAULT else authorization
        if auth is not None:
            sent["Authorization"] = Secret(str(auth))
        self.pacer.wait()
        try:
            return self.http.request(
                method, url, headers=sent, params=params, timeout=self.timeout, allow_redirects=False
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise NoAnswer(mask(f"[no answer] {method} {url}: {type(exc).__name__}: {exc}", self.token)) from None

    def get_session(self, session_id: str, **kwargs: object) -> requests.Response:
        return self.request("GET", self.session_url(session_id), **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        self.http.close()

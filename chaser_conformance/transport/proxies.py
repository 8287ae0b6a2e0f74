"""Which proxy, if any, the requests to the target go through, and why.

- The `proxy` setting (CHASER_PROXY, --chaser-proxy), else the environment as curl and requests
  read it: `<scheme>_proxy`, then `all_proxy`, lower case before upper case; `no_proxy` names the
  hosts that go direct.
- A loopback target (127.0.0.0/8, ::1, localhost) goes direct unless the proxy is on loopback
  too: a proxy elsewhere cannot reach the runner's own loopback.
- An http:// proxy only (the byte-for-byte path speaks to it itself: an absolute request target
  for http://, a CONNECT tunnel for https://); its credentials, if any, are never shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests.utils
import urllib3.util

from ..settings.redact import SecretURL
from ..settings.urls import is_loopback
from ..settings.urls import proxy_url as check


@dataclass(frozen=True)
class Route:
    proxy: SecretURL | None  # the proxy's URL as given (it may hold credentials: show `shown`)
    why: str  # where the proxy came from, or why there is none

    @property
    def shown(self) -> str:
        return self.proxy.masked if self.proxy else "none"


DIRECT_WHY = "no proxy in the environment"


def route(base_url: str, configured: str | None, source: str, environ: Mapping[str, str] = os.environ) -> Route:
    """The route to `base_url`: through the configured proxy (named by `source`), the environment's,
    or direct. Raises ValueError for a proxy in the environment that cannot be used."""
    parts = urlsplit(base_url)
    scheme, host = parts.scheme, parts.hostname or ""
    if configured:
        chosen = Route(SecretURL(configured), source)
    else:
        name = next((n for n in _names(scheme) if environ.get(n, "").strip()), None)
        if name is None:
            return Route(None, DIRECT_WHY)
        try:
            chosen = Route(SecretURL(check(environ[name].strip())), f"env {name}")
        except ValueError as exc:
            raise ValueError(f"{name} (environment): {exc}") from None
        no_proxy = environ.get("no_proxy") or environ.get("NO_PROXY")
        if no_proxy and requests.utils.should_bypass_proxies(base_url, no_proxy=no_proxy):
            return Route(None, f"{host} is in NO_PROXY")
    if is_loopback(host) and not is_loopback(urlsplit(chosen.proxy or "").hostname or ""):
        return Route(None, f"{host} is loopback, which the proxy {chosen.shown} ({chosen.why}) cannot reach")
    return chosen


def _names(scheme: str) -> list[str]:
    return [f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY"]


def authorization(proxy: str) -> str | None:
    """The Proxy-Authorization value for a proxy URL with credentials (Basic), else None."""
    user, password = requests.utils.get_auth_from_url(proxy)  # percent-decoded
    if not user and not password:
        return None
    return str(urllib3.util.make_headers(proxy_basic_auth=f"{user}:{password}")["proxy-authorization"])

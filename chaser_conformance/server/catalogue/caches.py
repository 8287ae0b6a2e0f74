"""A cache in front of the server. The fault keeps a 401 by path alone and serves it to the owner
afterwards (one path: where the authentication backend failed once), while the same token still reads every other
session: that path's wrong answer, not an expired token (tokens.py tells them apart by reading
another known session). The variant is a cache that keys by path *and* credentials (`Vary:
Authorization`, RFC 9111 §4.1): it serves each caller what that caller was answered."""

from __future__ import annotations

import threading
import weakref

from werkzeug.wrappers import Request, Response

from ..http import WWW_AUTHENTICATE, error_body, json_response
from .switch import Apply, Server, fault, variant

HICCUP_AT = 6  # the read in a row of one session whose authentication fails (a burst trips a limiter)


def negative_cache_by_path() -> Apply:
    """The authentication backend fails once, on the HICCUP_AT-th read in a row of one session, and
    a cache keyed by path alone keeps that 401 and serves it to every later read of the path, its
    owner's included; every other session still reads."""
    state: weakref.WeakKeyDictionary[Server, dict[str, object]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            seen = state.setdefault(server, {"path": None, "run": 0, "kept": None})
            if response.status_code == 200 and seen["kept"] is None:
                seen["run"] = seen["run"] + 1 if seen["path"] == request.path else 1  # type: ignore[operator]
                seen["path"] = request.path
                if seen["run"] >= HICCUP_AT:
                    seen["kept"] = request.path
            hit = seen["kept"] == request.path and response.status_code != 401
        if not hit:
            return response
        return json_response(
            401, error_body("unauthorized", "a valid bearer token is required"), {"WWW-Authenticate": WWW_AUTHENTICATE}
        )

    return apply


def cache_varying_on_credentials() -> Apply:
    kept: weakref.WeakKeyDictionary[Server, dict[tuple[str, str, str], bytes]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        key = (request.method, request.full_path, request.headers.get("Authorization", ""))
        with lock:
            cache = kept.setdefault(server, {})
            if key in cache:
                served = Response(cache[key], status=response.status_code, headers=response.headers)
                served.headers["Age"] = "1"
                served.headers["Vary"] = "Authorization"
                return served
            if response.status_code == 200 and request.method == "GET":
                cache[key] = response.get_data()
        response.headers["Vary"] = "Authorization"
        return response

    return apply


CACHE_FAULTS = [
    fault(
        "401-cached-by-path",
        "security",
        "one failed authentication (a burst of reads of one session), kept by a cache keyed by path for its owner",
        negative_cache_by_path(),
    ),
]

CACHE_VARIANTS = [
    variant(
        "cache-varying-on-credentials",
        "caching",
        "a cache keyed by path and Authorization (Vary: Authorization) serves each caller its own answer",
        cache_varying_on_credentials(),
    ),
]

"""One request and its response, whatever client sent it, and how it is shown: never the token."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from requests.structures import CaseInsensitiveDict

from ..secret import MASK, Secret

BODY_EXCERPT = 1000
NONE = "<none>"  # no Authorization header was sent
EMPTY = "<empty>"  # an Authorization header with an empty value was sent
# Scheme names that are not credentials by themselves: shown as sent when nothing follows them.
SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "apikey"})
# Request headers a reproduction leaves out: curl sends its own.
CURL_SKIPS = frozenset({"user-agent", "accept-encoding", "accept", "connection", "content-length"})


def shown_authorization(value: str | None) -> str:
    """What an Authorization header carried, credentials masked: `<none>`, `<empty>`, `Bearer ****`,
    `Bearer` (a scheme alone: nothing was masked because nothing was sent), or `****`."""
    if value is None:
        return NONE
    if not str(value).strip():
        return EMPTY
    scheme, _, credentials = str(value).strip().partition(" ")
    if credentials.strip():
        return f"{scheme} {MASK}"
    return scheme if scheme.lower() in SCHEMES else MASK


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    request_headers: Mapping[str, str]
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @classmethod
    def of(cls, response: Any) -> Exchange:
        if isinstance(response, Exchange):
            return response
        request = response.request
        headers = response.headers
        if headers and isinstance(next(iter(headers.values())), list):  # Schemathesis' Response
            headers = {k: ", ".join(v) for k, v in headers.items()}
        return cls(
            method=str(request.method).upper(),
            url=str(request.url),
            request_headers=CaseInsensitiveDict(
                {k: Secret(v) if k.lower() == "authorization" else str(v) for k, v in request.headers.items()}
            ),
            status=response.status_code,
            reason=str(getattr(response, "reason", None) or getattr(response, "message", "") or ""),
            headers=CaseInsensitiveDict(headers),
            content=response.content or b"",
        )

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    @property
    def authorization(self) -> str:
        return shown_authorization(self.request_headers.get("Authorization"))

    def shown_request_headers(self) -> dict[str, str]:
        return {
            k: (shown_authorization(v) if k.lower() == "authorization" else str(v))
            for k, v in self.request_headers.items()
        }


def curl_line(ex: Exchange) -> str:
    parts = ["curl", "-i", "-X", ex.method, ex.url]
    for name, value in ex.request_headers.items():
        if name.lower() in CURL_SKIPS:
            continue
        if name.lower() == "authorization":
            value = shown_authorization(value)
            if value == EMPTY:
                parts += ["-H", f"{name};"]  # curl's way to send a header with an empty value
                continue
        parts += ["-H", f"{name}: {value}"]
    return shlex.join(parts)


def describe(ex: Exchange) -> str:
    body = ex.content[:BODY_EXCERPT].decode("utf-8", "replace")
    if len(ex.content) > BODY_EXCERPT:
        body += f"... ({len(ex.content)} bytes)"
    return "\n".join(
        (
            f"  request:  {ex.method} {ex.url} (Authorization: {ex.authorization})",
            f"  response: {ex.status} {ex.reason}; Content-Type: {ex.headers.get('Content-Type', '(none)')}",
            f"  body:     {body or '(empty)'}",
            f"  reproduce: {curl_line(ex)}",
        )
    )

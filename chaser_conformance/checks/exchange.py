"""One request and its response, whatever client sent it, and how it is shown: never the token."""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from ..settings.redact import inert
from ..settings.secret import MASK, Derived, Invented, Secret

BODY_EXCERPT = 1000
TOKEN_VARIABLE = "CHASER_API_TOKEN"  # what a curl line says in place of the token
CREDENTIAL_COMMAND = "chaser-conformance credential"  # ... and what derives a credential from it again
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
    request_body: bytes = b""  # content the request carried (a body on a GET, to test that it chooses nothing)

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
                {k: _secret(v) if k.lower() == "authorization" else _text(v) for k, v in request.headers.items()}
            ),
            status=response.status_code,
            reason=str(getattr(response, "reason", None) or getattr(response, "message", "") or ""),
            headers=CaseInsensitiveDict(headers),
            content=response.content or b"",
            request_body=_body_of(request),
        )

    def to_dict(self) -> dict[str, Any]:
        """The exchange across processes (pytest -n), without its Authorization header."""
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": {k: str(v) for k, v in self.request_headers.items() if k.lower() != "authorization"},
            "status": self.status,
            "reason": self.reason,
            "headers": dict(self.headers),
            "content": base64.b64encode(self.content).decode(),
            "request_body": base64.b64encode(self.request_body).decode(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exchange:
        return cls(
            method=data["method"],
            url=data["url"],
            request_headers=CaseInsensitiveDict(data["request_headers"]),
            status=data["status"],
            reason=data["reason"],
            headers=CaseInsensitiveDict(data["headers"]),
            content=base64.b64decode(data["content"]),
            request_body=base64.b64decode(data.get("request_body", "")),
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


def shell_word(text: str, token: str | None = None) -> str:
    """`text` quoted for a POSIX shell, with every occurrence of the token written as a reference to
    TOKEN_VARIABLE inside double quotes: the line reproduces the request in a shell where that
    variable is set, and never holds the token itself."""
    if not token or token not in text:
        return shlex.quote(text)
    pieces = [re.sub(r'([\\"$`])', r"\\\1", piece) for piece in text.split(token)]
    out = pieces[0]
    for piece in pieces[1:]:
        # $NAME when what follows cannot continue the name, ${NAME} when it could.
        out += f"${{{TOKEN_VARIABLE}}}" if piece[:1].isalnum() or piece[:1] == "_" else f"${TOKEN_VARIABLE}"
        out += piece
    return f'"{out}"'


def _secret(value: Any) -> Secret:
    return value if isinstance(value, Secret) else Secret(_text(value))  # a Derived keeps how it was derived


def _text(value: Any) -> str:
    """A field value as text: one sent as bytes (UTF-8 beyond Latin-1) decoded, not its repr."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _body_of(request: Any) -> bytes:
    body = getattr(request, "body", None)
    if isinstance(body, str):
        return body.encode("utf-8")
    return body if isinstance(body, bytes) else b""


def curl_line(ex: Exchange, token: str | None = None) -> str:
    """A curl command that sends the request again. Where the request carried the run's token (in
    Authorization, another header, a cookie or the URL) the line says `$CHASER_API_TOKEN` instead;
    a credential derived from it (a near miss, a JWT forgery) is derived again in the shell, by
    `$(chaser-conformance credential ...)`, and one the suite made up (settings.secret.Invented) is
    sent as it is; other credentials stay masked, as in the rest of the report."""
    # curl -X HEAD would wait for a body that never comes: -I sends HEAD and reads the header alone.
    method = ("curl", "-I") if ex.method == "HEAD" else ("curl", "-i", "-X", ex.method)
    parts = [shlex.quote(p) for p in method] + [shell_word(ex.url, token)]
    if any(ch in ex.url for ch in "[]{}"):
        parts.append("--globoff")  # curl would read brackets and braces in the URL as a pattern
    if any(segment in (".", "..") for segment in urlsplit(ex.url).path.split("/")):
        parts.append("--path-as-is")  # curl would remove the dot segments the request sent
    for name, value in ex.request_headers.items():
        if name.lower() in CURL_SKIPS:
            continue
        if name.lower() == "authorization" and not (token and token in str(value)):
            parts += ["-H", _other_credential(name, value)]
            continue
        parts += ["-H", shell_word(f"{name}: {value}", token)]
    if ex.request_body:
        parts += ["--data-binary", shell_word(ex.request_body.decode("utf-8", "replace"), token)]
    return " ".join(parts)


def _other_credential(name: str, value: Any) -> str:
    """The curl word of an Authorization that does not carry the run's token as it is."""
    if isinstance(value, Derived):
        return f'"{name}: $({CREDENTIAL_COMMAND} {shlex.join(value.how)})"'  # derived again in the shell
    if isinstance(value, Invented):
        return shlex.quote(f"{name}: {value}")  # made up by the suite: nothing of the token in it
    shown = shown_authorization(value)
    return shlex.quote(f"{name};") if shown == EMPTY else shell_word(f"{name}: {shown}")  # `name;`: sent empty


def describe(ex: Exchange) -> str:
    body = ex.content[:BODY_EXCERPT].decode("utf-8", "replace")
    if len(ex.content) > BODY_EXCERPT:
        body += f"... ({len(ex.content)} bytes)"
    return inert(
        "\n".join(
            (
                f"  request:  {ex.method} {ex.url} (Authorization: {ex.authorization})",
                f"  response: {ex.status} {ex.reason}; Content-Type: {ex.headers.get('Content-Type', '(none)')}",
                f"  body:     {body or '(empty)'}",
                f"  reproduce: {curl_line(ex)}",
            )
        )
    )

"""Credentials of a capture, learnt from all of it before anything is printed, and masked in every line.

A token can be shown by one entry (an `access_token` query value, a body that echoes it) and be
recognisable as a credential only in another (the `Authorization` header of a later entry), so
`validate` reads its inputs twice: the first pass learns every credential value, the second
judges and prints. A URL is also masked by name (userinfo, credential-named parameters anywhere in
it) whether or not its value was learnt, and every printed text is masked by value.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from ..settings.secret import MASK
from .records import Recorded

CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
_CREDENTIAL_NAME = re.compile(r"token|key|auth|secret|passw|pwd|signature|sig$|session|credential|jwt", re.IGNORECASE)
# name=value in a URL's path parameters, query or fragment (";jsessionid=...", "?token=...", "#access_token=...")
_PARAM = re.compile(r"([^?&;#/=]+)=([^&;#/]*)")
MIN_LENGTH = 4  # shorter values would mask ordinary text


def is_credential_name(name: str) -> bool:
    return bool(_CREDENTIAL_NAME.search(name))


_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)")


def _split_authority(url: str) -> tuple[str, str, str]:
    """(before the authority, the authority, after it), without urlsplit (which refuses some URLs)."""
    found = _AUTHORITY.match(url)
    if not found:
        return "", "", url
    return url[: found.start(1)], found[1], url[found.end(1) :]


class Secrets:
    """Credential values of a capture; mask() removes all of them from a text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._ordered: list[str] = []  # longest first, so that a value's suffix is not masked alone

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) < MIN_LENGTH or value in self._values:
            return
        for form in {value, quote(value, safe=""), quote_plus(value), quote(value)}:
            self._values.add(form)
        self._ordered = []

    def learn(self, exchange: Recorded) -> None:
        for name, value in exchange.request_headers:
            low = name.strip().lower()
            if low in ("authorization", "proxy-authorization"):
                self.add(value)
                self.add(value.strip().partition(" ")[2])
            elif low == "cookie":
                for part in value.split(";"):
                    self.add(part.partition("=")[2])
            elif low in CREDENTIAL_HEADERS or is_credential_name(low):
                self.add(value)
        for name, value in exchange.response_headers:
            if name.strip().lower() == "set-cookie":
                self.add(value.split(";", 1)[0].partition("=")[2])
        for value in exchange.credentials:
            self.add(value)
        _, authority, rest = _split_authority(exchange.url)
        password = authority.rpartition("@")[0].partition(":")[2]  # the user name is masked in URLs only:
        self.add(password)  # learnt, a name such as "reader" would mask that word in every message
        self.add(unquote(password))
        for name, value in _PARAM.findall(rest):
            if is_credential_name(unquote_plus(name)):
                self.add(value)
                self.add(unquote_plus(value))

    def mask(self, text: str) -> str:
        if not self._ordered and self._values:
            self._ordered = sorted(self._values, key=len, reverse=True)
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def url(self, url: str) -> str:
        """A URL as it may be printed: no userinfo, no value of a credential-named parameter, and
        no learnt credential anywhere."""
        before, authority, rest = _split_authority(url)
        if "@" in authority:
            authority = MASK + authority[authority.rindex("@") :]

        def param(match: re.Match[str]) -> str:
            return f"{match[1]}={MASK}" if is_credential_name(unquote_plus(match[1])) else match[0]

        return self.mask(before + authority + _PARAM.sub(param, rest))

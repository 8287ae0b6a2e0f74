"""The settings that are URLs: the target's base URL and a proxy's, and what a host may be."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .redact import SecretURL, shown, unprintable
from .source import Source, _longer, _text

URL_MAX_CHARS = 2000  # the suite adds paths and near-miss ids; servers refuse request targets past 8,000


_ASCII_HOST = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?", re.ASCII)


def _check_host(url: str, host: str) -> bool:
    """A host the HTTP stack can connect to, checked the way it will be: urllib3 reads a non-ASCII
    name by IDNA 2008, and raises LocationParseError (not a request error) for an empty or long label."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if host.isascii() and not _ASCII_HOST.fullmatch(host):
        return False
    try:
        parse_url(url)
        encoded = host.encode("idna")  # the codec urllib3 and socket use; refuses empty or long labels
    except (LocationParseError, UnicodeError):
        return False
    return len(encoded) <= 253


def _base_url(raw: Any, _: Source) -> str:
    text = _text(raw)
    _longer(text, "a URL", URL_MAX_CHARS)
    url = shown(text)
    if any(ch.isspace() or unprintable(ch) for ch in text):
        raise ValueError(f"{url} contains white space or control characters")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError(f"{url} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url} is not an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError(f"{url}: credentials belong in the token setting, not in the URL")
    if "?" in text or "#" in text:
        # Even an empty one: the suite appends paths to the base URL.
        raise ValueError(f"{url} must not have a query or a fragment")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        # A password with a '/' in it ends the host early and is read as a port.
        hint = " (or credentials, which belong in the token setting)" if "@" in text else ""
        raise ValueError(f"{url} has an invalid port{hint}") from None
    if not host:
        raise ValueError(f"{url} has no host")
    if port == 0:
        raise ValueError(f"{url} has an invalid port")
    if not _check_host(text, host):
        raise ValueError(f"{url}: {shown(host)} is not a valid host name")
    return text.rstrip("/")


def proxy_url(url: str) -> str:
    """A proxy URL the suite can use, or ValueError saying why not (the URL shown redacted)."""
    _longer(url, "a URL", URL_MAX_CHARS)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise ValueError(f"{shown(url)} is not a valid proxy URL") from None
    if any(ch.isspace() or unprintable(ch) for ch in url):
        raise ValueError(f"{shown(url)} contains white space or control characters")
    if parts.scheme != "http":
        raise ValueError(
            f"{shown(url)}: only http:// proxies are supported (https:// targets are tunnelled through one)"
        )
    if not parts.hostname:
        raise ValueError(f"{shown(url)} has no host")
    return url


def _proxy(raw: Any, _: Source) -> str:
    return SecretURL(proxy_url(_text(raw)))


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets), localhost and its subdomains."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

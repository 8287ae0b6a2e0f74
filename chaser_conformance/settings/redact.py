"""What a message may show of a setting's value: never a credential, never more than a line.

Every value a usage error quotes goes through `shown()`, whatever the check that failed, so that a
URL with a password or a query secret is redacted even where it was not expected (a base URL
pasted into another setting, a password that breaks the URL parser)."""

from __future__ import annotations

import re
from typing import Any

from .secret import MASK, Secret

# What would act on the screen of whoever reads a run's output rather than show: C0 and C1 control
# characters but tab and line feed (ESC starts the sequences that clear a terminal, retitle its window
# or write its clipboard, OSC 52; CR overwrites a line; 0x9b is a one-byte CSI), DEL, and the
# bidirectional controls that reorder what a terminal or a browser shows.
_ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SHOWN_MAX = 200  # characters of a value a message shows: a megabyte of variable is not a usage line
_QUERY_PART = re.compile(r"([^&;=]*=)?[^&;]*")


def redact(text: str) -> str:
    """`text` with whatever may be a credential replaced, read as a URL whether it is one or not:
    everything between `scheme://` and the last '@' (userinfo; a pasted password may hold '/', '?',
    '#' or '@' unencoded, so the last '@' anywhere counts), each query value, and the fragment.
    Where a part cannot be told apart from a credential it is masked too:
    - after an '@' that follows a '?' or a '#', everything (the '@' may sit inside a query value or
      the fragment, or in a password holding '?' or '#');
    - a host with a port that is not a number (`https://user:secret`, or `user:secret` without a
      scheme: a value cut inside a password, before its '@'), and everything after it."""
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text)
    start = scheme.end() if scheme else 0
    head, rest = text[:start], text[start:]
    at = rest.rfind("@")
    if at >= 0:
        if any(c in rest[:at] for c in "?#"):
            return head + MASK + "@" + (MASK if rest[at + 1 :] else "")
        head, rest = head + MASK + "@", rest[at + 1 :]
    if not _is_host(re.match(r"[^/?#]*", rest).group(0)):
        return head + (MASK if rest else "")
    rest, hash_, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    query = _QUERY_PART.sub(lambda m: (m.group(1) or "") + MASK if m.group(0) else "", query)
    return head + rest + question + query + hash_ + (MASK if fragment else "")


def _is_host(authority: str) -> bool:
    """A host with no port or a port of digits (`[::1]:8080` included): not `user:password`."""
    if authority.startswith("[") and "]" in authority:
        authority = authority.partition("]")[2]  # the port, if any, after an IPv6 literal
    name, colon, port = authority.partition(":")
    return not colon or (port.isdigit() and "[" not in name)


def shown(value: Any) -> str:
    """A value as a message may show it: redacted, shortened, quoted, and on one line (repr escapes
    control characters, line breaks and lone surrogates)."""
    try:
        text = redact(str(value))
    except ValueError:  # an integer of more digits than str() will write
        text = f"<a {type(value).__name__} too long to show>"
    return repr(text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "...")


def inert(text: str) -> str:
    """`text` as a person's terminal, a CI log or a report may show it: every character that would
    act rather than show written as its escape (ESC as \\x1b), tab and line breaks kept."""
    return _ACTING.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def unprintable(text: str) -> bool:
    # Control characters, line and paragraph separators, invisible format characters, and lone
    # surrogates (what Python makes of bytes in the environment that are not UTF-8).
    return not text.isprintable()


class SecretURL(Secret):
    """A URL that may carry credentials (a proxy's `user:password@`): shown with them masked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretURL({self.masked!r})"

    @property
    def masked(self) -> str:
        return redact(self)

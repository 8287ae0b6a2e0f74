"""What a message may show of a setting's value: never a credential, never more than a line.

Every value a usage error quotes goes through `shown()`, whatever the check that failed, so that a
URL with a password or a query secret is redacted even where it was not expected (a base URL
pasted into another setting, a password that breaks the URL parser)."""

from __future__ import annotations

import re
from typing import Any

from .secret import MASK

SHOWN_MAX = 200  # characters of a value a message shows: a megabyte of variable is not a usage line
_QUERY_PART = re.compile(r"([^&;=]*=)?[^&;]*")


def redact(text: str) -> str:
    """`text` with whatever may be a credential replaced, read as a URL whether it is one or not:
    everything between `scheme://` and the last '@' (userinfo; a pasted password may hold '/', '?'
    or '#' unencoded, so the last '@' anywhere counts), each query value, and the fragment."""
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text)
    start = scheme.end() if scheme else 0
    at = text.rfind("@")
    if at >= start:
        before = text[start:at]
        text = text[:start] + MASK + text[at:]
        start += len(MASK) + 1
        # What follows the '@' is a host, unless the '@' sat inside a query value or a fragment
        # ('?' or '#' before it in a value that is no URL: in a URL they may be a password's), or the
        # value was cut inside a password (a ':' then no port).
        host = re.match(r"[^/?#]*", text[start:]).group(0)
        port = host.rpartition(":")[2]
        in_query = not scheme and any(c in before for c in "?#")
        if host and (in_query or (":" in host and not port.isdigit())):
            text = text[:start] + MASK + text[start + len(host) :]
            start += len(MASK)
    head, rest = text[:start], text[start:]
    rest, hash_, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    query = _QUERY_PART.sub(lambda m: (m.group(1) or "") + MASK if m.group(0) else "", query)
    return head + rest + question + query + hash_ + (MASK if fragment else "")


def shown(value: Any) -> str:
    """A value as a message may show it: redacted, shortened, quoted, and on one line (repr escapes
    control characters, line breaks and lone surrogates)."""
    try:
        text = redact(str(value))
    except ValueError:  # an integer of more digits than str() will write
        text = f"<a {type(value).__name__} too long to show>"
    return repr(text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "...")


def unprintable(text: str) -> bool:
    # Control characters, line and paragraph separators, invisible format characters, and lone
    # surrogates (what Python makes of bytes in the environment that are not UTF-8).
    return not text.isprintable()

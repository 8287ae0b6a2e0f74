"""The forms HTTP gives what a request sends: a path segment that is no valid encoding of text,
and an Authorization value that carries exactly the token. The Judge grades answers by them and
the generators keep their near misses apart by them, so both read them from here."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# 'scheme token' (RFC 9110 §11.4: a token68 or an auth-param list after one or more spaces)
CREDENTIALS = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(.*)$")


def malformed(segment: str) -> bool:
    """True when a path segment is no valid encoding of text: a '%' not followed by two hex
    digits, or percent-decoded bytes that are not UTF-8 (overlong forms and surrogates included)."""
    if _ESCAPE.search(segment):
        return True
    try:
        unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def same_credential(value: str | None, token: str) -> bool:
    """True when an Authorization value carries exactly `token` as a Bearer credential, up to
    the leniency HTTP allows: scheme case, surrounding whitespace, spaces after the scheme."""
    if value is None:
        return False
    found = CREDENTIALS.match(str(value).strip(" \t"))
    return bool(found) and found.group(1).lower() == "bearer" and found.group(2) == token

"""JSON as RFC 8259 reads it, for every body the suite judges.

Python's `json` is lenient: it accepts NaN and Infinity, keeps the last of duplicate
member names, decodes lone surrogate escapes, and (given bytes) guesses UTF-16 or
UTF-32. Other clients of the API are not Python, so a body is JSON here only if
every reader agrees on it: UTF-8 without a byte order mark, no NaN or Infinity,
unique member names, no lone surrogates, one value and nothing after it.
Python's parser still does the parsing; this module refuses what it should not accept.
"""

from __future__ import annotations

import json
import re
from typing import Any

BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")


class NotJSON(ValueError):
    """The body is not a JSON text under RFC 8259; str() says which rule it breaks."""


def _no_constants(name: str) -> Any:
    raise NotJSON(f"{name} is not a JSON value (RFC 8259 §6: numbers are finite)")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise NotJSON(
                f"duplicate member name {key!r} (RFC 8259 §4): parsers disagree on which value wins "
                f"({seen[key]!r} or {value!r})"
            )
        seen[key] = value
    return seen


def _lone_surrogate(value: Any) -> str | None:
    # Escaped pairs decode to one character; what is left of U+D800-U+DFFF came from a lone escape.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def charset_problem(content_type: str) -> str | None:
    """A charset parameter other than UTF-8 on a JSON media type (RFC 8259 §8.1 and §11)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                return f"Content-Type declares charset={charset}: JSON text must be UTF-8 (RFC 8259 §8.1)"
    return None


def loads(content: bytes) -> Any:
    """Parse a body as RFC 8259 JSON, or raise NotJSON naming the rule it breaks."""
    if content.startswith(BOM):
        raise NotJSON("body starts with a byte order mark (RFC 8259 §8.1: must not be added)")
    try:
        text = content.decode("utf-8")  # strict: no replacement, no guessing of UTF-16/32
    except UnicodeDecodeError as exc:
        raise NotJSON(f"body is not UTF-8 (RFC 8259 §8.1): byte {exc.object[exc.start]:#04x} at {exc.start}") from None
    try:
        value = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_unique_members)
    except NotJSON:
        raise
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            raise NotJSON(f"data after the JSON value at character {exc.pos} (RFC 8259 §2: one value)") from None
        raise NotJSON(f"body is not JSON: {exc}") from None
    except RecursionError:
        raise NotJSON("body nests too deeply to parse") from None
    found = _lone_surrogate(value)
    if found is not None:
        raise NotJSON(f"lone surrogate escape in the string {found.encode('utf-8', 'backslashreplace').decode()!r}")
    return value

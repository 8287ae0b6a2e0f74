"""Strict JSON (RFC 8259): texts Python's json accepts and other readers refuse (the faults), and
unusual texts every reader must accept (written here, switched in by the variants)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .switch import fault, on_status, rewrite_json

# --- not JSON, though Python reads it ---------------------------------------------------------


def _first_member(body: Any, member: str) -> str:
    """The JSON text of an object body with one raw member written first."""
    text = json.dumps(body)
    if not isinstance(body, dict):
        text = json.dumps({"value": body})
    return "{" + member + (", " + text[1:] if text != "{}" else "}")


def member_first(member: str, encoding: str = "utf-8") -> Callable[[Any], bytes]:
    def write(body: Any) -> bytes:
        return _first_member(body, member).encode(encoding)

    return write


def duplicate_first_name(body: Any) -> bytes:
    # The first member again, written first with another value: a last-wins parser (Python)
    # sees the real body, a first-wins parser sees the other value.
    if not isinstance(body, dict) or not body:
        body = {"value": body}
    key, value = next(iter(body.items()))
    other = value + "-stale" if isinstance(value, str) else "stale"
    return _first_member(body, f"{json.dumps(key)}: {json.dumps(other)}").encode()


def with_bom(body: Any) -> bytes:
    return b"\xef\xbb\xbf" + json.dumps(body).encode()


def in_utf16(body: Any) -> bytes:
    return json.dumps(body).encode("utf-16")


def twice(body: Any) -> bytes:
    return (json.dumps(body) + "\n" + json.dumps(body)).encode()


@dataclass(frozen=True)
class NotJson:
    what: str
    write: Callable[[Any], bytes]
    content_type: str = "application/json"


NOT_JSON: dict[str, NotJson] = {
    "nan": NotJson("a NaN member", member_first('"ratio": NaN')),
    "infinity": NotJson("an Infinity member", member_first('"ratio": Infinity')),
    "negative-infinity": NotJson("a -Infinity member", member_first('"ratio": -Infinity')),
    "duplicate-name": NotJson("a member name twice", duplicate_first_name),
    "bom": NotJson("a UTF-8 byte order mark", with_bom),
    "latin1-bytes": NotJson("bytes that are not UTF-8 (Latin-1)", member_first('"region": "Z\u00fcrich"', "latin-1")),
    "utf16-charset": NotJson("UTF-16 with charset=utf-16", in_utf16, "application/json; charset=utf-16"),
    "lone-surrogate": NotJson("a lone surrogate escape", member_first('"note": "\\ud800"')),
    "trailing-data": NotJson("a second JSON value after the first", twice),
}

STRICT_JSON_FAULTS = [
    fault(
        f"json-{name}-{status}",
        "strict-json",
        f"{status} body with {text.what}",
        on_status(status, rewrite_json(text.write, text.content_type)),
    )
    for name, text in NOT_JSON.items()
    for status in (200, 404)
]

# --- legal JSON that few servers write ---------------------------------------------------------


def _escaped_string(text: str) -> str:
    # Every UTF-16 code unit as \uXXXX: non-BMP characters become escaped surrogate pairs.
    units = text.encode("utf-16-be")
    return '"' + "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)) + '"'


def escaped_json(value: Any) -> str:
    if isinstance(value, str):
        return _escaped_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_escaped_string(k)}:{escaped_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(escaped_json, value)) + "]"
    return json.dumps(value)


def with_label(body: Any) -> Any:
    # A non-BMP character and a non-ASCII one: an escaped surrogate pair is legal, a lone one is not.
    return {**body, "label": "\U0001f9ed Z\u00fcrich"} if isinstance(body, dict) else body


def escaped_with_label(body: Any) -> str:
    return escaped_json(with_label(body))


def exponent_json(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return json.dumps(value)
    if isinstance(value, int):
        return f"{value * 10}E-1"  # 2 as 20E-1: an integer value written as an exponent
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{exponent_json(v)}" for k, v in value.items()) + "}"
    return "[" + ",".join(map(exponent_json, value)) + "]"


def spaced_json(value: Any) -> str:
    """Space, tab, CR and LF around every token."""
    return " \t\r\n" + json.dumps(value, indent="\t", separators=(" ,\r\n", " :\t ")) + "\r\n\t "

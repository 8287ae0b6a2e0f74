"""Recorded exchanges, checked for the structure their format requires and made one shape.

A HAR 1.2 entry must be an object with `request` (an object with `method` and `url` strings and a
`headers` array) and `response` (an object with an integer `status`, a `headers` array and a
`content` object); each header an object with `name` and `value` strings; `content.text`, if
there, a string, in base64 if `content.encoding` says so. Other members of HAR 1.2 (timings,
cache, cookies...) are not needed to judge an exchange and are not checked. A JSON Lines record
is an object with `request` and `response` members: the suite's failures.jsonl (headers an
object, the body a string, `response` null for a request that got no answer) or a HAR entry.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .stream import Malformed, kind

NO_RESPONSE = 0  # HAR writers' status for a request that got no response (blocked, aborted)


@dataclass(frozen=True)
class Recorded:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int | None  # None: the request got no response, nothing to judge
    response_headers: list[tuple[str, str]]
    body: bytes
    credentials: tuple[str, ...] = ()  # values that are credentials by where they sit (cookies, params)


_EXPECTED = {dict: "an object", list: "an array", str: "a string", int: "an integer"}
_ABSENT = object()


def _member(holder: dict[str, Any], name: str, expected: type, path: str) -> Any:
    value = holder.get(name, _ABSENT)
    if type(value) is expected:  # exactly: a bool is no integer
        return value
    if value is _ABSENT:
        raise Malformed(f"{path} is missing")
    raise Malformed(f"{path} is {kind(value)}, not {_EXPECTED[expected]}")


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{path} is {kind(value)}, not an object")
    return value


def _url(url: str, path: str) -> str:
    try:
        urlsplit(url)  # the Judge splits it too: a URL it cannot split is no recorded request
    except ValueError:  # its message may quote the URL, and the URL a password
        raise Malformed(f"{path} is not a URL that can be split (e.g. a bracket that opens no IPv6 address)") from None
    return url


def _status(holder: dict[str, Any], path: str) -> int | None:
    status = _member(holder, "status", int, path)
    if status == NO_RESPONSE:
        return None
    if not 100 <= status <= 999:
        raise Malformed(f"{path} {status} is not an HTTP status (100-999, or 0: no response)")
    return status


def _har_headers(value: Any, path: str) -> list[tuple[str, str]]:
    if type(value) is not list:
        raise Malformed(f"{path} is {kind(value)}, not an array")
    pairs = []
    for index, header in enumerate(value):
        if type(header) is dict and type(header.get("name")) is str and type(header.get("value")) is str:
            pairs.append((header["name"], header["value"]))
            continue
        header = _object(header, f"{path}[{index}]")
        _member(header, "name", str, f"{path}[{index}].name")
        _member(header, "value", str, f"{path}[{index}].value")
    return pairs


def _headers(value: Any, path: str) -> list[tuple[str, str]]:
    """HAR's [{"name", "value"}] or failures.jsonl's {"name": "value"}."""
    if isinstance(value, dict):
        for index, item in enumerate(value.values()):
            if not isinstance(item, str):  # by position: a name may be anything, a token too
                raise Malformed(f"{path}: the value of member {index} is {kind(item)}, not a string")
        return list(value.items())
    return _har_headers(value, path)


def _content(content: dict[str, Any], path: str) -> bytes:
    if "text" not in content:
        return b""
    text = _member(content, "text", str, f"{path}.text")
    encoding = content.get("encoding")
    if encoding is None or encoding == "":
        return text.encode("utf-8", "surrogatepass")
    if encoding != "base64":
        what = "a string other than base64" if isinstance(encoding, str) else kind(encoding)
        raise Malformed(f"{path}.encoding is {what}: the text cannot be decoded (HAR 1.2 knows base64)")
    try:
        return binascii.a2b_base64("".join(text.split()), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise Malformed(f"{path}.text is not base64, as {path}.encoding says ({exc})") from None


def _named_values(value: Any, credential: Any) -> list[str]:
    """Values of HAR's [{"name", "value"}] lists (cookies, queryString, postData.params) whose
    name `credential(name)` accepts; lists of any other shape are not read (HAR 1.2 fields that
    judging does not need are not checked)."""
    if not isinstance(value, list):
        return []
    return [
        item["value"]
        for item in value
        if isinstance(item, dict) and isinstance(item.get("value"), str) and credential(str(item.get("name", "")))
    ]


def _credentials(request: dict[str, Any], response: dict[str, Any], credential: Any) -> tuple[str, ...]:
    post = request.get("postData")
    params = post.get("params") if isinstance(post, dict) else None
    every = lambda name: True  # noqa: E731 - a cookie's value is a credential whatever its name
    return (
        *_named_values(request.get("cookies"), every),
        *_named_values(response.get("cookies"), every),
        *_named_values(request.get("queryString"), credential),
        *_named_values(params, credential),
    )


def har_entry(entry: Any, credential: Any) -> Recorded:
    """A HAR 1.2 entry as a Recorded exchange, or Malformed naming the member that is wrong.

    `credential(name)`: whether a parameter of that name holds a credential."""
    entry = _object(entry, "the entry")
    request = _member(entry, "request", dict, "request")
    response = _member(entry, "response", dict, "response")
    method = _member(request, "method", str, "request.method")
    url = _url(_member(request, "url", str, "request.url"), "request.url")
    request_headers = _har_headers(_member(request, "headers", list, "request.headers"), "request.headers")
    status = _status(response, "response.status")
    response_headers = _har_headers(_member(response, "headers", list, "response.headers"), "response.headers")
    body = _content(_member(response, "content", dict, "response.content"), "response.content")
    credentials = _credentials(request, response, credential)
    return Recorded(method, url, request_headers, status, response_headers, body, credentials)


def is_record(value: Any) -> bool:
    """Whether a JSON Lines value is a recorded exchange (else it is a body)."""
    return isinstance(value, dict) and "request" in value and "response" in value


def jsonl_record(record: dict[str, Any], credential: Any) -> Recorded:
    """A JSON Lines record (failures.jsonl's shape, or a HAR entry's) as a Recorded exchange."""
    request = _member(record, "request", dict, "request")
    method = _member(request, "method", str, "request.method")
    url = _url(_member(request, "url", str, "request.url"), "request.url")
    request_headers = _headers(request.get("headers", []), "request.headers")
    response = record["response"]
    if response is None:  # failures.jsonl: the request got no answer
        return Recorded(method, url, request_headers, None, [], b"")
    response = _object(response, "response")
    status = _status(response, "response.status")
    response_headers = _headers(response.get("headers", []), "response.headers")
    if "content" in response:
        body = _content(_member(response, "content", dict, "response.content"), "response.content")
    elif "body" in response:
        body = _member(response, "body", str, "response.body").encode("utf-8", "surrogatepass")
    else:
        body = b""
    credentials = _credentials(request, response, credential)
    return Recorded(method, url, request_headers, status, response_headers, body, credentials)

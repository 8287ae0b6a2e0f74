"""Assertions on responses whose failure text is a reproduction.

Every failure names the check, the method, URL and status, each bad field by JSON
pointer with the rule it broke, and gives a curl line with the token masked.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import requests

from .secret import MASK, mask
from .spec import GET_SESSION, Contract

BODY_EXCERPT = 1000


class ContractViolation(AssertionError):
    """A response broke the contract; str() is the full, token-free report."""


def curl_line(response: requests.Response) -> str:
    request = response.request
    parts = ["curl", "-i", "-X", request.method or "GET", request.url or ""]
    for name, value in request.headers.items():
        if name.lower() in ("user-agent", "accept-encoding", "accept", "connection", "content-length"):
            continue
        if name.lower() == "authorization":
            scheme, _, credentials = str(value).partition(" ")
            value = f"{scheme} {MASK}" if credentials else MASK
        parts += ["-H", f"{name}: {value}"]
    return shlex.join(parts)


def describe(response: requests.Response) -> str:
    request = response.request
    body = response.content[:BODY_EXCERPT].decode("utf-8", "replace")
    if len(response.content) > BODY_EXCERPT:
        body += f"... ({len(response.content)} bytes)"
    content_type = response.headers.get("Content-Type", "(none)")
    return "\n".join(
        (
            f"  request:  {request.method} {request.url}",
            f"  response: {response.status_code} {response.reason}; Content-Type: {content_type}",
            f"  body:     {body or '(empty)'}",
            f"  reproduce: {curl_line(response)}",
        )
    )


def fail(check: str, response: requests.Response, problems: list[str]) -> None:
    __tracebackhide__ = True
    token = _sent_token(response)
    text = f"[{check}] {response.request.method} {response.request.url} -> {response.status_code}\n"
    text += "".join(f"  - {p}\n" for p in problems) + describe(response)
    raise ContractViolation(mask(text, token))


def _sent_token(response: requests.Response) -> str | None:
    value = str(response.request.headers.get("Authorization", ""))
    return value.partition(" ")[2] or value or None


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def json_body(check: str, response: requests.Response) -> Any:
    """The decoded body, after checking the content type says JSON and the body is JSON."""
    __tracebackhide__ = True
    if media_type(response) != "application/json":
        fail(check, response, [f"Content-Type must be application/json, got {response.headers.get('Content-Type')!r}"])
    try:
        return json.loads(response.content)
    except ValueError as exc:
        fail(check, response, [f"body is not JSON: {exc}"])


def expect_status(check: str, response: requests.Response, expected: int) -> None:
    __tracebackhide__ = True
    if response.status_code != expected:
        fail(check, response, [f"status must be {expected}, got {response.status_code}"])


def expect_valid(check: str, response: requests.Response, contract: Contract, body: Any) -> None:
    __tracebackhide__ = True
    validator = contract.validator(*GET_SESSION, response.status_code)
    violations = validator.violations(body)
    if violations:
        fail(check, response, [f"schema: {v}" for v in violations])


def expect_session(check: str, response: requests.Response, contract: Contract, session_id: str) -> dict:
    """200, JSON, a valid SessionInfo, and the session asked for."""
    __tracebackhide__ = True
    expect_status(check, response, 200)
    body = json_body(check, response)
    expect_valid(check, response, contract, body)
    if body["id"] != session_id:
        fail(check, response, [f"/id: must equal the requested id {session_id!r}, got {body['id']!r}"])
    return body


def expect_not_found(check: str, response: requests.Response, contract: Contract) -> Any:
    """404 with a JSON content type and a JSON body (any JSON value is allowed)."""
    __tracebackhide__ = True
    expect_status(check, response, 404)
    body = json_body(check, response)
    expect_valid(check, response, contract, body)
    return body

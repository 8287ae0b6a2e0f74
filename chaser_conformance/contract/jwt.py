"""The format of a JSON Web Token (RFC 7519) in its JWS compact serialisation (RFC 7515 §3.1):
read one, and sign one with HS256. The suite forges tokens with it (generators/jwt.py) and the
reference server's JWT switches verify them (server/catalogue/jwt_tokens.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """(header, claims, signature) of a JWS compact serialisation with a JSON header naming `alg`
    and a JSON object for claims; None for any other token (an opaque one)."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return header, claims, parts[2]


def _json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def encoded(header: dict[str, Any], claims: dict[str, Any], signature: str) -> str:
    """A JWT of `header` and `claims` with `signature` as it is (any, or none)."""
    return f"{_json(header)}.{_json(claims)}.{signature}"


def signed(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """An HS256 JWT of `claims` under `key` (RFC 7515 §3.1)."""
    head = f"{_json({**header, 'alg': 'HS256'})}.{_json(claims)}"
    return head + "." + b64url(hmac.new(key, head.encode("ascii"), hashlib.sha256).digest())

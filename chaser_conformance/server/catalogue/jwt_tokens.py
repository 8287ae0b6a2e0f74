"""A server that issues JWTs (RFC 7519) as its tokens, and verifies them: properly (the variant), or
with a classic mistake (the faults). The first account's token is an HS256 JWT under the server's
key; the suite's forgeries (generators/jwt.py) must all be refused.

- checked properly: HS256 only, the signature under the server's key, `exp` in the future, `aud`
  this API, `sub` an account;
- `alg: none` accepted (an unsecured JWT, RFC 7518 §3.6);
- the signature never checked (the claims decoded, as a "decode" call without verification does);
- `kid` read as a file path (the key file /dev/null: an empty key).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from ...contract.jwt import b64url, parse, signed
from ...settings.secret import bearer_token
from ..http import json_response, session_id
from .switch import Apply, Server, fault, on_status, variant

SERVER_KEY = b"chaser-reference-jwt-key"
AUDIENCE = "chaser-core-api"
CLAIMS = {"sub": "primary", "aud": AUDIENCE, "exp": 4102444800, "iss": "chaser-reference"}  # exp: 2100
PRIMARY_JWT = signed({"typ": "JWT"}, CLAIMS, SERVER_KEY)


def _signature_valid(token: str, key: bytes) -> bool:
    head, _, signature = token.rpartition(".")
    mac = hmac.new(key, head.encode("ascii", "replace"), hashlib.sha256).digest()
    return hmac.compare_digest(b64url(mac), signature)


def verified_properly(token: str) -> dict[str, Any] | None:
    parsed = parse(token)
    if parsed is None:
        return None
    header, claims, _ = parsed
    if header.get("alg") != "HS256" or not _signature_valid(token, SERVER_KEY):
        return None
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time() or claims.get("aud") != AUDIENCE:
        return None
    return claims


def alg_none_accepted(token: str) -> dict[str, Any] | None:
    parsed = parse(token)
    if parsed is not None and str(parsed[0].get("alg")).lower() == "none":
        return parsed[1]
    return verified_properly(token)


def signature_unchecked(token: str) -> dict[str, Any] | None:
    parsed = parse(token)
    return parsed[1] if parsed is not None else None


def kid_as_a_path(token: str) -> dict[str, Any] | None:
    parsed = parse(token)
    if parsed is None:
        return None
    kid = str(parsed[0].get("kid", ""))
    key = b"" if kid.endswith("/dev/null") else SERVER_KEY
    return parsed[1] if parsed[0].get("alg") == "HS256" and _signature_valid(token, key) else None


def reads_with(verify: Any) -> Apply:
    """A 401 becomes the answer for the account the token's `sub` names, when `verify` takes it."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        claims = verify(bearer_token(request.headers.get("Authorization")) or "")
        account = server.store.accounts.get(str(claims.get("sub"))) if claims else None
        if account is None:
            return response
        found = server.store.find(account, session_id(request))
        return json_response(200, found) if found is not None else json_response(404, {"error": "not_found"})

    return on_status(401, apply)


def _jwt(name: str, description: str, verify: Any, kind: Any = fault) -> Any:
    return kind(name, "security", description, reads_with(verify), tokens={"primary": PRIMARY_JWT})


JWT_FAULTS = [
    _jwt("jwt-alg-none", "a JWT whose header says alg none is taken without a signature", alg_none_accepted),
    _jwt(
        "jwt-signature-unchecked",
        "a JWT's claims are decoded and trusted without verifying its signature",
        signature_unchecked,
    ),
    _jwt(
        "jwt-kid-as-a-path", "a JWT's kid is read as the path of its key file (/dev/null: an empty key)", kid_as_a_path
    ),
]
JWT_VARIANTS = [
    _jwt(
        "jwt-checked-properly",
        "JWTs as tokens, verified: HS256 only, the server's key, exp, aud",
        verified_properly,
        variant,
    ),
]

"""Forgeries of a JSON Web Token (RFC 7519), for a run whose token is one.

A server that verifies a JWT may still take one it should refuse: `alg: none` (RFC 7518 §3.6, an
unsecured JWT), a signature it never checks, claims changed under the original signature, a key
chosen by the token itself (a `kid` read as a file path, a `jku` URL). Each forgery keeps the
token's claims unless its point is to change them; none holds a valid signature of the issuer's,
so none may read a session. Forged here with the standard library: JWT libraries refuse to make most of them, by design.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..contract.jwt import encoded, parse, signed

OTHER_KEY = b"chaser-conformance-not-the-issuers-key"


def describe(token: str) -> str:
    """The token's format as the run's header says it."""
    parsed = parse(token)
    if parsed is None:
        return "opaque (its string near misses are tried)"
    alg = str(parsed[0].get("alg"))[:20]
    return f"a JWT (alg {alg}): its forgeries are tried too (alg none, signatures, claims, kid, jku)"


def _altered(signature: str) -> str | None:
    if not signature:
        return None
    # The first character: all six of its bits are signature (the last one's may be padding bits).
    return ("B" if signature[0] == "A" else "A") + signature[1:]


Forge = Callable[[dict[str, Any], dict[str, Any], str], "str | None"]

FORGERIES: dict[str, Forge] = {
    "JWT alg none, no signature": lambda h, c, s: encoded({**h, "alg": "none"}, c, ""),
    "JWT alg none, signature kept": lambda h, c, s: encoded({**h, "alg": "none"}, c, s),
    "JWT alg None capitalised": lambda h, c, s: encoded({**h, "alg": "None"}, c, ""),
    "JWT signature removed": lambda h, c, s: encoded(h, c, ""),
    "JWT signature altered": lambda h, c, s: None if _altered(s) is None else encoded(h, c, _altered(s)),  # type: ignore[arg-type]
    "JWT signed with another key": lambda h, c, s: signed(h, c, OTHER_KEY),
    "JWT subject changed": lambda h, c, s: encoded(h, {**c, "sub": "chaser-conformance-other-subject"}, s),
    "JWT expired": lambda h, c, s: encoded(h, {**c, "exp": 1}, s),
    "JWT audience changed": lambda h, c, s: encoded(h, {**c, "aud": "chaser-conformance-other-audience"}, s),
    "JWT scope widened": lambda h, c, s: encoded(h, {**c, "scope": "admin sessions:read:all"}, s),
    # A key id read as a file path: /dev/null is an empty key, and the forgery is signed with it.
    "JWT kid path to an empty key": lambda h, c, s: signed({**h, "kid": "../../../../dev/null"}, c, b""),
    "JWT jku elsewhere": lambda h, c, s: encoded({**h, "jku": "https://chaser-conformance.example/jwks.json"}, c, s),
}


def forgery(name: str) -> Callable[[str, random.Random], str | None]:
    """A transformation of a token into one forgery; None for a token that is no JWT, or when the
    forgery is the token itself (its claims say so already)."""

    def apply(token: str, rng: random.Random) -> str | None:
        parsed = parse(token)
        if parsed is None:
            return None
        forged = FORGERIES[name](*parsed)
        return None if forged is None or forged == token else forged

    return apply

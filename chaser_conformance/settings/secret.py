"""A string type for credentials whose repr never shows the value."""

from __future__ import annotations

import base64

MASK = "****"


class Secret(str):
    """The value is the real token (it goes into headers); every repr is masked.

    pytest's assertion rewriting, tracebacks with locals, dataclass reprs and
    Schemathesis' `repr(Case)` all go through `__repr__`, so the token is hidden at
    the source rather than filtered out of each report afterwards.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    @property
    def masked(self) -> str:
        return MASK


class Derived(Secret):
    """A credential the run derived from the token (a near miss, a forgery), masked as the token is.
    `how`: the arguments of `chaser-conformance credential` that derive it again from
    $CHASER_API_TOKEN, so that a curl line sends the same bytes without holding them."""

    how: tuple[str, ...]

    def __new__(cls, value: str, how: tuple[str, ...]) -> Derived:
        made = super().__new__(cls, value)
        made.how = tuple(how)
        return made

    def __repr__(self) -> str:
        return f"Derived({MASK!r})"


class Invented(Secret):
    """A credential the suite made up (a wrong token), which holds nothing of the token: the
    request lines mask it as any credential, but a curl line sends it as it is."""

    __slots__ = ()


def mask(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in `text` (for free text such as bodies)."""
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), MASK)
    return text


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1), or None.

    The scheme is case-insensitive (RFC 9110 §11.1) and surrounding white space is not part of a
    field value; anything else (another scheme, no token, a token with inner white space) is None.
    """
    if not header:
        return None
    scheme, _, token = header.strip(" \t").partition(" ")  # field values lose SP and HTAB only (§5.5)
    token = token.lstrip(" ")  # "Bearer" 1*SP b64token
    if scheme.lower() != "bearer" or not token or any(ch.isspace() or not ch.isprintable() for ch in token):
        return None
    return token


def credentials(header: str | None) -> list[str]:
    """The credential values an Authorization header carries: what follows the scheme, and each word
    of it, or the whole value when it has no scheme. Values under 8 characters are left out: they
    match unrelated text by chance, and no real credential is that short."""
    if not header:
        return []
    value = str(header).strip()
    _, _, rest = value.partition(" ")
    rest = rest.strip()
    found = [rest, *rest.split()] if rest else [value]
    return list(dict.fromkeys(c for c in found if len(c) >= 8))


def encoded_forms(*values: str | None) -> list[str]:
    """Each value and its base64 (a server that echoes an Authorization header may encode it)."""
    found = [str(v) for v in values if v]
    return found + [base64.b64encode(v.encode()).decode() for v in found]

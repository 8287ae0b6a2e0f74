"""Near misses of the credential: Authorization values derived from the real one, none valid.

"No credential other than the exact token reads anything." Loose comparisons (case-insensitive,
prefix, trimmed, decoded, first or last of a list) make some of these read a session. Legal
leniency is not a near miss and is never sent as one: the scheme name is case-insensitive
(RFC 9110 §11.1), a field value loses surrounding whitespace (§5.5), and one or more spaces
separate the scheme from the token (RFC 6750 §2.1: "Bearer" 1*SP b64token).
"""

from __future__ import annotations

import base64
import random
import re
from urllib.parse import quote

from .engine import Generator, Transformation

SCHEME = "Bearer"
_CREDENTIALS = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(.*)$")
# Header values requests can send: no CR, LF or NUL, no leading whitespace, Latin-1 only.
_SENDABLE = re.compile(r"^(?:[^\s\x00][^\r\n\x00]*)?$")


def same_credential(value: str | None, token: str) -> bool:
    """True when an Authorization value carries exactly `token` as a Bearer credential, up to
    the leniency HTTP allows: scheme case, surrounding whitespace, spaces after the scheme."""
    if value is None:
        return False
    found = _CREDENTIALS.match(str(value).strip(" \t"))
    return bool(found) and found.group(1).lower() == "bearer" and found.group(2) == token


def _token_of(value: str) -> tuple[str, str] | None:
    found = _CREDENTIALS.match(value)
    return (found.group(1), found.group(2)) if found else None


def on_token(f):
    """A transformation of the token inside a 'scheme token' value; the scheme is kept."""

    def apply(value: str, rng: random.Random) -> str | None:
        parts = _token_of(value)
        if parts is None or not parts[1]:
            return None
        changed = f(parts[1], rng)
        return None if changed is None else f"{parts[0]} {changed}"

    return apply


def on_scheme(f):
    def apply(value: str, rng: random.Random) -> str | None:
        parts = _token_of(value)
        return None if parts is None else f(parts[0], parts[1])

    return apply


def _insert(piece: str):
    def f(token: str, rng: random.Random) -> str | None:
        if len(token) < 2:
            return None
        i = rng.randint(1, len(token) - 1)
        return token[:i] + piece + token[i:]

    return f


def _one_case(token: str, rng: random.Random) -> str | None:
    letters = [i for i, ch in enumerate(token) if ch.isalpha()]
    if not letters:
        return None
    i = rng.choice(letters)
    return token[:i] + token[i].swapcase() + token[i + 1 :]


def _b64_alphabet(token: str, rng: random.Random) -> str | None:
    swapped = token.translate(str.maketrans("-_+/", "+/-_"))
    return swapped if swapped != token else None


def transformations() -> list[Transformation]:
    t = Transformation
    return [
        t("case", "token upper-cased", on_token(lambda k, r: k.upper())),
        t("case", "token lower-cased", on_token(lambda k, r: k.lower())),
        t("case", "token case swapped", on_token(lambda k, r: k.swapcase())),
        t("case", "one letter's case changed", on_token(_one_case)),
        t("truncation", "last character dropped", on_token(lambda k, r: k[:-1] if len(k) > 1 else None)),
        t("truncation", "first character dropped", on_token(lambda k, r: k[1:] if len(k) > 1 else None)),
        t("truncation", "prefix only", on_token(lambda k, r: k[: len(k) // 2] if len(k) > 3 else None)),
        t("extension", "character appended", on_token(lambda k, r: k + r.choice("xA0"))),
        t("extension", "character prepended", on_token(lambda k, r: r.choice("xA0") + k)),
        t("extension", "token doubled", on_token(lambda k, r: k + k)),
        t("whitespace", "space inside", on_token(_insert(" "))),
        t("whitespace", "tab inside", on_token(_insert("\t"))),
        t("whitespace", "no-break space after", on_token(lambda k, r: k + "\u00a0")),
        t("whitespace", "no-break space before", on_token(lambda k, r: "\u00a0" + k)),
        t("whitespace", "NUL-free vertical tab after", on_token(lambda k, r: k + "\x0b")),
        t("encoding", "token base64-encoded", on_token(lambda k, r: base64.b64encode(k.encode()).decode())),
        t(
            "encoding",
            "token percent-encoded",
            on_token(
                lambda k, r: quote(k, safe="") if quote(k, safe="") != k else "".join(f"%{b:02X}" for b in k.encode())
            ),
        ),
        t("encoding", "base64 alphabet swapped", on_token(_b64_alphabet)),
        t("encoding", "token quoted", on_token(lambda k, r: f'"{k}"')),
        t("empty", "scheme alone", lambda v, r: SCHEME),
        t("empty", "scheme and a space", lambda v, r: SCHEME + " "),
        t("empty", "empty value", lambda v, r: ""),
        t("duplicated", "a wrong credential first", lambda v, r: f"{SCHEME} chaser-wrong-{r.getrandbits(32):x}, {v}"),
        t("duplicated", "a wrong credential after", lambda v, r: f"{v}, {SCHEME} chaser-wrong-{r.getrandbits(32):x}"),
        t("duplicated", "scheme twice", on_scheme(lambda s, k: f"{s} {s} {k}")),
        t("scheme", "no scheme", on_scheme(lambda s, k: k)),
        t("scheme", "Basic scheme", on_scheme(lambda s, k: f"Basic {k}")),
        t("scheme", "Token scheme", on_scheme(lambda s, k: f"Token {k}")),
        t(
            "scheme",
            "Basic with the token as user",
            on_scheme(lambda s, k: "Basic " + base64.b64encode(f"{k}:".encode()).decode()),
        ),
        t("scheme", "scheme glued to the token", on_scheme(lambda s, k: f"{s}{k}")),
        t("scheme", "other scheme name", on_scheme(lambda s, k: f"{s}x {k}")),
    ]


def near_credentials(token: str, seed: int) -> Generator:  # token: pass a Secret (its repr is masked)
    """The generator of credentials that are not the token (origin: 'Bearer <token>')."""

    def accept(value: str) -> bool:
        if not _SENDABLE.match(value):
            return False
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return False
        return not same_credential(value, token)

    return Generator(transformations(), seed, accept, sensitive=True)

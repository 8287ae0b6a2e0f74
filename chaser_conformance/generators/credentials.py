"""Near misses of the credential: Authorization values derived from the real one, none valid.

"No credential other than the exact token reads anything." Loose comparisons (case-insensitive,
prefix, trimmed, decoded, first or last of a list) make some of these read a session. Legal
leniency is not a near miss and is never sent as one: the scheme name is case-insensitive
(RFC 9110 §11.1), a field value loses surrounding whitespace (§5.5), and one or more spaces
separate the scheme from the token (RFC 6750 §2.1: "Bearer" 1*SP b64token).

Each transformation says what its result proves (design.md, "Status policy"): `carries` the whole
token (more around it, white space, an encoding, a list, another scheme: a server that reads a
session with it is lenient, the caller held the token) or `loses` part of it (case folded, cut,
alphabet folded, empty, another token: a server that reads with it exposes the session).
"""

from __future__ import annotations

import base64
import binascii
import random
import re
from urllib.parse import quote, unquote

from ..contract.forms import CREDENTIALS, same_credential
from ..settings.secret import Derived
from .engine import Candidate, Generator, Transformation
from .jwt import FORGERIES, forgery

SCHEME = "Bearer"
# Header values that can be sent: no CR, LF or NUL, no leading whitespace (beyond Latin-1: as UTF-8).
_SENDABLE = re.compile(r"^(?:[^\s\x00][^\r\n\x00]*)?$")


def _token_of(value: str) -> tuple[str, str] | None:
    found = CREDENTIALS.match(value)
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


def _fullwidth(token: str, rng: random.Random) -> str | None:
    wide = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in token)
    return wide if wide != token else None


def _wrong(rng: random.Random) -> str:
    return f"chaser-wrong-{rng.getrandbits(32):x}"


def carries(family: str, name: str, apply) -> Transformation:
    """The result still holds the whole token: reading a session with it is leniency."""
    return Transformation(family, name, apply, lossy=False)


def loses(family: str, name: str, apply) -> Transformation:
    """The result lost part of the token (or all of it): reading a session with it is exposure."""
    return Transformation(family, name, apply, lossy=True)


def transformations() -> list[Transformation]:
    return [
        loses("case", "token upper-cased", on_token(lambda k, r: k.upper())),
        loses("case", "token lower-cased", on_token(lambda k, r: k.lower())),
        loses("case", "token case swapped", on_token(lambda k, r: k.swapcase())),
        loses("case", "one letter's case changed", on_token(_one_case)),
        loses("truncation", "last character dropped", on_token(lambda k, r: k[:-1] if len(k) > 1 else None)),
        loses("truncation", "first character dropped", on_token(lambda k, r: k[1:] if len(k) > 1 else None)),
        loses("truncation", "prefix only", on_token(lambda k, r: k[: len(k) // 2] if len(k) > 3 else None)),
        carries("extension", "character appended", on_token(lambda k, r: k + r.choice("xA0"))),
        carries("extension", "character prepended", on_token(lambda k, r: r.choice("xA0") + k)),
        carries("extension", "token doubled", on_token(lambda k, r: k + k)),
        carries("whitespace", "space inside", on_token(_insert(" "))),
        carries("whitespace", "tab inside", on_token(_insert("\t"))),
        carries("whitespace", "no-break space after", on_token(lambda k, r: k + "\u00a0")),
        carries("whitespace", "no-break space before", on_token(lambda k, r: "\u00a0" + k)),
        carries("whitespace", "NUL-free vertical tab after", on_token(lambda k, r: k + "\x0b")),
        carries("encoding", "token base64-encoded", on_token(lambda k, r: base64.b64encode(k.encode()).decode())),
        carries(
            "encoding",
            "token percent-encoded",
            on_token(
                lambda k, r: quote(k, safe="") if quote(k, safe="") != k else "".join(f"%{b:02X}" for b in k.encode())
            ),
        ),
        loses("encoding", "base64 alphabet swapped", on_token(_b64_alphabet)),  # '-' and '+' read as one
        carries("encoding", "token quoted", on_token(lambda k, r: f'"{k}"')),
        # A compatibility spelling (NFKC gives the token back), sent as UTF-8 bytes (client.request).
        carries("encoding", "token in fullwidth letters", on_token(_fullwidth)),
        loses("empty", "scheme alone", lambda v, r: SCHEME),
        loses("empty", "scheme and a space", lambda v, r: SCHEME + " "),
        loses("empty", "empty value", lambda v, r: ""),
        loses("replaced", "a random token", on_token(lambda k, r: _wrong(r))),
        carries("duplicated", "a wrong credential first", lambda v, r: f"{SCHEME} {_wrong(r)}, {v}"),
        carries("duplicated", "a wrong credential after", lambda v, r: f"{v}, {SCHEME} {_wrong(r)}"),
        carries("duplicated", "scheme twice", on_scheme(lambda s, k: f"{s} {s} {k}")),
        carries("scheme", "no scheme", on_scheme(lambda s, k: k)),
        carries("scheme", "Basic scheme", on_scheme(lambda s, k: f"Basic {k}")),
        carries("scheme", "Token scheme", on_scheme(lambda s, k: f"Token {k}")),
        carries(
            "scheme",
            "Basic with the token as user",
            on_scheme(lambda s, k: "Basic " + base64.b64encode(f"{k}:".encode()).decode()),
        ),
        carries("scheme", "scheme glued to the token", on_scheme(lambda s, k: f"{s}{k}")),
        carries("scheme", "other scheme name", on_scheme(lambda s, k: f"{s}x {k}")),
        loses("scheme", "Basic with a random token", lambda v, r: f"Basic {_wrong(r)}"),  # any other scheme reads
        # A structured token's forgeries (jwt.py): none applies to an opaque token.
        *(loses("structured", name, on_token(forgery(name))) for name in FORGERIES),
    ]


def _readings(value: str) -> list[str]:
    """The value, percent-decoded, and each of their words base64-decoded."""
    texts = list(dict.fromkeys([value, unquote(value)]))
    for text in list(texts):
        for word in re.split(r'[\s,"]+', text):
            try:
                texts.append(base64.b64decode(word, validate=True).decode("utf-8"))
            except (binascii.Error, ValueError):
                pass  # not base64, or not text
    return texts


def holds_the_token(origin: str, value: str) -> bool:
    """True when the whole token of `origin` ('scheme token') can be read out of `value`: as it is,
    percent- or base64-decoded, with the white space put into it taken out. Sound, not complete: a
    composition of steps that all carry the token carries it even where this cannot tell."""
    parts = _token_of(origin)
    if parts is None or len(parts[1]) < 8:
        return False  # so short a token is found in any text by chance: the steps' kinds decide
    token = parts[1]
    return any(token in re.sub(r"\s+", "", text) for text in _readings(value))


def near_credentials(token: str, seed: int) -> Generator:  # token: pass a Secret (its repr is masked)
    """The generator of credentials that are not the token (origin: 'Bearer <token>')."""

    def accept(value: str) -> bool:
        return bool(_SENDABLE.match(value)) and not same_credential(value, token)

    return Generator(transformations(), seed, accept, sensitive=True, intact=holds_the_token)


def derived(generator: Generator, candidate: Candidate) -> Derived:
    """The candidate's value, with how it was derived from the token: the arguments of
    `chaser-conformance credential` (the run's seed, then each step as name:draw)."""
    return Derived(candidate.value, (str(generator.seed), *(f"{name}:{draw}" for name, draw in candidate.steps)))


class NotDerivable(ValueError):
    pass


def derive_again(token: str, how: list[str]) -> str:
    """The credential that `how` (as `derived` wrote it) derives from the token."""
    if len(how) < 2 or not how[0].lstrip("-").isdigit():
        raise NotDerivable("give the run's seed, then one or more steps as NAME:DRAW")
    generator = near_credentials(token, int(how[0]))
    steps = []
    for step in how[1:]:
        name, _, draw = step.rpartition(":")
        if name not in generator.transformations or not draw.isdigit():
            raise NotDerivable(f"{step[:80]!r} is not a step NAME:DRAW of a known transformation")
        steps.append((name, int(draw)))
    candidate = generator.build(f"{SCHEME} {token}", tuple(steps))
    if candidate is None:
        raise NotDerivable("these steps derive no credential from this token (is it the run's?)")
    return candidate.value

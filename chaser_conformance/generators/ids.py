"""Near misses of a known session id: path segments that name no session, derived from the id.

Each is a transformation a backend that resolves ids loosely could undo (collations, case
folding, Unicode normalisation, trimming, number parsing, query-language patterns, a second
percent-decoding, path parameters and suffixes). A candidate is the path segment sent on the
wire, byte for byte (some mechanisms live only in the encoding), and it is a near miss only
when its one percent-decoding is not a known id: percent-encoding an unreserved character, for
instance, is the same URL (RFC 3986 §6.2.2.2), never a near miss.

The family "malformed" holds segments that are not a valid encoding of any text (an invalid
percent-escape, bytes that are not UTF-8, overlong forms): any 4xx answers them, never a 5xx.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote, unquote_to_bytes

from ..contract.forms import malformed
from .engine import Generator, Transformation

_DIGITS = re.compile(r"[0-9]+")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Characters a segment may carry raw on the wire (RFC 3986 pchar, '%' for escapes).
_RAW = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$")
HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "i": "\u0456"}
SEPARATORS = "-_.:"


def encoded(text: str) -> str:
    return quote(text, safe="")


def on_text(f: Callable[[str, random.Random], str | None]) -> Callable[[str, random.Random], str | None]:
    """A transformation of the id's text, on a segment: decoded once, changed, encoded again."""

    def apply(segment: str, rng: random.Random) -> str | None:
        changed = f(unquote(segment, errors="surrogateescape"), rng)
        return None if changed is None else quote(changed, safe="", errors="surrogateescape")

    return apply


def _at(text: str, rng: random.Random, where: Callable[[str], bool] = lambda ch: True) -> int | None:
    places = [i for i, ch in enumerate(text) if where(ch)]
    return rng.choice(places) if places else None


def _replace_one(where: Callable[[str], bool], by: Callable[[str], str]):
    def f(text: str, rng: random.Random) -> str | None:
        i = _at(text, rng, where)
        return None if i is None else text[:i] + by(text[i]) + text[i + 1 :]

    return f


def _insert(piece: str, anywhere: bool = True):
    def f(text: str, rng: random.Random) -> str | None:
        i = rng.randint(1, max(1, len(text) - 1)) if anywhere else len(text)
        return text[:i] + piece + text[i:]

    return f


def _each_char(mapping: Callable[[str], str]):
    return lambda text, rng: "".join(mapping(ch) for ch in text)


def _fullwidth(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


def _math_bold(ch: str) -> str:
    if "A" <= ch <= "Z":
        return chr(0x1D400 + ord(ch) - ord("A"))
    if "a" <= ch <= "z":
        return chr(0x1D41A + ord(ch) - ord("a"))
    if "0" <= ch <= "9":
        return chr(0x1D7CE + ord(ch) - ord("0"))
    return ch


def _case_folding_lookalike(ch: str) -> str:
    # Letters whose case mapping lands on ASCII: KELVIN SIGN, LONG S, dotted and dotless i.
    return {"k": "\u212a", "K": "\u212a", "s": "\u017f", "S": "\u017f", "i": "\u0130", "I": "\u0131"}[ch]


def _digit_run(f: Callable[[str], str | None]):
    def g(text: str, rng: random.Random) -> str | None:
        runs = list(_DIGITS.finditer(text))
        if not runs:
            return None
        run = rng.choice(runs)
        changed = f(run.group())
        return None if changed is None else text[: run.start()] + changed + text[run.end() :]

    return g


def _uuid(f: Callable[[str], str]):
    return lambda text, rng: f(text) if _UUID.match(text) else None


def _double_encode_all(segment: str, rng: random.Random) -> str:
    once = "".join(f"%{b:02X}" for b in unquote_to_bytes(segment))
    return once.replace("%", "%25")


def _double_encode_one(segment: str, rng: random.Random) -> str | None:
    text = unquote(segment)
    i = _at(text, rng, str.isalnum)
    if i is None:
        return None
    return encoded(text[:i]) + f"%25{ord(text[i]):02X}" + encoded(text[i + 1 :])


def _overlong(segment: str, rng: random.Random) -> str | None:
    # A two-byte (overlong, invalid) UTF-8 form of one ASCII character: a lenient decoder reads the id.
    text = unquote(segment)
    i = _at(text, rng, lambda ch: ord(ch) < 0x80)
    if i is None:
        return None
    code = ord(text[i])
    return encoded(text[:i]) + f"%{0xC0 | code >> 6:02X}%{0x80 | code & 0x3F:02X}" + encoded(text[i + 1 :])


def _iis_unicode(segment: str, rng: random.Random) -> str | None:
    text = unquote(segment)
    i = _at(text, rng, str.isalnum)
    return None if i is None else encoded(text[:i]) + f"%u{ord(text[i]):04X}" + encoded(text[i + 1 :])


def _t(family: str, name: str, apply) -> Transformation:
    return Transformation(family, name, apply)


def _text(family: str, name: str, f) -> Transformation:
    return Transformation(family, name, on_text(f))


def _numbers() -> list[Transformation]:
    def int_or_none(run: str, f: Callable[[int], str]) -> str | None:
        return f(int(run))

    return [
        _text("numbers", "leading zero added", _digit_run(lambda r: "0" + r)),
        _text("numbers", "leading zeros dropped", _digit_run(lambda r: r.lstrip("0") or "0" if r[0] == "0" else None)),
        _text("numbers", "decimal point", _digit_run(lambda r: r + ".0")),
        _text("numbers", "exponent", _digit_run(lambda r: r + "e0")),
        _text("numbers", "plus sign", _digit_run(lambda r: "+" + r)),
        _text("numbers", "hexadecimal", _digit_run(lambda r: int_or_none(r, hex))),
        _text("numbers", "digit group separator", _digit_run(lambda r: r[:-1] + "_" + r[-1] if len(r) > 1 else None)),
        _text("numbers", "Arabic-Indic digits", _digit_run(lambda r: "".join(chr(0x660 + int(d)) for d in r))),
        _text("numbers", "fullwidth digits", _digit_run(lambda r: "".join(chr(0xFF10 + int(d)) for d in r))),
        _text("numbers", "UUID without hyphens", _uuid(lambda u: u.replace("-", ""))),
        _text("numbers", "UUID in braces", _uuid(lambda u: "{" + u + "}")),
        _text("numbers", "UUID as URN", _uuid(lambda u: "urn:uuid:" + u)),
    ]


def transformations() -> list[Transformation]:
    forms = [
        _text("unicode", form, lambda t, r, form=form: unicodedata.normalize(form, t))
        for form in ("NFC", "NFD", "NFKC", "NFKD")
    ]
    return [
        *forms,
        _text("unicode", "upper case", lambda t, r: t.upper()),
        _text("unicode", "lower case", lambda t, r: t.lower()),
        _text("unicode", "case swapped", lambda t, r: t.swapcase()),
        _text("unicode", "case folded", lambda t, r: t.casefold()),
        _text("unicode", "one letter's case changed", _replace_one(str.isalpha, str.swapcase)),
        _text("unicode", "case-mapping look-alike", _replace_one(lambda c: c in "kKsSiI", _case_folding_lookalike)),
        _text("unicode", "zero-width space", _insert("\u200b")),
        _text("unicode", "soft hyphen", _insert("\u00ad")),
        _text("unicode", "byte order mark first", lambda t, r: "\ufeff" + t),
        _text("unicode", "word joiner last", lambda t, r: t + "\u2060"),
        _text("unicode", "combining mark", _replace_one(str.isalpha, lambda c: c + "\u0301")),
        _text("unicode", "Cyrillic look-alike", _replace_one(lambda c: c in HOMOGLYPHS, HOMOGLYPHS.__getitem__)),
        _text("unicode", "fullwidth forms", _each_char(_fullwidth)),
        _text("unicode", "one fullwidth character", _replace_one(lambda c: "!" <= c <= "~", _fullwidth)),
        _text("unicode", "mathematical bold", _each_char(_math_bold)),
        _text("structure", "last character dropped", lambda t, r: t[:-1] if len(t) > 1 else None),
        _text("structure", "first character dropped", lambda t, r: t[1:] if len(t) > 1 else None),
        _text("structure", "prefix only", lambda t, r: t[: max(1, len(t) // 2)] if len(t) > 2 else None),
        _text("structure", "character appended", lambda t, r: t + r.choice("x0_")),
        _text("structure", "character prepended", lambda t, r: r.choice("x0_") + t),
        _text("structure", "character inserted", lambda t, r: _insert(r.choice("a0"))(t, r)),
        _text(
            "structure",
            "character deleted",
            lambda t, r: (lambda i: t[:i] + t[i + 1 :])(r.randrange(len(t))) if t else None,
        ),
        _text("structure", "characters transposed", _transpose),
        _text(
            "structure",
            "character doubled",
            lambda t, r: (lambda i: t[: i + 1] + t[i:])(r.randrange(len(t))) if t else None,
        ),
        _text(
            "structure",
            "separator changed",
            _replace_one(lambda c: c in SEPARATORS, lambda c: "_" if c != "_" else "-"),
        ),
        _text("structure", "separators removed", lambda t, r: "".join(c for c in t if c not in SEPARATORS)),
        _text("structure", "separator inserted", lambda t, r: _insert(r.choice("-_"))(t, r)),
        _text("padding", "trailing space", lambda t, r: t + " "),
        _text("padding", "leading space", lambda t, r: " " + t),
        _text("padding", "trailing tab", lambda t, r: t + "\t"),
        _text("padding", "trailing no-break space", lambda t, r: t + "\u00a0"),
        _text("padding", "trailing newline", lambda t, r: t + "\n"),
        _text("padding", "trailing carriage return", lambda t, r: t + "\r"),
        _text("padding", "NUL and more", lambda t, r: t + "\x00" + r.choice("x0")),
        _text("padding", "trailing NUL", lambda t, r: t + "\x00"),
        *_numbers(),
        _text("query", "SQL comment", lambda t, r: t + "'--"),
        _text("query", "SQL tautology", lambda t, r: t + "' OR '1'='1"),
        _text("query", "SQL tautology alone", lambda t, r: "' OR ''='"),
        _text("query", "LIKE % for a character", _replace_one(str.isalnum, lambda c: "%")),
        _text("query", "LIKE _ for a character", _replace_one(str.isalnum, lambda c: "_")),
        _text("query", "LIKE % after a prefix", lambda t, r: t[: max(1, len(t) // 2)] + "%"),
        _text("query", "glob * for a character", _replace_one(str.isalnum, lambda c: "*")),
        _text("query", "glob ? for a character", _replace_one(str.isalnum, lambda c: "?")),
        _text("query", "character class", _replace_one(str.isalnum, lambda c: f"[{c}]")),
        _text("query", "regex . for a character", _replace_one(str.isalnum, lambda c: ".")),
        _text("query", "regex .* after a prefix", lambda t, r: t[: max(1, len(t) // 2)] + ".*"),
        _text("query", "regex alternation", lambda t, r: t + "|x"),
        _text("query", "NoSQL $ne", lambda t, r: '{"$ne":null}'),
        _text("query", "NoSQL $regex", lambda t, r: '{"$regex":"^' + t[: max(1, len(t) // 2)] + '"}'),
        _t("path", "format suffix .json", lambda s, r: s + ".json"),
        _t("path", "path parameter", lambda s, r: s + ";v=1"),
        _t(
            "path",
            "path parameter inside",
            lambda s, r: s[: len(s) // 2] + ";x" + s[len(s) // 2 :] if len(s) > 1 else None,
        ),
        _t("path", "trailing dot", lambda s, r: s + "."),
        _t("path", "encoded slash", lambda s, r: s + "%2F"),
        _t("path", "encoded dot segment", lambda s, r: s + "%2F."),
        _t("path", "encoded traversal", lambda s, r: "x%2F..%2F" + s),
        _t("path", "encoded question mark", lambda s, r: s + "%3Fx=1"),
        _t("path", "encoded fragment", lambda s, r: s + "%23x"),
        _t("encoding", "double encoding", _double_encode_all),
        _t("encoding", "one character double-encoded", _double_encode_one),
        _t("encoding", "IIS %u escape", _iis_unicode),
        _t("malformed", "invalid percent-escape", lambda s, r: s + "%zz"),
        _t("malformed", "lone percent", lambda s, r: s + "%"),
        _t("malformed", "truncated escape", lambda s, r: s + "%4"),
        _t("malformed", "byte that is not UTF-8", lambda s, r: s + "%FF"),
        _t("malformed", "overlong form", _overlong),
        _t("malformed", "encoded surrogate", lambda s, r: s + "%ED%A0%80"),
        _t("malformed", "truncated UTF-8 sequence", lambda s, r: s + "%C3"),
    ]


def _transpose(text: str, rng: random.Random) -> str | None:
    places = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not places:
        return None
    i = rng.choice(places)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def near_misses(known: Iterable[str], seed: int) -> Generator:
    """The generator of near misses of the known ids (the account's sessions and the foreign one)."""
    taken = set(known)

    def accept(segment: str) -> bool:
        if not segment or not _RAW.match(segment) or segment in (".", ".."):
            return False
        return malformed(segment) or unquote(segment) not in taken

    return Generator(transformations(), seed, accept)

"""Near variants of a real session id: what a backend that resolves ids loosely would answer.

Real backends compare ids through case-insensitive collations, SQL comparisons that ignore
trailing spaces, trimming, Unicode compatibility normalisation, LIKE or glob patterns,
a second percent-decoding, format suffixes and path parameters. Each makes a URL that
names no session read a real one. Every variant is derived from the id itself (no id is
hard-coded) and is given as the path segment sent on the wire, already percent-encoded:
some mechanisms (a raw ';', a double encoding) live only in the encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Variant:
    label: str  # what the variant is, e.g. "trailing space"
    segment: str  # the path segment sent, percent-encoded


def _segment(sid: str) -> str:
    return quote(sid, safe="")


def _fullwidth(text: str) -> str:
    # U+FF01..U+FF5E are the fullwidth forms of ASCII '!'..'~'; NFKC folds them back.
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _math_bold(text: str) -> str:
    # MATHEMATICAL BOLD letters and digits: compatibility forms that NFKC folds to ASCII.
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(chr(0x1D400 + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(0x1D41A + ord(ch) - ord("a")))
        elif "0" <= ch <= "9":
            out.append(chr(0x1D7CE + ord(ch) - ord("0")))
        else:
            out.append(ch)
    return "".join(out)


def _wildcard_position(sid: str) -> int:
    # The last letter or digit: a pattern there still matches the real id and nothing shorter.
    for index in range(len(sid) - 1, -1, -1):
        if sid[index].isalnum():
            return index
    return len(sid) - 1


def _truncation(sid: str) -> Iterable[Variant]:
    if len(sid) > 1:
        yield Variant("last character dropped (prefix lookup)", _segment(sid[:-1]))
    yield Variant("one character appended (prefix lookup)", _segment(sid + "x"))
    yield Variant("trailing encoded slash", _segment(sid + "/"))


def _case(sid: str) -> Iterable[Variant]:
    yield Variant("case swapped", _segment(sid.swapcase()))
    yield Variant("upper case", _segment(sid.upper()))
    yield Variant("lower case", _segment(sid.lower()))


def _padding(sid: str) -> Iterable[Variant]:
    yield Variant("trailing space (SQL PAD SPACE comparison)", _segment(sid + " "))
    yield Variant("leading space (trimmed)", _segment(" " + sid))
    yield Variant("trailing tab (trimmed)", _segment(sid + "\t"))
    yield Variant("leading tab (trimmed)", _segment("\t" + sid))
    yield Variant("trailing no-break space (Unicode trim)", _segment(sid + "\u00a0"))


def _compatibility(sid: str) -> Iterable[Variant]:
    yield Variant("fullwidth forms (NFKC, width-insensitive collation)", _segment(_fullwidth(sid)))
    yield Variant("mathematical bold letters and digits (NFKC)", _segment(_math_bold(sid)))


def _wildcard(sid: str) -> Iterable[Variant]:
    at = _wildcard_position(sid)
    for char, label in (("%", "SQL LIKE %"), ("_", "SQL LIKE _"), ("*", "glob *"), ("?", "glob ?")):
        yield Variant(f"{label} in place of {sid[at]!r}", _segment(sid[:at] + char + sid[at + 1 :]))
    yield Variant("SQL LIKE % after a prefix", _segment(sid[: max(1, len(sid) // 2)] + "%"))


def _double_encoding(sid: str) -> Iterable[Variant]:
    # Percent-encode every byte, then encode that text again: only a second decoding gets the id back.
    once = "".join(f"%{byte:02X}" for byte in sid.encode("utf-8"))
    yield Variant("every byte percent-encoded twice", _segment(once))


def _suffix(sid: str) -> Iterable[Variant]:
    yield Variant("format suffix .json", _segment(sid) + ".json")
    yield Variant("path parameter ;v=1 (servlet-style)", _segment(sid) + ";v=1")


MECHANISMS: dict[str, Callable[[str], Iterable[Variant]]] = {
    "truncated-or-extended": _truncation,
    "case": _case,
    "padding": _padding,
    "compatibility-forms": _compatibility,
    "wildcard": _wildcard,
    "double-encoded": _double_encoding,
    "suffix-or-path-parameter": _suffix,
}


def variants(mechanism: str, sid: str, exclude: Iterable[str] = ()) -> list[Variant]:
    """The variants of `sid` for one mechanism: each differs from the id on the wire, none is a
    session listed in `exclude` (the id itself and the other known sessions), no duplicates."""
    taken = {_segment(s) for s in (sid, *exclude)}
    found: dict[str, Variant] = {}
    for variant in MECHANISMS[mechanism](sid):
        if variant.segment not in taken and variant.segment not in found:
            found[variant.segment] = variant
    return list(found.values())

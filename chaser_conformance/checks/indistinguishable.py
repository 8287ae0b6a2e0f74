"""Is another account's session told apart from no session at all? The whole response decides.

A 404 for a foreign session that differs from an unknown id's 404 anywhere (status, reason
phrase, a header present or absent, a header's value, the body's shape or a value in it)
tells an attacker that the session exists. Some parts of a 404 vary by themselves (request
ids, dates, a body that differs per request), so what varies is learnt from unknown ids
shaped like the foreign one (same length and character classes: a Content-Length or an
echoed id then cannot differ for that reason alone), read before and after it.

A difference is a leak only when it is certain: the unknown ids all agree on that part, and
every read of the foreign session differs from them. A difference that shows in some foreign
reads only, or that the unknown ids also show, is not a verdict: variation, or inconclusive.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..contract.spec import json_pointer, json_type
from . import Exchange, strict_json
from .sampling import Features, Read, differences, show, unanimous

# Phase one: unknown ids before and after the foreign read. Phase two, only when a part of the
# foreign 404 differs: more foreign reads, each among more unknown ids. A part that a conformant
# server adds at random (probability p per response) passes for a leak only if it shows in every
# foreign read and in no unknown read: p**6 * (1 - p)**26, at most 2e-7 whatever p is.
FIRST_UNKNOWN = 6
CONFIRM_UNKNOWN = 4
PLACEHOLDER = "{id}"


def lookalike(sid: str, rng: random.Random) -> str:
    """An id of the same length and character classes (ASCII letters and digits redrawn)."""
    out = []
    for ch in sid:
        if ch in string.ascii_lowercase:
            out.append(rng.choice(string.ascii_lowercase))
        elif ch in string.ascii_uppercase:
            out.append(rng.choice(string.ascii_uppercase))
        elif ch in string.digits:
            out.append(rng.choice(string.digits))
        else:
            out.append(ch)
    return "".join(out)


def _leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        yield json_pointer(at) + "{}", len(value)
        for key, sub in value.items():
            yield from _leaves(sub, (*at, key))
    elif isinstance(value, list):
        yield json_pointer(at) + "[]", len(value)
        for index, sub in enumerate(value):
            yield from _leaves(sub, (*at, index))
    else:
        yield json_pointer(at), value


def features(ex: Exchange, sid: str) -> dict[str, Any]:
    """Every observable part of a response, the requested id replaced by a placeholder."""

    def blind(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(sid, PLACEHOLDER).replace(quote(sid, safe=""), PLACEHOLDER)
        return value

    found: dict[str, Any] = {"status": ex.status, "reason phrase": ex.reason}
    for name, value in ex.headers.items():
        found[f"header {name.lower()}"] = blind(value)
    # The bytes themselves: the same JSON value written otherwise (key order, spacing, escapes)
    # tells as much as another value.
    found["body bytes"] = blind(ex.content.decode("utf-8", "replace"))
    try:
        body = strict_json.loads(ex.content)
    except strict_json.NotJSON:
        found["body"] = blind(ex.content.decode("utf-8", "replace"))
        return found
    found["body type"] = json_type(body)
    for pointer, value in _leaves(body):
        found[f"body {pointer or '/'}"] = blind(value)
    return found


@dataclass
class Verdict:
    leaks: list[str] = field(default_factory=list)  # certain: the foreign session is told apart
    inconclusive: list[str] = field(default_factory=list)  # differences that cannot be decided
    reads: int = 0


def compare(existing: Read | dict[str, Read], unknown: Read) -> Verdict:
    """`existing()` (or each of several, by name) and `unknown()` each send one read and return
    its features. The unknown ids' reads are shared by every existing id compared with them."""
    named = existing if isinstance(existing, dict) else {"": existing}
    verdict = Verdict()

    def compared(keys: list[str], unknowns: list[Features]) -> list[str]:
        shape_varies = [
            k for k in keys if (k == "body type" or k.endswith(("{}", "[]"))) and not unanimous(unknowns, k)[0]
        ]
        if not shape_varies:
            return keys
        # Too much varies by itself to compare the body; the status line and headers still are.
        verdict.inconclusive.append(
            "the body of an unknown id's answer changes shape by itself "
            f"({', '.join(shape_varies[:3])} vary over {len(unknowns)} unknown ids): the bodies were not compared"
        )
        return [k for k in keys if not k.startswith("body")]

    found, verdict.reads = differences(named, unknown, FIRST_UNKNOWN, CONFIRM_UNKNOWN, compared=compared)
    for d in found:
        who = f"{d.subject}: " if d.subject else ""
        if d.certain:
            verdict.leaks.append(
                f"{who}{d.key}: {show(d.seen)} in {d.reads} of {d.reads} reads, "
                f"{show(d.expected)} for all {d.references} unknown ids"
            )
        else:
            verdict.inconclusive.append(
                f"{who}{d.key}: differs in {d.differing} of {d.reads} reads only "
                f"({show(d.seen)}; unknown ids: {show(d.expected)})"
            )
    return verdict


def shape(sid: str) -> str:
    """Ids of one shape (length and character classes) share their unknown look-alikes."""
    classes = ((string.ascii_lowercase, "a"), (string.ascii_uppercase, "A"), (string.digits, "0"))
    return "".join(next((mark for chars, mark in classes if ch in chars), ch) for ch in sid)

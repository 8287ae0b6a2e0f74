"""HTTP semantics around the contract: HEAD agrees with GET (RFC 9110 §9.3.2). Advisories, failures
under strict mode.

HEAD must answer with the status and header fields GET would, without content. A server MAY
leave out fields whose value is only known while the content is generated (Content-Length,
ETag, ...), and some fields vary by themselves (Date, request ids): what varies is learnt from
several GETs, and a difference counts only when every HEAD shows it and the GETs all agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .exchange import Exchange
from .findings import Problem
from .sampling import ABSENT, Read, differences, show

# Fields a HEAD may leave out or give another value (RFC 9110 §9.3.2, §8.6, §8.8): computed from
# the content, about the connection, or about the moment.
MAY_DIFFER = frozenset(
    {
        "date",
        "age",
        "expires",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "trailer",
        "content-encoding",
        "vary",
        "etag",
        "last-modified",
        "content-md5",
        "digest",
        "content-digest",
        "repr-digest",
        "accept-ranges",
        "x-chaser-body-truncated",
    }
)
# A field that a conformant server sends at random (probability p per response) passes for a
# difference only if every HEAD shows it and no GET does: p**6 * (1 - p)**13, at most 7e-6.
FIRST_GETS = 3
CONFIRM_GETS = 2


def _normal(name: str, value: str) -> str:
    return "".join(value.split()).lower() if name == "content-type" else value


def features(ex: Exchange) -> dict[str, Any]:
    found: dict[str, Any] = {"status": ex.status}
    for name, value in ex.headers.items():
        if name.lower() not in MAY_DIFFER:
            found[f"header {name.lower()}"] = _normal(name.lower(), str(value))
    return found


def _differs(key: str, head: Any, get: Any) -> bool:
    # HEAD may leave Content-Length out (RFC 9110 §8.6); if it sends one, it is GET's.
    if key == "header content-length" and head is ABSENT:
        return False
    return head != get


@dataclass
class Verdict:
    differences: list[str] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    reads: int = 0


def compare(head: Read, get: Read) -> Verdict:
    """`head()` and `get()` each send one request and return its features."""
    verdict = Verdict()
    found, verdict.reads = differences({"HEAD": head}, get, FIRST_GETS, CONFIRM_GETS, _differs)
    for d in found:
        if d.certain:
            verdict.differences.append(
                f"{d.key}: {show(d.seen)} for HEAD in {d.reads} of {d.reads} requests, "
                f"{show(d.expected)} for GET in all {d.references}"
            )
        else:
            verdict.inconclusive.append(
                f"{d.key}: differs for HEAD in {d.differing} of {d.reads} requests only "
                f"({show(d.seen)}; GET: {show(d.expected)})"
            )
    return verdict


def head_problems(verdict: Verdict) -> list[Problem]:
    problems = [
        Problem(
            "HEAD disagrees with GET",
            f"HEAD must answer with GET's status and header fields, without content (RFC 9110 §9.3.2): {d}",
        )
        for d in verdict.differences
    ]
    problems += [
        Problem("HEAD inconclusive", f"inconclusive (neither passed nor failed on this): {d}", inconclusive=True)
        for d in verdict.inconclusive
    ]
    return problems

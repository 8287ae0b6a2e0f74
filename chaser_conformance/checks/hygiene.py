"""Hygiene a run shows: what no clause of openapi.yaml forbids but costs someone (advisories; failures
under strict).

- A product version in `Server` or `X-Powered-By` tells an attacker which known vulnerabilities to
  try (nginx/1.25.3, PHP/8.2.1); a product name alone does not.
- An integer beyond ±(2^53 − 1) is read as another number by JavaScript and every client that holds
  JSON numbers as IEEE 754 doubles (I-JSON, RFC 7493 §2.2).
- The fields of one session that describe what it is (`created_at`, `session_type`) do not change
  between reads: one that does is a cache or a replica serving another state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..contract.spec import json_pointer
from .exchange import Exchange
from .findings import Problem

BANNERS = ("Server", "X-Powered-By")
VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)*(?![\w.])")  # 1.25.3, v4.18, 8.2
I_JSON_MAX = 2**53 - 1
STABLE_FIELDS = ("created_at", "session_type")


def banner_problems(ex: Exchange) -> list[Problem]:
    problems = []
    for name in BANNERS:
        value = ex.headers.get(name)
        found = VERSION.search(value) if value else None
        if found:
            text = (
                f"{name}: {value[:120]!r} names a product version ({found.group(0)}): it tells an attacker what to try"
            )
            problems.append(Problem("version disclosed", text, at=name))
    return problems


def _integers(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[str, int]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield json_pointer(at) or "/", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _integers(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _integers(item, (*at, index))


def ijson_problems(body: Any) -> list[Problem]:
    return [
        Problem(
            "integer beyond I-JSON",
            f"{pointer}: {number} is beyond ±(2^53 - 1): JavaScript and other IEEE 754 clients read another number",
            pointer,
        )
        for pointer, number in _integers(body)
        if abs(number) > I_JSON_MAX
    ]


def changed_fields(first: Any, later: Any) -> list[Problem]:
    """The fields of STABLE_FIELDS that a later read of the same session answered otherwise."""
    if not isinstance(first, dict) or not isinstance(later, dict):
        return []
    return [
        Problem(
            "field changed between reads",
            f"/{name}: {first.get(name)!r} at the first read, {later.get(name)!r} at a later one",
            f"/{name}",
        )
        for name in STABLE_FIELDS
        if name in first and name in later and first[name] != later[name]
    ]

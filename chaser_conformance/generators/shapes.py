"""Request shapes that read a session: the documented `GET /v1/sessions/{id}` as other methods,
route spellings, parameters and header fields send it.

A server that checks credentials in one place and routes in another may read a session for a
stranger through a shape its authentication never sees: HEAD, a trailing or doubled slash, a dot
segment, another case of the fixed path, an added parameter or header. The shapes are values of
the engine (engine.py): a request line, then one header field a line,

    GET /v1/sessions/ses_full?chaser=1
    X-Forwarded-For: 127.0.0.1

so that they are covered once each, composed from the run's seed and shrunk like any near miss.
A step that changes the id asked for (a `;parameter`, a format suffix) is `lossy`: a read through
it is judged as a read of another id (exact ids), never as the same session's.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from ..contract.spec import SESSION_PATH
from .engine import Generator, Transformation


@dataclass(frozen=True)
class Shape:
    method: str
    target: str  # the request target, byte for byte (path and query)
    headers: tuple[tuple[str, str], ...]

    @staticmethod
    def read(value: str) -> Shape:
        line, *fields = value.split("\n")
        method, _, target = line.partition(" ")
        return Shape(method, target, tuple(tuple(f.split(": ", 1)) for f in fields))  # type: ignore[misc]

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]


def origin(base_path: str, session_id: str) -> str:
    """The documented request for a session: the value every shape is derived from."""
    return f"GET {base_path.rstrip('/')}{SESSION_PATH}{quote(session_id, safe='')}"


def _on_path(edit: Callable[[str], str | None]) -> Callable[[str, random.Random], str | None]:
    """A step on the request target's path (the query and header fields kept)."""

    def apply(value: str, rng: random.Random) -> str | None:
        line, newline, fields = value.partition("\n")
        method, _, target = line.partition(" ")
        path, question, query = target.partition("?")
        changed = edit(path)
        return None if changed is None or changed == path else f"{method} {changed}{question}{query}{newline}{fields}"

    return apply


def _fixed(replacement: str) -> Callable[[str, random.Random], str | None]:
    """The documented fixed path (/v1/sessions/) spelled otherwise; nothing once it is."""
    return _on_path(lambda path: path.replace(SESSION_PATH, replacement, 1) if SESSION_PATH in path else None)


def _last_segment(suffix: str) -> Callable[[str, random.Random], str | None]:
    return _on_path(lambda path: path + suffix if not path.endswith("/") else None)


def _query(pair: str) -> Callable[[str, random.Random], str | None]:
    def apply(value: str, rng: random.Random) -> str | None:
        line, newline, fields = value.partition("\n")
        if pair in line:
            return None
        return f"{line}{'&' if '?' in line else '?'}{pair}{newline}{fields}"

    return apply


def _header(name: str, field_value: str) -> Callable[[str, random.Random], str | None]:
    def apply(value: str, rng: random.Random) -> str | None:
        return None if f"\n{name}: " in value else f"{value}\n{name}: {field_value}"

    return apply


def _head(value: str, rng: random.Random) -> str | None:
    return "HEAD" + value[len("GET") :] if value.startswith("GET ") else None


def transformations() -> list[Transformation]:
    # lossy=True: the step changes the id asked for; False: the same session, asked otherwise.
    keeps, changes = False, True
    segments = SESSION_PATH.strip("/").split("/")  # ["v1", "sessions"]
    encoded = "/" + "/".join([*segments[:-1], f"%{ord(segments[-1][0]):02X}{segments[-1][1:]}"]) + "/"
    return [
        Transformation("method", "HEAD", _head, keeps),
        Transformation("route", "trailing slash", _on_path(lambda p: p + "/" if not p.endswith("/") else None), keeps),
        Transformation("route", "doubled slash", _fixed(SESSION_PATH.replace("/", "//", 2)[1:]), keeps),
        Transformation("route", "empty segment before the id", _fixed(SESSION_PATH + "/"), keeps),
        Transformation("route", "dot segment", _fixed(SESSION_PATH.replace("/", "/./", 1)), keeps),
        Transformation("route", "parent segment", _fixed(f"/chaser/..{SESSION_PATH}"), keeps),
        Transformation("route", "fixed path in capitals", _fixed(SESSION_PATH.upper()), keeps),
        # An unreserved character percent-encoded: the same URI (RFC 3986 §2.3), not even a lenient one.
        Transformation("equivalent", "fixed segment percent-encoded", _fixed(encoded), keeps),
        Transformation("id", "matrix parameter", _last_segment(";chaser=1"), changes),
        Transformation("id", "format suffix", _last_segment(".json"), changes),
        Transformation("query", "unknown query parameter", _query("chaser=1"), keeps),
        Transformation("query", "format parameter", _query("format=json"), keeps),
        Transformation("header", "forwarded from loopback", _header("X-Forwarded-For", "127.0.0.1"), keeps),
        Transformation("header", "method override", _header("X-HTTP-Method-Override", "GET"), keeps),
        Transformation("header", "requested with XMLHttpRequest", _header("X-Requested-With", "XMLHttpRequest"), keeps),
    ]


def request_shapes(seed: int) -> Generator:
    """Shapes of the documented request; each value is sent once per run."""
    return Generator(transformations(), seed, accept=lambda value: True)


ROUTE_STEPS = frozenset(t.name for t in transformations() if t.family == "route")


def route_spelled_otherwise(steps: tuple[tuple[str, int], ...]) -> bool:
    """A step of the route family: the path is another spelling than the documented one, which a
    lenient router maps to it (a percent-encoded unreserved character is the same URI: not one)."""
    return any(name in ROUTE_STEPS for name, _ in steps)

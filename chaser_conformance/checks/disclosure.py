"""Information disclosure outside the contract: advisories, failures under strict mode.

A response must not carry the request's credential, a stack trace, a database's error text, a
filesystem path or an internal network address, and the session's URLs must not be built from
request headers (`Host`, `X-Forwarded-Host`, `Forwarded`) that any client can set.

What a request sent comes back in many honest answers (a 404 that names the id asked for, odd ids
made of SQL or path syntax): a match that is part of what the request sent is an echo, not a
disclosure. Paths and network addresses are looked for in headers and in error bodies only: a
session's own data (its control endpoint may well be a private address) is the API's to define.
Every text here names what was found, never a credential's value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from ..contract.spec import json_pointer
from ..settings.secret import MASK, credentials, encoded_forms, mask
from . import strict_json
from .exchange import Exchange
from .findings import Problem

SCANNED_BYTES = 65536  # of the body, and of the header fields: a SessionInfo or an error body is far smaller
EXCERPT = 80

STACK_TRACES = {
    "a Python traceback": r"Traceback \(most recent call last\)|File \"[^\"\n]+\.py\", line \d+",
    "a JVM stack trace": r"\bat [\w$]+(?:\.[\w$<>]+)+\([\w$]+\.(?:java|kt|scala|groovy):\d+\)|Exception in thread \"",
    "a .NET stack trace": (
        r"\bat [\w.`<>\[\]]{1,200}\([^()\n]{0,200}\) in [^\n]{1,300}:line \d+"
        r"|\bSystem\.(?:[A-Z]\w{0,60}\.){0,8}[A-Z]\w{0,60}Exception\b"
    ),
    "a Node.js stack trace": r"\bat (?:[\w$.<>\[\] ]{1,200} \()?(?:/|[A-Za-z]:\\|node:|file://)[^()\s]{0,300}:\d+:\d+\)?",
    "a Go panic": r"goroutine \d+ \[[\w ]+\]:|panic: runtime error",
    "a PHP error": (
        r"(?:Fatal error|Parse error|Warning|Notice): [^\n]{0,300}? in \S+\.php on line \d+|Stack trace:\s*#0 "
    ),
    "a Ruby backtrace": r"(?<![^\s\"'(\[])[\w./-]{1,200}\.rb:\d+:in [`']",
}
DATABASE_ERRORS = {
    "SQL error text": (
        r"SQLSTATE\[|You have an error in your SQL syntax|syntax error at or near|unterminated quoted string"
        r"|Unclosed quotation mark|\bORA-\d{5}\b|\bPG::\w+|\bpsycopg2?\.\w+|\bsqlite3\.\w*Error|SQLITE_ERROR"
        r"|\borg\.postgresql\.|\bcom\.mysql\.|SequelizeDatabaseError|QueryFailedError|PrismaClient\w*Error"
        r"|relation \"[^\"\n]+\" does not exist|no such table: "
    ),
    "NoSQL error text": r"MongoServerError|MongoError|E11000 duplicate key|Cast to ObjectId failed|BSONTypeError",
    "SQL statement text": r"\bSELECT\b[^\n]{1,200}?\bFROM\b[^\n]{1,200}?\bWHERE\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b",
}
# Paths under the roots of a server's file system, or ending in a source file's name.
FILESYSTEM_PATHS = {
    "a filesystem path": (
        r"(?<![\w/.:%~-])/(?:usr|var|etc|home|opt|srv|root|tmp|proc|mnt|Users|Library)/[^\s\"'<>,;()]+"
        r"|(?<![\w/.:%~-])/[^\s\"'<>,;():]*\.(?:py|pyc|rb|php|java|class|jar|js|mjs|cjs|ts|go|cs|dll|so|erb|jsp)\b"
        r"|\b[A-Za-z]:\\(?:[^\\\s\"'<>]+\\)+[^\\\s\"'<>]*"
    ),
}
# Every repetition is bounded, or anchored where little can start: these run on up to 64 KiB of
# whatever a server sends, and an unbounded `\S+` is quadratic on a body without white space.
# Private, link-local and cluster-internal addresses. Loopback names no machine, so it tells nothing.
INTERNAL_ADDRESSES = {
    "an internal network address": (
        r"(?<![\w.])(?:10(?:\.\d{1,3}){3}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|192\.168(?:\.\d{1,3}){2}"
        r"|169\.254(?:\.\d{1,3}){2})(?![\w]|\.\d)"
        r"|(?<![\w:])(?:f[cd][0-9a-f]{2}|fe80):[0-9a-f]{0,4}:[0-9a-f:]*"
        r"|(?<![\w.-])(?:[a-z0-9-]+\.)+(?:internal|local|localdomain|intranet|corp|lan|svc\.cluster\.local)(?![\w.-])"
    ),
}


def _compile(patterns: dict[str, str], flags: int = 0) -> list[tuple[str, re.Pattern[str]]]:
    return [(what, re.compile(pattern, flags)) for what, pattern in patterns.items()]


EVERYWHERE = [
    ("stack trace", _compile(STACK_TRACES)),
    ("database error", _compile(DATABASE_ERRORS)),
]
OUTSIDE_SESSION_DATA = [
    ("filesystem path", _compile(FILESYSTEM_PATHS)),
    ("internal address", _compile(INTERNAL_ADDRESSES, re.IGNORECASE)),
]


def _strings(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[str, str]]:
    """(JSON pointer, string) for every member name and string value of a JSON value."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield json_pointer(at) or "/", str(key)
            yield from _strings(sub, (*at, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _strings(sub, (*at, index))
    elif isinstance(value, str):
        yield json_pointer(at) or "/", value


def _body_texts(ex: Exchange) -> list[tuple[str, str]]:
    """(where, text) of the body: each JSON string with its pointer, or the whole text."""
    content = ex.content[:SCANNED_BYTES]
    try:
        return [(f"body at {pointer}", text) for pointer, text in _strings(strict_json.loads(content))]
    except strict_json.NotJSON:
        return [("body", content.decode("utf-8", "replace"))] if content else []


def _header_texts(ex: Exchange) -> list[tuple[str, str]]:
    """(where, text) of each header field, up to SCANNED_BYTES of them in all, as for the body: a
    field section past what servers and proxies accept (8 to 16 KiB) is not scanned whole (100
    fields of 64 KiB cost seconds of CPU per response, for every response of a server that sends them)."""
    texts, left = [], SCANNED_BYTES
    for name, value in ex.headers.items():
        if left <= 0:
            break
        text = str(value)[:left]
        texts.append((f"header {name}", text))
        left -= len(text)
    return texts


def _sent(ex: Exchange) -> str:
    """Everything the request sent that an answer may echo, case-folded: its target and header values."""
    parts = urlsplit(ex.url)
    target = f"{parts.path}?{parts.query}"
    values = [target, unquote(target), unquote(unquote(target))]
    values += [str(v) for k, v in ex.request_headers.items() if k.lower() != "authorization"]
    return "\n".join(values).casefold()


def _excerpt(text: str, secrets: list[str]) -> str:
    text = " ".join(mask(text, *secrets).split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _credential_problems(ex: Exchange, token: str | None, texts: list[tuple[str, str]]) -> list[Problem]:
    sent = unquote(ex.url)
    header = str(ex.request_headers.get("Authorization") or "")
    mine = credentials(header)
    known = [(c, "the request's Authorization credential") for c in mine]
    if token and len(str(token)) >= 8 and str(token) not in mine:
        known.append((str(token), "the bearer token of the account under test"))
    problems = []
    for value, what in known:
        if value in sent:
            continue  # it was sent in the URL too: an answer that echoes the URL echoes it
        forms = {value, _b64(value), *([_b64(header)] if value in header else [])}
        places = sorted({where for where, text in texts if any(f in text for f in forms)})
        if not places and any(f.encode() in ex.content for f in forms):
            places = ["body"]
        if places:
            problems.append(
                Problem(
                    "credential echoed",
                    f"the response carries {what} (its value is masked everywhere: {MASK}) in its "
                    f"{', '.join(places[:3])}: whoever reads responses or their logs can replay it",
                )
            )
    return problems


Families = list[tuple[str, list[tuple[str, re.Pattern[str]]]]]


def _pattern_problems(
    ex: Exchange, token: str | None, families: Families, texts: list[tuple[str, str]]
) -> list[Problem]:
    # All texts at once first, joined by line breaks: what matches inside one text matches there too
    # (each pattern's lookarounds and word boundaries see a line break as they see a text's start or
    # end). No match there is the answer for nearly every exchange, in one search per pattern.
    joined = "\n".join(text for _, text in texts)
    hits = [(rule, what, p) for rule, patterns in families for what, p in patterns if p.search(joined)]
    if not hits:
        return []
    sent = _sent(ex)
    host = (urlsplit(ex.url).hostname or "").casefold()
    secrets = encoded_forms(token, *credentials(ex.request_headers.get("Authorization")))  # kept out of excerpts
    problems = []
    for rule, what, pattern in hits:
        for where, text in texts:
            found = next(
                (
                    m.group(0)
                    for m in pattern.finditer(text)
                    if m.group(0).casefold() not in sent and (not host or host not in m.group(0).casefold())
                ),
                None,
            )
            if found is not None:
                problems.append(
                    Problem(rule, f"the response shows {what} in its {where}: {_excerpt(found, secrets)!r}")
                )
                break  # one place per kind is enough to tell
    return problems


def disclosure_problems(ex: Exchange, token: str | None) -> list[Problem]:
    """Advisories: what a response discloses that no client should learn."""
    headers, body = _header_texts(ex), _body_texts(ex)
    problems = _credential_problems(ex, token, headers + body)
    problems += _pattern_problems(ex, token, EVERYWHERE, headers + body)
    problems += _pattern_problems(ex, token, OUTSIDE_SESSION_DATA, headers if ex.status == 200 else headers + body)
    return problems


def reflection_problems(ex: Exchange, injected: str, header: str) -> list[Problem]:
    """Advisories: the host a request header named shows up in the response (links built from it)."""
    wanted = injected.casefold()
    places = [where for where, text in _header_texts(ex) + _body_texts(ex) if wanted in text.casefold()]
    if not places:
        return []
    return [
        Problem(
            "request host reflected",
            f"the host {injected!r} that the request named in {header} shows in the response's "
            f"{', '.join(places[:3])}: links built from a header any client sets point wherever an attacker "
            "says (host header injection; cache poisoning)",
        )
    ]

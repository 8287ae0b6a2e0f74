"""`chaser-conformance validate PATH...`: recorded and mock responses judged by the live rules, offline.

Inputs, found by content (a directory is searched for *.json, *.jsonl, *.ndjson and *.har):
- a JSON file holding one SessionInfo body (a client team's fixture or mock mapping);
- JSON Lines: one body, or one recorded exchange, a line (the suite's own failures.jsonl too);
- a HAR 1.2 capture: each `GET .../v1/sessions/{id}` entry, under any base URL, is an exchange.
Each exchange goes through the same `Judge` as a live run (status policy, content type, strict
JSON, schema with JSON pointers, the id asked for is the id returned); what needs the account
under test (is the token valid, which sessions exist, whose) is not judged offline.

Secrets: nothing of a request's credentials is printed or written. Values of credential headers
and cookies, and of credential-like query parameters, are masked wherever they appear, by name
and by value. Large inputs stream (ijson for HAR, line by line for JSON Lines): memory stays
bounded by the largest entry, not the file.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ijson
from requests.structures import CaseInsensitiveDict

from . import exitcodes
from .checks import Exchange, Judge, RunRecord
from .client import SESSION_PATH, Target
from .secret import MASK, Secret
from .spec import load_contract

SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".har": "har"}
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
CREDENTIAL_PARAMS = re.compile(r"token|key|auth|secret|password|signature|sig$|session", re.IGNORECASE)
NOT_JUDGED = "not judged offline: whether a token was valid, which sessions exist and whose they are"


class Unreadable(Exception):
    """An input that cannot be read or is not one of the recognised kinds; str() names what was wrong."""


@dataclass
class Finding:
    file: str
    entry: str  # "entry 3" (HAR), "line 7" (JSON Lines), "" (a fixture file)
    method: str
    url: str
    status: int
    kind: str  # "failure" or "advisory"
    problem: str
    pointer: str | None = None  # the JSON pointer of a schema problem

    def line(self) -> str:
        where = f"{self.file}:{self.entry}" if self.entry else self.file
        exchange = f"{self.method} {self.url} -> {self.status}" if self.url else "SessionInfo body"
        label = "" if self.kind == "failure" else "advisory: "
        return f"{where}: {exchange}: {label}{self.problem}"


@dataclass
class Tally:
    files: int = 0
    judged: int = 0
    skipped: int = 0
    failing_exchanges: int = 0
    failures: int = 0
    advisories: int = 0


class Secrets:
    """Credential values seen so far; every printed text is masked with all of them."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= 4:  # shorter values would mask ordinary text
            self.values.add(value)

    def collect(self, headers: list[tuple[str, str]], url: str) -> None:
        for name, value in headers:
            low = name.lower()
            if low in ("authorization", "proxy-authorization"):
                self.add(value)
                self.add(value.partition(" ")[2])
            elif low in ("cookie", "set-cookie"):
                for part in value.split(";"):
                    self.add(part.partition("=")[2])
            elif low in CREDENTIAL_HEADERS:
                self.add(value)
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if CREDENTIAL_PARAMS.search(name):
                self.add(value)

    def mask(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


OFFLINE_TARGET = Target(base_url="", token=Secret(""), session_ids=(), foreign_session_id=None, embedded=False)


class Validator:
    """Judges inputs one exchange at a time; each finding goes to `emit` at once (nothing is kept)."""

    def __init__(self, emit: Callable[[Finding], None]) -> None:
        self.judge = Judge(load_contract(), OFFLINE_TARGET, RunRecord(tracked=()), offline=True)
        self.secrets = Secrets()
        self.tally = Tally()
        self.emit = emit

    # --- one exchange ---------------------------------------------------------------------------

    def exchange(
        self,
        file: str,
        entry: str,
        method: str,
        url: str,
        request_headers: list[tuple[str, str]],
        status: int,
        response_headers: list[tuple[str, str]],
        content: bytes,
    ) -> None:
        self.secrets.collect(request_headers, url)
        self.secrets.collect([(n, v) for n, v in response_headers if n.lower() == "set-cookie"], "")
        ex = Exchange(
            method=method.upper(),
            url=url,
            request_headers=CaseInsensitiveDict(_joined(request_headers)),
            status=status,
            reason="",
            headers=CaseInsensitiveDict(_joined(response_headers)),
            content=content,
        )
        failures, advisories = self.judge.assess(ex)
        self.tally.judged += 1
        self.tally.failing_exchanges += bool(failures)
        self.tally.failures += len(failures)
        self.tally.advisories += len(advisories)
        for kind, problems in (("failure", failures), ("advisory", advisories)):
            for problem in problems:
                self.emit(
                    Finding(
                        file,
                        entry,
                        ex.method,
                        self.secrets.mask(url),
                        status,
                        kind,
                        self.secrets.mask(problem.text),
                        problem.pointer or None,
                    )
                )

    def body(self, file: str, entry: str, content: bytes) -> None:
        """A bare SessionInfo body (a fixture): judged as the body of a 200, with no id asked for."""
        self.exchange(file, entry, "GET", "", [], 200, [("Content-Type", "application/json")], content)

    # --- inputs ---------------------------------------------------------------------------------

    def path(self, path: Path) -> None:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not files:
                raise Unreadable(f"{path}: no *.json, *.jsonl, *.ndjson or *.har file in this directory")
            for file in files:
                self.file(file)
        elif path.is_file():
            self.file(path)
        else:
            raise Unreadable(f"{path}: no such file or directory")

    def file(self, path: Path) -> None:
        self.tally.files += 1
        kind = SUFFIXES.get(path.suffix.lower())
        try:
            if kind == "jsonl":
                self.json_lines(path)
            elif kind == "har" or _starts_with_log(path):
                self.har(path)
            elif kind == "json":
                self.body(str(path), "", path.read_bytes())
            else:
                raise Unreadable(f"{path}: not a .json, .jsonl, .ndjson or .har file")
        except OSError as exc:
            raise Unreadable(f"{path}: cannot be read: {exc.strerror or exc}") from None

    def json_lines(self, path: Path) -> None:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except ValueError as exc:
                    raise Unreadable(f"{path}: line {number} is not JSON ({exc.msg})") from None
                if isinstance(record, dict) and "request" in record and record.get("response") is None:
                    self.tally.skipped += 1  # a request that got no answer (failures.jsonl): nothing to judge
                elif isinstance(record, dict) and isinstance(record.get("response"), dict) and "request" in record:
                    self.recorded(str(path), f"line {number}", record)
                else:
                    self.body(str(path), f"line {number}", raw.strip())

    def recorded(self, file: str, entry: str, record: dict[str, Any]) -> None:
        """One recorded exchange: the suite's failures.jsonl shape, or a HAR entry's."""
        request, response = record.get("request") or {}, record["response"]
        url, method = str(request.get("url", "")), str(request.get("method", "GET"))
        if method.upper() != "GET" or SESSION_PATH not in urlsplit(url).path:
            self.tally.skipped += 1
            return
        content = response.get("content")
        if isinstance(content, dict):  # a HAR entry
            body = _har_body(content)
        else:
            text = response.get("body", "")
            body = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
        self.exchange(
            file,
            entry,
            method,
            url,
            _pairs(request.get("headers")),
            int(response.get("status", 0)),
            _pairs(response.get("headers")),
            body,
        )

    def har(self, path: Path) -> None:
        with path.open("rb") as stream:
            try:
                for index, entry in enumerate(ijson.items(stream, "log.entries.item", use_float=True)):
                    if not isinstance(entry, dict) or not isinstance(entry.get("response"), dict):
                        raise Unreadable(f"{path}: entry {index} is not a HAR entry (no response object)")
                    self.recorded(str(path), f"entry {index}", entry)
            except ijson.JSONError as exc:
                raise Unreadable(f"{path}: truncated or malformed JSON ({str(exc).splitlines()[0]})") from None


def _starts_with_log(path: Path) -> bool:
    """A .json file that is a HAR: its first member is "log" (read without loading the file)."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as stream:
            for prefix, event, value in ijson.parse(stream):
                if prefix == "" and event == "start_map":
                    continue
                return prefix == "" and event == "map_key" and value == "log"
    except ijson.JSONError:
        return False
    return False


def _pairs(headers: Any) -> list[tuple[str, str]]:
    if isinstance(headers, list):  # HAR: [{"name": ..., "value": ...}]
        return [(str(h.get("name", "")), str(h.get("value", ""))) for h in headers if isinstance(h, dict)]
    if isinstance(headers, dict):
        return [(str(k), str(v)) for k, v in headers.items()]
    return []


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        key = next((k for k in joined if k.lower() == name.lower()), name)
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _har_body(content: dict[str, Any]) -> bytes:
    text = content.get("text")
    if not isinstance(text, str):
        return b""
    if content.get("encoding") == "base64":
        return base64.b64decode(text)
    return text.encode("utf-8", "surrogatepass")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="chaser-conformance validate",
        description="Judge recorded or mock responses (JSON fixtures, JSON Lines, HAR 1.2) by the live rules.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    args = parser.parse_args(argv)
    as_json = args.format == "json"
    written = 0

    def emit(finding: Finding) -> None:
        # Streamed, not kept: a capture of any size is judged in bounded memory.
        nonlocal written
        if as_json:
            print(("[\n" if not written else ",\n") + "    " + json.dumps(asdict(finding)), end="")
        else:
            print(finding.line())
        written += 1

    if as_json:
        print('{\n  "findings": ', end="")
    validator = Validator(emit)
    error = None
    try:
        for path in args.paths:
            validator.path(path)
    except Unreadable as exc:
        error = validator.secrets.mask(str(exc))
    tally = validator.tally
    code = exitcodes.USAGE if error else exitcodes.FINDINGS if tally.failures else exitcodes.CONFORMANT
    if as_json:
        rest = {**asdict(tally), "exit_code": code, "error": error, "not_judged": NOT_JUDGED}
        print(("\n  ]" if written else "[]") + ",\n" + json.dumps(rest, indent=2)[2:])
        return code
    if error:
        print(f"chaser-conformance validate: {error}", file=sys.stderr)
        return code
    print(
        f"validate: {tally.judged} exchanges judged in {tally.files} files "
        f"({tally.skipped} entries skipped: not GET {SESSION_PATH}{{id}}); "
        f"{tally.failures} findings in {tally.failing_exchanges} exchanges, {tally.advisories} advisories; "
        f"{NOT_JUDGED}"
    )
    if not tally.judged:
        print("validate: nothing was judged: no body and no GET /v1/sessions/{id} exchange in the input")
    return code

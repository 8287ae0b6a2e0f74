"""`chaser-conformance validate`: the inputs found, read twice (learn, then judge), and the output."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from ..checks import Exchange, Judge, RunRecord
from ..contract import exitcodes
from ..contract.spec import load_contract
from ..offline import records, stream
from ..offline.leaks import Secrets, is_credential_name
from ..offline.records import Recorded
from ..settings.secret import Secret
from ..transport.client import SESSION_PATH, Target

PROG = "chaser-conformance validate"
SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".har": "har"}
NOT_JUDGED = "not judged offline: whether a token was valid, which sessions exist and whose they are"
OFFLINE_TARGET = Target(base_url="", token=Secret(""), session_ids=(), foreign_session_id=None, embedded=False)


class Unreadable(Exception):
    """An input that cannot be read or is not what its kind requires; str() is the one line to print."""


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
    skipped: int = 0  # not GET /v1/sessions/{id}
    unanswered: int = 0  # recorded with no response (HAR status 0, failures.jsonl "response": null)
    failing_exchanges: int = 0
    failures: int = 0
    advisories: int = 0


def _located(path: Path, where: str, what: str) -> str:
    return f"{path}:{where}: {what}" if where else f"{path}: {what}"


class Validator:
    """Finds the inputs, learns their credentials (first pass), then judges them (second pass)."""

    def __init__(self, output: Output) -> None:
        self.judge = Judge(load_contract(), OFFLINE_TARGET, RunRecord(tracked=()), offline=True)
        self.secrets = Secrets()
        self.tally = Tally()
        self.output = output
        self.at = ""  # the input being read ("file:entry 3"), for an internal error's message
        self.read: dict[Path, tuple[int, int]] = {}  # (size, mtime) of each input at the first pass

    def run(self, paths: list[Path]) -> None:
        inputs = [found for path in paths for found in self.inputs(path)]
        for path, kind in inputs:  # first pass: every input well-formed, every credential known
            for _, item in self.items(path, kind, learning=True):
                if isinstance(item, Recorded):
                    self.secrets.learn(item)
        for path, kind in inputs:
            self.tally.files += 1
            for where, item in self.items(path, kind, learning=False):
                self.judge_item(str(path), where, item)

    def inputs(self, path: Path) -> list[tuple[Path, str]]:
        """(file, kind) for a path given on the command line; a directory is searched."""
        try:
            if path.is_dir():
                files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
                if not files:
                    raise Unreadable(f"{path}: no *.json, *.jsonl, *.ndjson or *.har file in this directory")
                return [(file, self.kind(file)) for file in files]
            if path.is_file():
                return [(path, self.kind(path))]
            exists = path.exists()
        except OSError as exc:
            raise Unreadable(f"{path}: cannot be read: {exc.strerror or exc}") from None
        raise Unreadable(f"{path}: {'not a file or directory' if exists else 'no such file or directory'}")

    def kind(self, path: Path) -> str:
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise Unreadable(f"{path}: not a .json, .jsonl, .ndjson or .har file")
        if kind == "json":
            with path.open("rb") as sniffed:
                return "har" if stream.starts_with_log(sniffed) else "json"
        return kind

    def items(self, path: Path, kind: str, learning: bool) -> Iterator[tuple[str, Recorded | bytes]]:
        """("entry 3", the exchange), ("line 7", a body)... for each item of one input, checked."""
        self.at = str(path)
        try:
            with path.open("rb") as data:
                self.same_as_learnt(path, os.fstat(data.fileno()), learning)
                if kind == "json":  # one body: nothing to learn from it, it is read when judged
                    yield "", b"" if learning else data.read()
                elif kind == "har":
                    for index, entry in stream.har_entries(data):
                        yield self.located(path, f"entry {index}", records.har_entry, entry)
                else:
                    for number, line, value in stream.json_lines(data):
                        if records.is_record(value):
                            yield self.located(path, f"line {number}", records.jsonl_record, value)
                        else:
                            yield f"line {number}", line
        except stream.Malformed as exc:
            raise Unreadable(_located(path, exc.where, exc.what)) from None
        except OSError as exc:
            raise Unreadable(_located(path, "", f"cannot be read: {exc.strerror or exc}")) from None

    def located(self, path: Path, where: str, read: Any, value: Any) -> tuple[str, Recorded]:
        """(where, the exchange `read` makes of a parsed entry or line), or Malformed naming where."""
        self.at = f"{path}:{where}"
        try:
            return where, read(value, is_credential_name)
        except stream.Malformed as exc:
            raise stream.Malformed(exc.what, where) from None

    def same_as_learnt(self, path: Path, stat: os.stat_result, learning: bool) -> None:
        """The second pass must read what the first checked (and learnt the credentials of)."""
        if learning:
            self.read[path] = (stat.st_size, stat.st_mtime_ns)
        elif self.read.get(path) != (stat.st_size, stat.st_mtime_ns):
            raise Unreadable(f"{path}: changed while validate read it; run validate again")

    def judge_item(self, file: str, where: str, item: Recorded | bytes) -> None:
        if isinstance(item, bytes):  # a bare SessionInfo body: judged as a 200's, with no id asked for
            self.exchange(file, where, Recorded("GET", "", [], 200, [("Content-Type", "application/json")], item), 200)
        elif item.status is None:
            self.tally.unanswered += 1
        elif item.method.upper() != "GET" or SESSION_PATH not in urlsplit(item.url).path:
            self.tally.skipped += 1
        else:
            self.exchange(file, where, item, item.status)

    def exchange(self, file: str, where: str, item: Recorded, status: int) -> None:
        ex = Exchange(
            method=item.method.upper(),
            url=item.url,
            request_headers=CaseInsensitiveDict(_joined(item.request_headers)),
            status=status,
            reason="",
            headers=CaseInsensitiveDict(_joined(item.response_headers)),
            content=item.body,
        )
        failures, advisories = self.judge.assess(ex)
        self.tally.judged += 1
        self.tally.failing_exchanges += bool(failures)
        self.tally.failures += len(failures)
        self.tally.advisories += len(advisories)
        mask = self.secrets.mask
        url = self.secrets.url(item.url) if item.url else ""
        for kind, problems in (("failure", failures), ("advisory", advisories)):
            for problem in problems:
                pointer = mask(problem.pointer) if problem.pointer else None
                self.output.finding(
                    Finding(mask(file), where, ex.method, url, status, kind, mask(problem.text), pointer)
                )


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    lower: dict[str, str] = {}
    for name, value in pairs:
        key = lower.setdefault(name.lower(), name)
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str, encoding: str | None) -> str:
    """One line, whatever the input held: control characters (a newline, a terminal escape) and what
    the stream cannot encode (a lone surrogate) are written as escapes."""
    text = _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
    encoding = encoding or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


class Output:
    """Text lines, or one JSON document, streamed: `{"findings": [` then each finding as it is
    judged, then `], ...the tally, "exit_code", "error", "not_judged"}`; closed in every outcome."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.written = 0

    @staticmethod
    def _write(text: str, to: IO[str]) -> None:
        to.write(text)

    def line(self, text: str, to: IO[str] | None = None) -> None:
        """A line of text that may hold input: printed as one line the stream can encode."""
        to = to or sys.stdout
        self._write(printable(text, getattr(to, "encoding", None)) + "\n", to)

    def start(self) -> None:
        if self.as_json:
            self._write('{\n  "findings": [', sys.stdout)

    def finding(self, finding: Finding) -> None:
        # Streamed, not kept: a capture of any size is judged in bounded memory.
        if self.as_json:  # json.dumps escapes every control and non-ASCII character
            self._write(("\n    " if not self.written else ",\n    ") + json.dumps(asdict(finding)), sys.stdout)
        else:
            self.line(finding.line())
        self.written += 1

    def close(self, tally: Tally, code: int, error: str | None) -> None:
        if error:
            self.line(f"{PROG}: {error}", sys.stderr)
        if self.as_json:
            rest = {**asdict(tally), "exit_code": code, "error": error, "not_judged": NOT_JUDGED}
            self._write(("\n  ]" if self.written else "]") + ",\n" + json.dumps(rest, indent=2)[2:] + "\n", sys.stdout)
            return
        if error:
            return
        unanswered = f", {tally.unanswered} without a response" if tally.unanswered else ""
        self.line(
            f"validate: {tally.judged} exchanges judged in {tally.files} files "
            f"({tally.skipped} entries skipped: not GET {SESSION_PATH}{{id}}{unanswered}); "
            f"{tally.failures} findings in {tally.failing_exchanges} exchanges, {tally.advisories} advisories; "
            f"{NOT_JUDGED}"
        )
        if not tally.judged:
            self.line("validate: nothing was judged: no body and no GET /v1/sessions/{id} exchange in the input")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 4 with one line, not argparse's 2 (which is "interrupted")
        raise _UsageError(message)


def _wants_json(argv: list[str]) -> bool:
    return any(
        a == "--format=json" or (a == "--format" and argv[i + 1 : i + 2] == ["json"]) for i, a in enumerate(argv)
    )


def _silence_stdout() -> None:
    """After a broken pipe (`validate big.har | head`): what is left goes nowhere, quietly."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    parser = _Parser(
        prog=PROG,
        description="Judge recorded or mock responses (JSON fixtures, JSON Lines, HAR 1.2) by the live rules.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        output = Output(_wants_json(argv))
        output.start()
        output.close(Tally(), exitcodes.USAGE, f"{exc} (usage: {PROG} PATH... [--format json])")
        return exitcodes.USAGE
    output = Output(args.format == "json")
    validator: Validator | None = None
    code, error = exitcodes.USAGE, None
    try:
        output.start()
        validator = Validator(output)
        validator.run(args.paths)
        code = exitcodes.FINDINGS if validator.tally.failures else exitcodes.CONFORMANT
    except Unreadable as exc:
        error = str(exc)
    except KeyboardInterrupt:
        code, error = exitcodes.INTERRUPTED, "interrupted"
    except BrokenPipeError:
        _silence_stdout()
        return exitcodes.FINDINGS if validator and validator.tally.failures else exitcodes.CONFORMANT
    except Exception as exc:  # a bug of the suite: one line that says where, never a traceback
        code = exitcodes.INTERNAL_ERROR
        at = f" at {validator.at}" if validator and validator.at else ""
        error = f"internal error of the suite{at}: {type(exc).__name__}: {str(exc)[:300]}"
    try:
        output.close(
            validator.tally if validator else Tally(),
            code,
            validator.secrets.mask(error) if validator and error else error,
        )
    except BrokenPipeError:
        _silence_stdout()
    return code

"""JSON read one entry at a time, in memory bounded by the entry, whatever the nesting depth.

ijson's `items()` and `parse()` keep a prefix string for every open level ("log.entries.item.x..."),
so memory grows with the square of the depth (a 200 KB `[[[[...` took 10.5 GB). Here only
`ijson.basic_parse`'s events are read (yajl keeps one byte per level), each HAR entry is built from
them with an explicit stack, and the read stops at the first container nested deeper than
MAX_DEPTH, before anything deeper is built. JSON Lines lines are measured the same way (strings
skipped, brackets counted) before Python's `json` parses them.

yajl reads integers of 64 bits (down to -(2**63 - 1)): a HAR holding a larger one is refused as
unreadable ("integer overflow"), never misread; so is a lone low surrogate escape ("\udc00"),
which its decoder cannot make text of (a lone high one becomes "?").
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import IO, Any

import ijson

# Containers (arrays and objects) one inside another, counted from the document's root. A HAR
# needs 6 (root, log, entries, entry, request, headers and one header object is 7); recorded
# bodies are strings inside it and are not counted (the Judge reads them with checks/strict_json.py).
MAX_DEPTH = 512
DEEP = f"nested deeper than {MAX_DEPTH} levels of arrays and objects (the reader stops there)"
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_KINDS = {"start_map": "an object", "start_array": "an array", "string": "a string", "number": "a number"}
_KINDS |= {"boolean": "a boolean", "null": "null"}


class Malformed(Exception):
    """Input that is not what its kind requires; `what` says why, `where` is "entry 3", "line 7" or ""."""

    def __init__(self, what: str, where: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.where = where


def kind(value: Any) -> str:
    """The JSON type of a parsed value, as a sentence says it ("an object", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", dict: "an object", list: "an array"}.get(type(value), type(value).__name__)


def _build(events: Iterator[tuple[str, Any]], event: str, value: Any, depth: int, keep: bool = True) -> Any:
    """The value whose first event is (event, value), read to its end; `depth` containers enclose it.

    keep=False skips the value (nothing is built). Opening a container past MAX_DEPTH raises."""
    if event not in _OPEN:
        return value
    if depth >= MAX_DEPTH:
        raise Malformed(DEEP)
    top: Any = ({} if event == "start_map" else []) if keep else None
    stack: list[Any] = []
    key = None
    level = depth + 1
    for event, value in events:
        if event == "map_key":
            key = value
        elif event in _OPEN:
            if level >= MAX_DEPTH:
                raise Malformed(DEEP)
            level += 1
            if keep:
                child: Any = {} if event == "start_map" else []
                if type(top) is dict:
                    top[key] = child
                else:
                    top.append(child)
                stack.append(top)
                top = child
        elif event in _CLOSE:
            level -= 1
            if level == depth:
                return top
            if keep:
                top = stack.pop()
        elif keep:
            if type(top) is dict:
                top[key] = value
            else:
                top.append(value)
    raise Malformed("truncated JSON: the file ends inside a value")


_YAJL = re.compile(r"(?:lexical|parse) error: (?:(?!\\n)[^\n])*")  # to a newline, or an escaped one


def _parser_error(exc: Exception) -> str:
    """yajl's sentence, never the input it quotes on the lines after it (which may hold a token)."""
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"a string is not UTF-8 text (invalid bytes, or a lone surrogate escape; byte {exc.object[exc.start]:#04x})"
        )
    sentence = _YAJL.search(str(exc))  # str() may be the repr of bytes, its newlines escaped
    return f"truncated or malformed JSON ({sentence[0].strip() if sentence else 'not JSON'})"


def har_entries(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """(index, entry) for each item of `log.entries`, read to the end of the document.

    Raises Malformed when the document is not JSON, is nested too deeply, has no `log` object
    with an `entries` array (HAR 1.2), names either twice, or has data after its end."""
    events = ijson.basic_parse(stream, use_float=True)
    index, where, after = 0, "", ""
    try:
        event, _ = next(events)
        if event != "start_map":
            raise Malformed(f"not a HAR: the document is {_KINDS[event]}, not an object with a log member")
        seen_log = False
        for _, name in events:  # the root's members: map_key ... end_map
            if name is None:
                break
            event, value = next(events)
            if name != "log":
                _build(events, event, value, 1, keep=False)
                continue
            if seen_log:
                raise Malformed("not a HAR: log appears twice")
            seen_log = True
            if event != "start_map":
                raise Malformed(f"not a HAR: log is {_KINDS[event]}, not an object")
            seen_entries = False
            for _, member in events:  # log's members
                if member is None:
                    break
                event, value = next(events)
                if member != "entries":
                    _build(events, event, value, 2, keep=False)
                    continue
                if seen_entries:
                    raise Malformed("not a HAR: log.entries appears twice")
                seen_entries = True
                if event != "start_array":
                    raise Malformed(f"not a HAR: log.entries is {_KINDS[event]}, not an array")
                for event, value in events:
                    if event == "end_array":
                        break
                    where = f"entry {index}"
                    entry = _build(events, event, value, 3)
                    where, after = "", f" after entry {index}"
                    yield index, entry
                    index += 1
            if not seen_entries:
                raise Malformed("not a HAR: log has no entries array (HAR 1.2 requires one, [] if empty)")
        if not seen_log:
            raise Malformed('not a HAR: no log member (HAR 1.2: {"log": {"entries": [...]}})')
        for _ in events:  # yajl raises on data after the document
            break
    except StopIteration:
        raise Malformed(f"truncated JSON{after}: the file ends inside the document", where) from None
    except Malformed as exc:
        raise Malformed(exc.what + ("" if exc.where or where else after), exc.where or where) from None
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise Malformed(_parser_error(exc) + ("" if where else after), where) from None


def starts_with_log(stream: IO[bytes]) -> bool:
    """Whether a document's first member is "log" (a HAR saved as .json), from its first events."""
    events = ijson.basic_parse(stream, buf_size=4096)
    try:
        return next(events)[0] == "start_map" and next(events) == ("map_key", "log")
    except (StopIteration, ijson.JSONError, UnicodeDecodeError):
        return False


# A string (to its closing quote, or the end of the line if it has none), then anything but brackets.
_STRING = re.compile(rb'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def too_deep(line: bytes) -> bool:
    """Whether a JSON text nests more than MAX_DEPTH containers (linear time, brackets in strings
    not counted), so that Python's recursive parser is never handed one."""
    if line.count(b"[") + line.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", line))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH


def json_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes, Any]]:
    """(line number, the line, its value) for each line that is not blank; a line that is not
    UTF-8 JSON, or nests too deeply, raises Malformed naming it."""
    for number, raw in enumerate(stream, 1):
        line = raw.strip()
        if not line:
            continue
        where = f"line {number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"not UTF-8 (byte {exc.object[exc.start]:#04x} at column {exc.start + 1})", where) from None
        if too_deep(line):
            raise Malformed(DEEP, where)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Malformed(f"not JSON ({exc.msg} at column {exc.colno})", where) from None
        except RecursionError:
            raise Malformed(DEEP, where) from None
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            raise Malformed(f"not JSON that can be read ({str(exc)[:120]})", where) from None
        yield number, line, value

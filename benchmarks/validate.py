"""Offline judging speed and memory: `chaser-conformance validate` on generated HAR captures.

    python benchmarks/validate.py [--entries 100000]
    python benchmarks/validate.py --smoke    # 1,000 entries, 1,000 deep: the same steps in seconds (CI runs it)

Writes HAR files of 10 % and 100 % of --entries (200s, 404s, 401s and a few faulty 200s; the
files are streamed to disk, never built in memory), judges each in a fresh process, and prints
entries per second and the process's peak resident memory. Memory should not grow with the file:
the ratio of the two peaks is printed. Not a test: numbers for the note, not a pass or a fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SESSION = {
    "created_at": "2026-11-01T09:30:00Z",
    "session_type": "browser",
    "status": "running",
    "endpoints": {"control": "wss://control.chaser.test/x", "video": None},
    "active_connection_leases": 2,
    "persistence": True,
    "workspace_id": "ws_1",
}


def entry(index: int) -> dict:
    sid = f"ses_{index:08d}"
    kind = index % 100
    headers = [{"name": "Authorization", "value": "Bearer bench-token-never-printed"}]
    if kind < 70:
        status, body = 200, {"id": sid, **SESSION}
    elif kind < 90:
        status, body = 404, {"error": "not_found"}
    elif kind < 99:
        status, body, headers = 401, {"error": "unauthorized"}, []
    else:
        status, body = 200, dict(SESSION)  # a faulty one: no id
    response_headers = [{"name": "Content-Type", "value": "application/json"}]
    if status == 401:
        response_headers.append({"name": "WWW-Authenticate", "value": 'Bearer realm="chaser"'})
    return {
        "startedDateTime": "2026-11-30T00:00:00.000Z",
        "time": 12.5,
        "request": {
            "method": "GET",
            "url": f"https://api.example.test/v1/sessions/{sid}",
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": response_headers,
            "cookies": [],
            "content": {"size": 0, "mimeType": "application/json", "text": json.dumps(body)},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 12, "receive": 0},
    }


def write_har(path: Path, entries: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('{"log": {"version": "1.2", "creator": {"name": "benchmark", "version": "1"}, "entries": [\n')
        for index in range(entries):
            out.write(("," if index else "") + json.dumps(entry(index)) + "\n")
        out.write("]}}\n")


def judge(path: Path, expected: int = 1) -> tuple[float, int, int]:
    """(seconds, peak resident KiB, exit code) of one `validate` run in a fresh process."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "chaser_conformance", "validate", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds, code = time.perf_counter() - started, os.waitstatus_to_exitcode(status)
        if code != expected:  # a capture: one entry in a hundred is faulty, findings, exit 1
            errors.seek(0)
            sys.exit(f"validate {path.name} exited {code}, not {expected}:\n{errors.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="--entries 1000")
    args = parser.parse_args()
    if args.smoke:
        args.entries = 1000
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for count in (args.entries // 10, args.entries):
            path = Path(folder, f"capture-{count}.har")
            write_har(path, count)
            seconds, peak, code = judge(path)
            size = path.stat().st_size / 2**20
            rows.append((count, size, seconds, peak))
            print(
                f"{count:>8} entries  {size:7.1f} MiB  {seconds:6.2f} s  {count / seconds:8.0f} entries/s  "
                f"peak RSS {peak / 1024:6.1f} MiB  (exit {code})",
                flush=True,
            )
        deep_rows(Path(folder), DEPTH // 100 if args.smoke else DEPTH)
    (small, _, _, small_peak), (large, _, _, large_peak) = rows
    print(f"file {large / small:.0f}x larger -> peak memory x{large_peak / small_peak:.2f}")


DEPTH = 100_000  # a small document nested this deep once cost ijson gigabytes (a path per level)
DEEP_BOUND_MIB = 200


def deep_rows(folder: Path, depth: int) -> None:
    """A document nested `depth` deep, as a fixture body (a finding), as a JSON Lines line and
    inside a HAR entry's structure (malformed input): peak memory must stay under the bound."""
    nested = "[" * depth + "]" * depth
    har_entry = entry(0)
    har_entry["request"]["comment"] = "@NESTED@"
    cases = {
        "fixture .json": ("deep.json", nested, 1),
        "JSON Lines line": ("deep.jsonl", nested + "\n", 4),
        "HAR entry member": (
            "deep.har",
            json.dumps({"log": {"version": "1.2", "entries": [har_entry]}}).replace('"@NESTED@"', nested),
            4,
        ),
    }
    for label, (name, text, expected) in cases.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        seconds, peak, code = judge(path, expected)
        verdict = "ok" if peak / 1024 < DEEP_BOUND_MIB else f"OVER {DEEP_BOUND_MIB} MiB"
        print(
            f"{depth:>8} deep  {label:<16} {seconds:6.2f} s  peak RSS {peak / 1024:6.1f} MiB  (exit {code}; {verdict})",
            flush=True,
        )


if __name__ == "__main__":
    main()

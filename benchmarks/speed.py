"""Speed of the suite, measured in one run on this machine, as ratios (not a test).

    python benchmarks/speed.py            # about two minutes on two cores
    python benchmarks/speed.py --smoke    # the same steps at a tiny size, in seconds (CI runs it)

Against one standalone reference server (its own process, so clients and server do not share
a GIL), it measures the same number of generated cases through
  1. the suite's property-based test (pytest, test_generated.py, `ci` profile: 500 fuzzing cases;
     the time inside the test is the sum of its parts' in junit.xml),
  2. plain Schemathesis CLI (`st run`) on the same spec, same server, same number of cases,
  3. a raw requests.Session loop (the ceiling),
then the wall time of each profile of the whole suite against the embedded server.
Requests are counted from the server's access log, so every client is measured the same way.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaser_conformance.settings.profiles import PROFILES  # noqa: E402

# The generated test is split into parts, one pytest test each: their times add up.
GENERATED_PART = re.compile(r"test_generated_requests_conform_part_\d+_of_(\d+)\b")
TOKEN = "demo-token-primary"
SESSIONS = "ses_full,ses_nulls,ses_minimal"


class Server:
    """`python -m chaser_conformance.server` in its own process; counts access-log lines."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chaser_conformance.server", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().split(" on ")[1].strip()
        for line in self.proc.stdout:
            if line.startswith("Ctrl-C"):
                break
        self.requests = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        for line in self.proc.stderr:
            if '" ' in line and "HTTP/1.1" in line:
                with self._lock:
                    self.requests += 1

    def count(self) -> int:
        with self._lock:
            return self.requests

    def settle(self) -> int:
        """The count once the log has caught up (it is read by a thread)."""
        last = -1
        while last != self.count():
            last = self.count()
            time.sleep(0.3)  # the access log is written asynchronously; wait until it is quiet
        return last

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return clean | extra


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    return time.perf_counter() - started, proc


def suite_generated(server: Server, reports: Path, profile: str) -> tuple[int, float, float]:
    before = server.settle()
    wall, proc = timed(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/conformance/test_generated.py"],
        env(
            CHASER_BASE_URL=server.url,
            CHASER_API_TOKEN=TOKEN,
            CHASER_SESSION_ID=SESSIONS,
            CHASER_PROFILE=profile,
            CHASER_SEED="1",
            CHASER_REPORTS_DIR=str(reports),
        ),
    )
    if proc.returncode != 0:
        sys.exit(f"suite run failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    sent = server.settle() - before - 1  # minus the reachability probe
    names_times = [
        (case.get("name", ""), float(case.get("time", 0)))
        for case in ET.parse(reports / "junit.xml").getroot().iter("testcase")
    ]
    parts = [(GENERATED_PART.match(name), seconds) for name, seconds in names_times]
    times = [seconds for match, seconds in parts if match]
    expected = PROFILES[profile].shards
    if len(times) != expected or {int(match.group(1)) for match, _ in parts if match} != {expected}:
        sys.exit(
            f"junit.xml has {len(times)} tests named like {GENERATED_PART.pattern!r}, the {profile} profile "
            f"has {expected} parts: was the generated test renamed? junit.xml names {[n for n, _ in names_times][:4]}"
        )
    if sent <= 0 or sum(times) <= 0:
        sys.exit(f"the generated test sent {sent} requests in {sum(times):.3f} s: nothing to measure")
    return sent, wall, sum(times)


def st_run(server: Server, cases: int) -> tuple[int, float]:
    beside = Path(sys.executable).with_name("st")  # this interpreter's, whether or not its venv is active
    st = str(beside) if beside.is_file() else shutil.which("st") or sys.exit("no `st` command (schemathesis) found")
    before = server.settle()
    wall, proc = timed(
        [
            st,
            "run",
            "openapi.yaml",
            "--url",
            server.url,
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "-n",
            str(cases),
            "--phases",
            "coverage,fuzzing",
            "--no-shrink",
            "--seed",
            "1",
            "--generation-database",
            "none",
        ],
        env(),
    )
    if "error" in proc.stdout.lower() and proc.returncode not in (0, 1):
        sys.exit(f"st run failed:\n{proc.stdout[-2000:]}")
    sent = server.settle() - before
    if sent <= 0:
        sys.exit(f"st run sent no request (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
    return sent, wall


def raw_loop(server: Server, count: int) -> tuple[int, float]:
    ids = SESSIONS.split(",") + ["nope"]
    with requests.Session() as http:
        started = time.perf_counter()
        for i in range(count):
            http.get(f"{server.url}/v1/sessions/{ids[i % 4]}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        return count, time.perf_counter() - started


def profile_wall(name: str, reports: Path) -> float:
    wall, proc = timed(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        env(CHASER_PROFILE=name, CHASER_REPORTS_DIR=str(reports)),
    )
    if proc.returncode != 0:
        sys.exit(f"profile {name} failed:\n{proc.stdout[-2000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke", action="store_true", help="every step at a tiny size: the quick profile, 200 raw reads"
    )
    args = parser.parse_args()
    profile, raw_count, profiles = ("quick", 200, ["quick"]) if args.smoke else ("ci", 2000, ["quick", "ci", "deep"])
    cases = PROFILES[profile].generated_cases
    reports = Path(tempfile.mkdtemp(prefix="chaser-bench-"))
    server = Server()
    try:
        timed([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"], env())  # warm caches
        suite_n, suite_wall, suite_in_test = suite_generated(server, reports, profile)
        st_n, st_wall = st_run(server, cases)
        raw_n, raw_wall = raw_loop(server, raw_count)
    finally:
        server.stop()
    suite_rate, suite_test_rate = suite_n / suite_wall, suite_n / suite_in_test
    st_rate, raw_rate = st_n / st_wall, raw_n / raw_wall
    print(
        f"suite (pytest, {profile} profile):  {suite_n:5d} requests in {suite_wall:6.2f} s wall = {suite_rate:7.1f}/s "
        f"({suite_test_rate:.1f}/s inside the test, {suite_in_test:.2f} s)"
    )
    print(f"st run (same spec, server):  {st_n:5d} requests in {st_wall:6.2f} s wall = {st_rate:7.1f}/s")
    print(f"raw requests.Session loop:   {raw_n:5d} requests in {raw_wall:6.2f} s      = {raw_rate:7.1f}/s")
    print(
        f"ratio suite/st-run: {suite_rate / st_rate:.2f} (whole commands), suite/raw: {suite_test_rate / raw_rate:.2f}"
    )
    for name in profiles:
        print(
            f"profile {name:<5}: whole suite against the embedded server, start-up included: "
            f"{profile_wall(name, reports / name):6.2f} s wall"
        )
    shutil.rmtree(reports, ignore_errors=True)


if __name__ == "__main__":
    main()

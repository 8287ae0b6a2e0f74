"""Parallel runs (pytest -n N) against a distant staging, emulated on loopback; ratios in one run.

    python benchmarks/parallel.py [--profile deep] [--latency 0,50] [--workers 2,4,8] [--repeat 1] [--catalogue]
    python benchmarks/parallel.py --smoke    # every step at a tiny size, in seconds (CI runs it)

For each latency (milliseconds added to every answer by the reference server, with 10 % jitter)
it runs, with one seed: the suite serially, the suite with -n N for each N, and `st run` on the
same spec and server with as many generated cases (its own best: --workers 8), and prints wall
time, requests and the speed-up over the serial run, and the throughput as the server saw it (its
requests per second over the middle 90 % of the run's requests: no start-up, report writing or
tail) and its ratio to the serial run's. With --repeat K each suite run is repeated K times, the runs of one
round back to back (so a slow minute of the machine hits them all), and medians are shown.
--catalogue then runs the fault catalogue's selftest serially and with every suite run under -n 4,
and compares the kill matrices. --smoke: the quick profile at 0 ms, serial and -n 2, and the
catalogue's first fault serially and under -n 2. Not a test: numbers for the note. At 50 ms a deep profile serially
takes several minutes; at 0 ms the profile soak (20,000 cases) shows the throughput of a long run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaser_conformance.contract.layout import SPEC_PATH  # noqa: E402
from chaser_conformance.server import Latency, serve_in_thread  # noqa: E402
from chaser_conformance.settings.profiles import PROFILES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261130"


def suite(base_url: str, store, profile: str, workers: int, reports: Path) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")} | {
        "CHASER_BASE_URL": base_url,
        "CHASER_API_TOKEN": str(store.primary.token),
        "CHASER_SESSION_ID": ",".join(store.primary.sessions),
        "CHASER_FOREIGN_SESSION_ID": next(iter(store.other.sessions)),
        "CHASER_SEED": SEED,
        "CHASER_PROFILE": profile,
        "CHASER_REPORTS_DIR": str(reports),
    }
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-n", str(workers)] if workers else [])
    started = time.perf_counter()
    run = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    sent = re.search(r"(\d+) requests sent", run.stdout)
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-2000:])
        raise SystemExit(f"the suite failed against the conformant server (exit {run.returncode})")
    if not sent or not int(sent.group(1)):
        raise SystemExit(f"no 'N requests sent' (N > 0) in the suite's terminal summary:\n{run.stdout[-2000:]}")
    return elapsed, int(sent.group(1))


def st_run(base_url: str, store, cases: int) -> tuple[float, int]:
    args = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(SPEC_PATH),
        "--url",
        base_url,
        "-H",
        f"Authorization: Bearer {store.primary.token}",
        "--max-examples",
        str(cases),
        "--phases",
        "fuzzing",
        "--workers",
        "8",
        "--seed",
        SEED,
        "--no-shrink",
        "--checks",
        "not_a_server_error",
    ]
    started = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True)
    return time.perf_counter() - started, run.returncode


def server_rate(server, sent: int) -> float:
    """Requests per second as the target saw them over the middle 90 % of the run's requests: the
    steady throughput, without the interpreters' start-up (nor the controller's reachability check
    and first reads, which come before it) and without the last tests' tail."""
    arrivals = list(server.app.arrivals)[-sent:]
    first, last = len(arrivals) // 20, len(arrivals) - 1 - len(arrivals) // 20
    return (last - first) / (arrivals[last] - arrivals[first]) if last > first else 0.0


def timings(latency_ms: float, profile: str, worker_counts: list[int], repeat: int) -> None:
    cases = PROFILES[profile].generated_cases
    latency = Latency(latency_ms, latency_ms / 10) if latency_ms else None
    print(f"\n== {latency_ms:g} ms a round trip, profile {profile} ({cases} generated cases), seed {SEED}")
    if repeat > 1:
        print(f"   medians of {repeat} rounds")
    print(f"{'run':<22}{'wall s':>9}{'requests':>10}{'req/s':>9}{'vs serial':>11}{'at server':>11}{'vs serial':>11}")
    with serve_in_thread(latency=latency) as server, tempfile.TemporaryDirectory() as folder:
        store = server.app.store
        walls: dict[int, list[float]] = {}
        rates: dict[int, list[float]] = {}
        sent_by: dict[int, int] = {}
        for _ in range(repeat):
            for workers in [0, *worker_counts]:
                seconds, sent = suite(server.base_url, store, profile, workers, Path(folder, f"n{workers}"))
                sent_by[workers] = sent
                walls.setdefault(workers, []).append(seconds)
                rates.setdefault(workers, []).append(server_rate(server, sent))
        serial, serial_rate = statistics.median(walls[0]), statistics.median(rates[0])

        def row(label: str, seconds: float, sent: int, rate: float, end: str = "") -> None:
            print(
                f"{label:<22}{seconds:>9.1f}{sent:>10}{sent / seconds:>9.0f}{serial / seconds:>10.2f}x"
                f"{rate:>11.0f}{rate / serial_rate:>10.2f}x{end}",
                flush=True,
            )

        for workers in [0, *worker_counts]:
            label = "suite, serial" if not workers else f"suite, -n {workers}"
            row(label, statistics.median(walls[workers]), sent_by[workers], statistics.median(rates[workers]))
        server.app.arrivals.clear()  # bounded (100,000): counted from empty, a long run's count stays right
        seconds, code = st_run(server.base_url, store, cases)
        sent = len(server.app.arrivals)
        row("st run --workers 8", seconds, sent, server_rate(server, sent), f"  (exit {code})")


CATALOGUE_TESTS = "tests/selftest/test_catalogue.py"


def first_fault_test() -> str:
    """The node id of the catalogue's first fault, whatever its name."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", CATALOGUE_TESTS, "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ids = [line for line in run.stdout.splitlines() if "::test_the_suite_catches_the_fault[" in line]
    if not ids:
        raise SystemExit(f"no test_the_suite_catches_the_fault[...] in {CATALOGUE_TESTS}:\n{run.stdout[-2000:]}")
    return ids[0]


def catalogue(tests: list[str], workers: int = 4) -> None:
    print(f"\n== fault catalogue: serial and with every suite run under -n {workers}")
    matrices = {}
    for label, extra in (("serial", ""), (f"-n {workers}", f"-n {workers}")):
        matrix = Path(tempfile.mkdtemp()) / "fault-matrix.txt"  # where tests/selftest/conftest.py writes it
        env = os.environ | {"CHASER_SELFTEST_SUITE_ARGS": extra, "CHASER_SELFTEST_MATRIX": str(matrix)}
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        written = matrix.read_text().splitlines() if matrix.is_file() else []
        lines = [line for line in written if re.match(r"^  \S+ +\S+ +", line)]
        matrices[label] = {line.split()[0]: line.split(None, 2)[2] for line in lines}
        kill = [line for line in run.stdout.splitlines() if line.startswith("kill rate")]
        if not kill or not lines:
            raise SystemExit(
                f"no kill matrix in the catalogue's output ({label}, exit {run.returncode}):\n{run.stdout[-3000:]}"
            )
        print(f"{label:<8} {time.perf_counter() - started:6.0f} s  {kill[-1]}")
    serial, parallel = matrices["serial"], matrices[f"-n {workers}"]
    differ = sorted(name for name in serial if serial[name] != parallel.get(name))
    print(f"switches whose catching tests differ: {len(differ)} of {len(serial)}")
    for name in differ:
        print(f"  {name}: serial {serial[name]!r} / -n {workers} {parallel.get(name)!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="deep", choices=sorted(PROFILES))
    parser.add_argument("--latency", default="0,50", help="milliseconds, comma-separated")
    parser.add_argument("--workers", default="2,4,8", help="values of -n, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each suite configuration (median shown)")
    parser.add_argument("--catalogue", action="store_true", help="also compare the kill matrix under -n 4")
    parser.add_argument("--smoke", action="store_true", help="every step at a tiny size (overrides the others)")
    args = parser.parse_args()
    if args.smoke:
        args.profile, args.latency, args.workers, args.repeat = "quick", "0", "2", 1
    for latency in (float(v) for v in args.latency.split(",") if v):
        timings(latency, args.profile, [int(n) for n in args.workers.split(",") if n], args.repeat)
    if args.smoke:
        catalogue([first_fault_test()], workers=2)
    elif args.catalogue:
        catalogue([CATALOGUE_TESTS])


if __name__ == "__main__":
    main()

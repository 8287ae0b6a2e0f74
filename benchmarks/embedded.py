"""A serial run against the embedded reference server, before vs now: wall time and requests sent.

    python benchmarks/embedded.py [--before 043a118] [--repeat 3] [--profile deep]
    python benchmarks/embedded.py --smoke    # --before HEAD --profile quick --repeat 1 (CI runs it)

Three arms, each `python -m pytest -p no:cacheprovider` in its own tree with no target configured
(so against its embedded server), CHASER_PROFILE, CHASER_SEED=20261130, a temporary
CHASER_REPORTS_DIR and PYTHONPATH set to that tree:
  before      a git worktree of --before (made in a temporary directory, removed after);
  now         this checkout, uncommitted changes included;
  now-thread  this checkout with its server put back in a thread of the pytest process (a probe
              plugin swaps serve_in_process for serve_in_thread): now-thread/now is what the
              server's own process is worth, before/now-thread what every other change is.
The probe plugin (`-p`) also writes down, from inside each pytest process, which
`chaser_conformance` it imported and whether the swap took effect: the script stops if either is
not as asked. The arms take turns in a rotating order, so that a slow minute of the machine hits
them all; medians are shown. All must send the same number of requests (the suite's "N requests
sent"), or the comparison is void and the script exits 1 after the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261130"
TARGET = 1.25  # the goal for the deep profile: now at least this much faster than before
ARMS = ("before", "now", "now-thread")
PROBE = "chaser_bench_probe"
PROBE_CODE = textwrap.dedent(
    """
    import json, os, sys

    CALLS = {"process": 0, "swapped": 0}
    try:
        import chaser_conformance.server.process as process
    except ImportError:  # a revision from before the server had a process of its own
        process = None
    if process is not None:
        from chaser_conformance.server import serve_in_thread

        started = process.serve_in_process

        def _counted(switches=(), **options):
            if os.environ.get("BENCH_SERVER_IN_THREAD"):
                CALLS["swapped"] += 1
                return serve_in_thread(switches, quiet=True)
            CALLS["process"] += 1
            return started(switches, **options)

        process.serve_in_process = _counted

    def pytest_unconfigure(config):
        module = sys.modules.get("chaser_conformance")
        with open(os.environ["BENCH_PROBE_OUT"], "w", encoding="utf-8") as out:
            json.dump({"package": getattr(module, "__file__", None), **CALLS}, out)
    """
)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def suite_env(tree: Path, profile: str, scratch: Path, arm: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHASER_", "BENCH_"))}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return (
        clean
        | {
            "CHASER_PROFILE": profile,
            "CHASER_SEED": SEED,
            "CHASER_REPORTS_DIR": str(scratch / f"reports-{arm}"),
            "BENCH_PROBE_OUT": str(scratch / f"probe-{arm}.json"),
            "PYTHONPATH": os.pathsep.join([str(tree), str(scratch / "probe")]),
        }
        | ({"BENCH_SERVER_IN_THREAD": "1"} if arm == "now-thread" else {})
    )


def warm_up(tree: Path, profile: str, scratch: Path, arm: str) -> None:
    """Collect once, untimed: a fresh worktree has no bytecode yet, and the first run would pay for it."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        env=suite_env(tree, profile, scratch, arm),
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def run_suite(tree: Path, profile: str, scratch: Path, arm: str) -> tuple[float, int, str]:
    env = suite_env(tree, profile, scratch, arm)
    reports, probe_out = Path(env["CHASER_REPORTS_DIR"]), Path(env["BENCH_PROBE_OUT"])
    shutil.rmtree(reports, ignore_errors=True)
    probe_out.unlink(missing_ok=True)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", PROBE],
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(
            f"{arm}: the suite failed against its embedded server (exit {run.returncode}):\n"
            f"{run.stdout[-2500:]}{run.stderr[-1500:]}"
        )
    probe = json.loads(probe_out.read_text(encoding="utf-8")) if probe_out.is_file() else {}
    package = Path(probe.get("package") or "/not-imported")
    if not package.resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"{arm}: pytest in {tree} imported chaser_conformance from {package}, not from its tree")
    if arm == "now-thread" and probe.get("swapped") != 1:
        raise SystemExit(f"{arm}: serve_in_process was swapped for a thread {probe.get('swapped')} times, not once")
    sent = re.search(r"(\d+) requests sent", run.stdout)
    if not sent or not int(sent.group(1)):
        raise SystemExit(f"{arm}: no 'N requests sent' (N > 0) in the terminal summary:\n{run.stdout[-2500:]}")
    return elapsed, int(sent.group(1)), "process" if probe.get("process") else "thread"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="043a118", help="the revision to compare with (default: 043a118)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each arm (median shown; default 3)")
    parser.add_argument("--profile", default="deep", help="CHASER_PROFILE of every run (default: deep)")
    parser.add_argument("--smoke", action="store_true", help="--before HEAD --profile quick --repeat 1: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.before, args.profile, args.repeat = "HEAD", "quick", 1
    before_rev = git("rev-parse", "--short", f"{args.before}^{{commit}}")
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    now_rev = f"{git('rev-parse', '--short', 'HEAD')}{dirty}"

    scratch = Path(tempfile.mkdtemp(prefix="chaser-embedded-bench-"))
    tree = scratch / "before"
    (scratch / "probe").mkdir()
    (scratch / "probe" / f"{PROBE}.py").write_text(PROBE_CODE, encoding="utf-8")
    git("worktree", "add", "--detach", str(tree), before_rev)
    trees = {"before": tree, "now": ROOT, "now-thread": ROOT}
    walls: dict[str, list[float]] = {arm: [] for arm in ARMS}
    sent: dict[str, set[int]] = {arm: set() for arm in ARMS}
    servers: dict[str, set[str]] = {arm: set() for arm in ARMS}  # where the run's server was, as the probe saw
    try:
        for arm in ("before", "now") if not args.smoke else ():  # a smoke run's numbers are not judged
            warm_up(trees[arm], args.profile, scratch, arm)
        for round_ in range(args.repeat):
            for arm in ARMS[round_ % 3 :] + ARMS[: round_ % 3]:  # before/now/now-thread, then now/now-thread/before...
                seconds, count, server = run_suite(trees[arm], args.profile, scratch, arm)
                walls[arm].append(seconds)
                sent[arm].add(count)
                servers[arm].add(server)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"serial, profile {args.profile}, seed {SEED}, against each tree's embedded server; medians of {args.repeat}")
    print(f"{'arm':<12}{'revision':<32}{'server':<10}{'wall s':>8}{'requests':>10}  each run (s)")
    medians = {arm: statistics.median(walls[arm]) for arm in ARMS}
    revisions = {"before": before_rev, "now": now_rev, "now-thread": now_rev}
    for arm in ARMS:
        each = " ".join(f"{s:.2f}" for s in walls[arm])
        counts = ",".join(str(n) for n in sorted(sent[arm]))
        server = ",".join(sorted(servers[arm]))
        print(f"{arm:<12}{revisions[arm]:<32}{server:<10}{medians[arm]:>8.2f}{counts:>10}  {each}")
    ratio = medians["before"] / medians["now"]
    print(f"before/now: {ratio:.2f}x ({'meets' if ratio >= TARGET else 'misses'} the target of {TARGET:.2f}x)")
    print(f"now-thread/now: {medians['now-thread'] / medians['now']:.2f}x (the server's own process alone)")
    print(f"before/now-thread: {medians['before'] / medians['now-thread']:.2f}x (every other change since before)")
    if len(set().union(*sent.values())) != 1:
        print(f"requests sent differ ({', '.join(f'{arm} {sorted(sent[arm])}' for arm in ARMS)}): not the same work")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A serial run against the embedded reference server, before vs now: wall time and requests sent.

    python benchmarks/embedded.py [--before 043a118] [--repeat 3] [--profile deep]
    python benchmarks/embedded.py --smoke    # --before HEAD --profile quick --repeat 1 (CI runs it)

`before` is a git worktree of --before (made in a temporary directory, removed after); `now` is this
checkout, uncommitted changes included. Each runs `python -m pytest -p no:cacheprovider` in its own
tree with no target configured (so against its embedded server), CHASER_PROFILE, CHASER_SEED=20261130,
a temporary CHASER_REPORTS_DIR, and PYTHONPATH set to that tree. A probe plugin (`-p`) writes down,
from inside each pytest process, which `chaser_conformance` it imported: the script stops if it is not
the tree's own. The runs alternate (before, now, now, before, ...) so that a slow minute of the
machine hits both; medians are shown. Both must send the same number of requests (the suite's
"N requests sent"), or the comparison is void and the script exits 1 after the table.
"""

from __future__ import annotations

import argparse
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
PROBE = "chaser_bench_probe"
PROBE_CODE = textwrap.dedent(
    """
    import os, sys

    def pytest_unconfigure(config):
        module = sys.modules.get("chaser_conformance")
        with open(os.environ["CHASER_BENCH_PROBE_OUT"], "w", encoding="utf-8") as out:
            out.write(getattr(module, "__file__", None) or "not imported")
    """
)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def suite_env(tree: Path, profile: str, scratch: Path, label: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_") and k != "PYTHONDONTWRITEBYTECODE"}
    return clean | {
        "CHASER_PROFILE": profile,
        "CHASER_SEED": SEED,
        "CHASER_REPORTS_DIR": str(scratch / f"reports-{label}"),
        "CHASER_BENCH_PROBE_OUT": str(scratch / f"probe-{label}.txt"),
        "PYTHONPATH": os.pathsep.join([str(tree), str(scratch / "probe")]),
    }


def warm_up(tree: Path, profile: str, scratch: Path, label: str) -> None:
    """Collect once, untimed: a fresh worktree has no bytecode yet, and the first run would pay for it."""
    subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        env=suite_env(tree, profile, scratch, label),
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )


def run_suite(tree: Path, profile: str, scratch: Path, label: str) -> tuple[float, int]:
    env = suite_env(tree, profile, scratch, label)
    reports, probe_out = Path(env["CHASER_REPORTS_DIR"]), Path(env["CHASER_BENCH_PROBE_OUT"])
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
            f"{label}: the suite failed against its embedded server (exit {run.returncode}):\n"
            f"{run.stdout[-2500:]}{run.stderr[-1500:]}"
        )
    imported = Path(probe_out.read_text(encoding="utf-8")) if probe_out.is_file() else None
    if imported is None or not imported.resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"{label}: pytest in {tree} imported chaser_conformance from {imported}, not from its tree")
    sent = re.search(r"(\d+) requests sent", run.stdout)
    if not sent or not int(sent.group(1)):
        raise SystemExit(f"{label}: no 'N requests sent' (N > 0) in the terminal summary:\n{run.stdout[-2500:]}")
    return elapsed, int(sent.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="043a118", help="the revision to compare with (default: 043a118)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median shown; default 3)")
    parser.add_argument("--profile", default="deep", help="CHASER_PROFILE of both runs (default: deep)")
    parser.add_argument("--smoke", action="store_true", help="--before HEAD --profile quick --repeat 1: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.before, args.profile, args.repeat = "HEAD", "quick", 1
    before_rev = git("rev-parse", "--short", f"{args.before}^{{commit}}")
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    now_label = f"{git('rev-parse', '--short', 'HEAD')}{dirty}"

    scratch = Path(tempfile.mkdtemp(prefix="chaser-embedded-bench-"))
    tree = scratch / "before"
    (scratch / "probe").mkdir()
    (scratch / "probe" / f"{PROBE}.py").write_text(PROBE_CODE, encoding="utf-8")
    git("worktree", "add", "--detach", str(tree), before_rev)
    try:
        trees = {"before": tree, "now": ROOT}
        walls: dict[str, list[float]] = {"before": [], "now": []}
        sent: dict[str, set[int]] = {"before": set(), "now": set()}
        for label, where in trees.items():
            warm_up(where, args.profile, scratch, label)
        for round_ in range(args.repeat):
            for label in ("before", "now") if round_ % 2 == 0 else ("now", "before"):
                seconds, count = run_suite(trees[label], args.profile, scratch, label)
                walls[label].append(seconds)
                sent[label].add(count)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"serial, profile {args.profile}, seed {SEED}, against each tree's embedded server; medians of {args.repeat}")
    print(f"{'run':<8}{'revision':<32}{'wall s':>8}{'requests':>10}  each run (s)")
    medians = {label: statistics.median(walls[label]) for label in walls}
    for label, revision in (("before", before_rev), ("now", now_label)):
        each = " ".join(f"{s:.2f}" for s in walls[label])
        counts = ",".join(str(n) for n in sorted(sent[label]))
        print(f"{label:<8}{revision:<32}{medians[label]:>8.2f}{counts:>10}  {each}")
    ratio = medians["before"] / medians["now"]
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"before/now: {ratio:.2f}x faster now ({verdict} the target of {TARGET:.2f}x)")
    if len(sent["before"] | sent["now"]) != 1:
        print(f"requests sent differ (before {sorted(sent['before'])}, now {sorted(sent['now'])}): not the same work")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

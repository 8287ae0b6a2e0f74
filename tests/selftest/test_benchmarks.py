"""Every benchmark runs: its --smoke mode takes the same steps at a tiny size, so a rename breaks it here.

Each prints a table; the rows it must have are named below, and each must carry finite numbers.
The numbers themselves are not judged: on a shared CI runner they are noise.
"""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 240  # ~30 s each on two idle cores; a CI runner under -n auto is slower
# A number standing alone (no exponent: a short commit hash such as 76e7782 is a word, not 7.6e7783).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?![\d.]|[eE][-+]?\d)|\b(?:nan|inf|infinity)\b", re.IGNORECASE)


def in_git_checkout():
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode == 0


BENCHMARKS = {
    "speed.py": [
        r"suite \(pytest, quick profile\): ",
        r"st run \(same spec, server\): ",
        r"raw requests\.Session loop: ",
        r"ratio suite/st-run: ",
        r"profile quick: ",
    ],
    "parallel.py": [
        r"suite, serial ",
        r"suite, -n 2 ",
        r"st run --workers 8 ",
        r"serial +\d+ s +kill rate 1/1 ",
        r"-n 2 +\d+ s +kill rate 1/1 ",
        r"switches whose catching tests differ: 0 of 1$",
    ],
    "validate.py": [
        r" +100 entries ",
        r" +1000 entries ",
        r" +1000 deep  HAR entry member .*; ok\)",
        r"file 10x larger -> peak memory x",
    ],
    "embedded.py": [
        r"before +\w+ +(thread|process) ",
        r"now +\w+ .*process ",
        r"now-thread +\w+ .*thread ",
        r"before/now: ",
        r"now-thread/now: ",
        r"before/now-thread: ",
    ],
}


def test_every_benchmark_has_a_smoke_run_here():
    assert sorted(BENCHMARKS) == sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", sorted(BENCHMARKS))
def test_the_benchmark_smoke_run_prints_its_table(script):
    if script == "embedded.py" and not in_git_checkout():
        pytest.skip("embedded.py compares git revisions: this is not a git checkout")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHASER_", "PYTEST_"))}
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    output = f"{run.stdout}\n--- stderr ---\n{run.stderr}"
    assert run.returncode == 0, output
    assert "Traceback" not in output, output
    lines = run.stdout.splitlines()
    for row in BENCHMARKS[script]:
        found = [line for line in lines if re.match(row, line)]
        assert len(found) == 1, f"{script}: no row (or several) like {row!r}:\n{output}"
        numbers = [float(n) for n in NUMBER.findall(found[0])]
        assert numbers and all(math.isfinite(n) for n in numbers), f"{script}: {found[0]!r}"
        assert any(n > 0 for n in numbers), f"{script}: {found[0]!r}"

"""Run the conformance suite in a subprocess exactly as a user does: same command, same settings path."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    output: str  # stdout and stderr together

    def outcome(self, test_name):
        """'PASSED'/'FAILED'/... for the first test whose node id contains test_name."""
        for line in self.output.splitlines():
            if "::" in line and test_name in line:
                for word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
                    if word in line:
                        return word
        return None


def run_suite(tmp_path, env=None, args=(), timeout=300):
    """`python -m pytest` from the project root, with a clean CHASER_* environment plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-rA",
        f"--junitxml={tmp_path / 'junit.xml'}",
        *args,
    ]
    proc = subprocess.run(
        command,
        cwd=ROOT,
        env=clean | dict(env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout + proc.stderr)

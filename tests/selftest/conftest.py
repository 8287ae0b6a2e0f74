"""Collects the fault catalogue's verdicts (also from xdist workers), writes the matrix to a file and
says its one-line summary."""

import collections
import os
import subprocess
from pathlib import Path

import pytest

from runner import checks_never_failed

_ROWS = []
_CHECKS = set()  # every conformance test function that the variants' runs ran
ROOT = Path(__file__).resolve().parents[2]


def grouped(tests):
    """'test_x[a]', 'test_x[b]', 'test_y' -> 'test_x (2), test_y': one entry per test function."""
    counts = collections.Counter(name.split("[", 1)[0] for name in tests)
    return ", ".join(f"{name} ({n})" if n > 1 else name for name, n in sorted(counts.items()))


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "chaser_catalogue":
            kind, switch, group, tests = value
            _ROWS.append((kind, switch, group, tests, report.passed))
        elif name == "chaser_checks":
            _CHECKS.update(value)


def never_failed():
    from chaser_conformance.server.catalogue import FAULTS

    return checks_never_failed(_ROWS, _CHECKS, {fault.name for fault in FAULTS})


def pytest_sessionfinish(session):
    if never_failed() and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def matrix_path():
    """Where the matrix is written: CHASER_SELFTEST_MATRIX, else reports/selftest/fault-matrix.txt."""
    return Path(os.environ.get("CHASER_SELFTEST_MATRIX") or ROOT / "reports" / "selftest" / "fault-matrix.txt")


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    """The whole matrix to a file; on the terminal, what is wrong in it (a fault not caught, a variant
    flagged) and the one line that sums it up."""
    if not _ROWS:
        return
    faults = sorted(r for r in _ROWS if r[0] == "fault")
    variants = sorted(r for r in _ROWS if r[0] == "variant")
    caught = sum(1 for r in faults if r[3])
    false_alarms = sum(1 for r in variants if r[3] or not r[4])
    rate = 100.0 * caught / len(faults) if faults else 0.0
    summary = f"kill rate {caught}/{len(faults)} ({rate:.1f} %), false alarms {false_alarms}/{len(variants)}"
    if never_failed():
        count = len(never_failed())
        summary += f", {count} conformance test{'s' if count > 1 else ''} failed against no fault"
    lines = ["fault catalogue: each fault and the tests of its kind (test_catalogue.CHECKS_OF) that caught it"]
    lines += [f"  {s:<42} {g:<12} {grouped(tests) if tests else 'NOT CAUGHT'}" for _, s, g, tests, _ in faults]
    lines += [f"  NEVER FAILED: {name}, against no fault of the catalogue" for name in never_failed()]
    lines.append("conformant variants: the verdict on each")
    lines += [f"  {s:<42} {g:<12} {'pass' if not t else 'FLAGGED by ' + grouped(t)}" for _, s, g, t, _ in variants]
    path = matrix_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*lines, summary]) + "\n")
    tr = terminalreporter
    tr.section("fault catalogue", sep="=")
    for line in lines:
        if line.endswith("NOT CAUGHT") or "FLAGGED by" in line or "NEVER FAILED" in line:
            tr.write_line(line)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    tr.write_line(f"{summary}; the matrix: {shown}", bold=True)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, (cert, key): the cert is its own CA bundle."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)

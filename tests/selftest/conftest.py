"""Collects the fault catalogue's verdicts (also from xdist workers) and prints the matrix."""

import collections

import pytest

_ROWS = []


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


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if not _ROWS:
        return
    tr = terminalreporter
    faults = sorted(r for r in _ROWS if r[0] == "fault")
    variants = sorted(r for r in _ROWS if r[0] == "variant")
    tr.section("fault catalogue: each fault and the tests that caught it", sep="=")
    for _, switch, group, tests, _ in faults:
        tr.write_line(f"  {switch:<42} {group:<12} {grouped(tests) if tests else 'NOT CAUGHT'}")
    tr.section("conformant variants: the verdict on each", sep="=")
    for _, switch, group, tests, _ in variants:
        tr.write_line(f"  {switch:<42} {group:<12} {'pass' if not tests else 'FLAGGED by ' + grouped(tests)}")
    caught = sum(1 for r in faults if r[3])
    false_alarms = sum(1 for r in variants if r[3] or not r[4])
    rate = 100.0 * caught / len(faults) if faults else 0.0
    tr.write_line(
        f"kill rate {caught}/{len(faults)} ({rate:.1f} %), false alarms {false_alarms}/{len(variants)}", bold=True
    )

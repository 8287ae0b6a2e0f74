"""Test reports the run makes itself, told to every plugin at once (pytest's summary, JUnit, HTML
and the run's model): tests that never ran, and the findings of reads no test made."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ..checks import Finding
from ..settings.secret import Secret, mask

REPORT_ATTRIBUTE = "chaser_findings"  # on a TestReport: the findings of that phase (Finding.to_dict)
OUTSIDE_TEST = "chaser::reads_outside_the_tests"  # the findings of the pre-flight and the probes


def not_run(config: pytest.Config, nodeid: str, why: str, like: pytest.TestReport | None = None) -> None:
    """Report a test as not run, to every plugin (pytest's summary, JUnit, HTML, this run)."""
    path, _, name = nodeid.partition("::")
    report = pytest.TestReport(nodeid, (path, None, name), {}, "skipped", (path, 0, f"Skipped: {why}"), "call")
    if like is not None and hasattr(like, "node"):
        report.node = like.node  # type: ignore[attr-defined]  # under -n: the same JUnit test case
    config.hook.pytest_runtest_logreport(report=report)


def report_outside(
    config: pytest.Config, session: pytest.Session, findings: list[Finding], tokens: tuple[Secret, ...]
) -> None:
    """The findings of the reads no test made (the pre-flight, the diagnosis' probe) as one failed
    test of their own; counted as collected, so that progress and totals add up."""
    path, _, name = OUTSIDE_TEST.partition("::")
    text = mask("\n\n".join(f.text() for f in findings), *tokens)
    report = pytest.TestReport(OUTSIDE_TEST, (path, None, name), {}, "failed", text, "call")
    setattr(report, REPORT_ATTRIBUTE, [replace(f, test=OUTSIDE_TEST).to_dict() for f in findings])
    session.testscollected += 1
    config.hook.pytest_runtest_logreport(report=report)  # the run waives it if a baseline covers its causes
    # pytest-html writes a test's row at its teardown.
    teardown = pytest.TestReport(OUTSIDE_TEST, (path, None, name), {}, "passed", None, "teardown")
    config.hook.pytest_runtest_logreport(report=teardown)
    if session.exitstatus == pytest.ExitCode.OK and report.failed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # decided before the session's end

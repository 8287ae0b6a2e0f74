"""A run's reports read back for the day-two commands: summary.json and failures.jsonl (the data
every renderer was made from; no rendered text is parsed). A directory that is not a run's
reports is one line (ReportsError), never a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import Finding
from ..checks.findings import Identity
from ..reports.model import shorten
from ..settings.redact import shown


class ReportsError(Exception):
    """A reports directory that cannot be used; str() is the one line to print (exit 4)."""


@dataclass
class Cause:
    """One cause of a saved run, by its full identity (rule, where, status, method, perspective): as
    a baseline's waivers name it and `compare` keys it."""

    identity: Identity
    title: str  # the identity's label and the first problem's text, shortened
    tests: list[str] = field(default_factory=list)


@dataclass
class RunReports:
    directory: Path
    summary: dict[str, Any]
    findings: list[Finding]

    def causes(self) -> dict[Identity, Cause]:
        """Every cause the run's findings show, waived ones included (they still fail), in the order seen."""
        causes: dict[Identity, Cause] = {}
        for finding in self.findings:
            for problem in finding.shown:
                identity = Identity.of(finding, problem)
                cause = causes.setdefault(identity, Cause(identity, shorten(f"{identity.label} {problem.text}")))
                if finding.test and finding.test not in cause.tests:
                    cause.tests.append(finding.test)
        return causes

    def errors(self) -> list[str]:
        """Failures that are not findings (errors of the suite or of the run): no cause to key them by."""
        return [c.get("title", "") for c in self.summary.get("causes", []) if c.get("rule") == "error"]


def read_reports(directory: Path) -> RunReports:
    where = shown(directory)
    if not directory.is_dir():
        raise ReportsError(f"{where} is not a directory of a run's reports")
    try:
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportsError(f"{where} has no summary.json: not the reports of a run") from None
    except (OSError, ValueError) as exc:
        raise ReportsError(f"{where}/summary.json cannot be read: {type(exc).__name__}") from None
    if not isinstance(summary, dict) or "verdict" not in summary:
        raise ReportsError(f"{where}/summary.json is not a run's summary")
    if "tests" in summary and not summary["tests"]:
        raise ReportsError(f"{where}: no test ran in that run ({summary.get('verdict_line', summary['verdict'])})")
    findings = []
    try:
        lines = (directory / "failures.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ReportsError(f"{where} has no failures.jsonl: not the reports of a finished run") from None
    except (OSError, ValueError) as exc:
        raise ReportsError(f"{where}/failures.jsonl cannot be read: {type(exc).__name__}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            findings.append(Finding.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ReportsError(f"{where}/failures.jsonl line {number} is not a finding of this suite") from None
    return RunReports(directory, summary, findings)

"""`chaser-conformance compare OLD_REPORTS NEW_REPORTS [--format text|markdown]`: the causes that
are new, fixed and still failing between two runs, as text or as Markdown for a pull-request
comment. A cause is keyed by its full identity, as the baseline is: rule, where (the pointer),
status, method and perspective (checks.findings.Identity), so the same rule at the same place with
another status, method or perspective is new. Exit 1 when anything is new."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..checks.findings import Identity
from ..contract import exitcodes
from .saved_reports import Cause, ReportsError, read_reports

PROG = "chaser-conformance compare"


def sets(old: dict[Identity, Cause], new: dict[Identity, Cause]) -> dict[str, list[Cause]]:
    return {
        "new": [c for k, c in new.items() if k not in old],
        "fixed": [c for k, c in old.items() if k not in new],
        "still failing": [c for k, c in new.items() if k in old],
    }


def _tests(cause: Cause) -> str:
    return f"{len(cause.tests)} test{'s' if len(cause.tests) != 1 else ''}"


def text(groups: dict[str, list[Cause]]) -> str:
    lines = [", ".join(f"{len(causes)} {name}" for name, causes in groups.items())]
    for name, causes in groups.items():
        if causes:
            lines.append(f"{name}:")
            lines += [f"  {c.title} ({_tests(c)})" for c in causes]
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;")


def markdown(groups: dict[str, list[Cause]]) -> str:
    head = ", ".join(f"{len(causes)} {name}" for name, causes in groups.items())
    lines = [f"### Chaser conformance: {head}", ""]
    if not any(groups.values()):
        return "\n".join([*lines, "No failing cause in either run."]) + "\n"
    lines += ["| | cause | tests |", "|---|---|---|"]
    marks = {"new": "🆕 new", "fixed": "✅ fixed", "still failing": "still failing"}
    for name, causes in groups.items():
        lines += [f"| {marks[name]} | {_md(c.title)} | {len(c.tests)} |" for c in causes]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="New, fixed and still-failing causes between two runs.")
    parser.add_argument("old", help="the reports directory of the earlier run (e.g. the main branch's)")
    parser.add_argument("new", help="the reports directory of the later run (e.g. the pull request's)")
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="text (default), or markdown for a pull-request comment or a job summary",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exitcodes.USAGE if exc.code else exitcodes.CONFORMANT
    try:
        old, new = read_reports(Path(args.old)), read_reports(Path(args.new))
    except ReportsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    groups = sets(old.causes(), new.causes())
    sys.stdout.write(markdown(groups) if args.format == "markdown" else text(groups))
    return exitcodes.FINDINGS if groups["new"] else exitcodes.CONFORMANT

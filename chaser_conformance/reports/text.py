"""Plain-text pieces shared by the terminal and Markdown renderers."""

from __future__ import annotations

import textwrap

from ..checks import COVERAGE_STATES, Advisory, Seen
from ..contract.rules import HARMS
from .model import RunModel

ELIDE_AT = 240


def elide(line: str, limit: int = ELIDE_AT) -> str:
    """A long line of an example (a 4 KB id in a URL, a big body) with its middle left out; the
    full text is in junit.xml, report.html and failures.jsonl."""
    if len(line) <= limit:
        return line
    keep = (limit - 30) // 2
    return f"{line[:keep]} …({len(line) - 2 * keep} characters elided)… {line[-keep:]}"


def tests_by_function(nodeids: list[str]) -> list[str]:
    """'test_x[a]', 'test_x[b]', 'test_y' -> ['test_x[a, b]', 'test_y']: one entry per test function."""
    grouped: dict[str, list[str]] = {}
    for nodeid in nodeids:
        name = nodeid.split("::")[-1]
        function, _, params = name.partition("[")
        grouped.setdefault(function, []).append(params.rstrip("]"))
    return [f"{f}[{', '.join(elide(p, 60) for p in ps)}]" if any(ps) else f for f, ps in grouped.items()]


def cause_lines(model: RunModel) -> list[str]:
    """The failures section: the diagnosis first, then each cause once, with one reproduction."""
    lines = []
    if model.diagnosis is not None:
        lines += [f"DIAGNOSIS: {model.diagnosis.message}", ""]
    ordered = model.causes.ordered()
    for number, cause in enumerate(ordered, 1):
        explained = " (explained by the diagnosis)" if model.explained(cause) else ""
        lines.append(f"cause {number} of {len(ordered)}: {cause.title} [{cause.tally}]{explained}")
        lines += ["  " + elide(line) for line in cause.example.splitlines()]
        lines += textwrap.wrap(
            "; ".join(tests_by_function(cause.tests)), 110, initial_indent="  tests: ", subsequent_indent="         "
        )
        lines.append("")
    return lines


# Strict mode fails every leniency and hygiene advisory; an inconclusive one never fails.
STRICT_NOTE = "CHASER_STRICT=1 or CHASER_RULES='rule=fail' fails leniency and hygiene; inconclusive never fails"


def advisory_lines(model: RunModel) -> list[str]:
    """The advisories, or why none are listed, with what strict mode does to them."""
    listed = model.advisories()
    hidden = len(model.record.advisories) - len(listed)
    if hidden:
        return [f"advisories: {hidden} not listed, as they follow from the diagnosis below (summary.json has them)"]
    if not listed:
        return ["advisories: none"]
    lines = [f"advisories ({len(listed)} cause{'s' if len(listed) != 1 else ''}; {STRICT_NOTE}):"]
    harm = None
    for advisory, seen in listed:
        if advisory.harm != harm:
            harm = advisory.harm
            lines.append(f"  {harm}: {HARMS[harm][0]}")
        lines.append(f"    {advisory_line(advisory, seen)}")
    return lines


def advisory_line(advisory: Advisory, seen: Seen) -> str:
    """One advisory cause: its label, its first text, how often and in which checks. Every channel's."""
    checks = ", ".join(seen.checks[:4]) + (f" and {len(seen.checks) - 4} more" if len(seen.checks) > 4 else "")
    return f"{advisory.label} {seen.message} (x{seen.count} in {checks})"


def coverage_lines(model: RunModel) -> list[str]:
    coverage = model.record.coverage
    width = max((len(p) for p in coverage), default=10)
    rows = [f"  {'field':<{width}}  " + "  ".join(f"{s:>6}" for s in COVERAGE_STATES)]
    for pointer, seen in coverage.items():
        rows.append(f"  {pointer:<{width}}  " + "  ".join(f"{seen[s]:>6}" for s in COVERAGE_STATES))
    return rows

"""summary.md, for a CI job summary: verdict, diagnosis, failures by cause, what did not run,
advisories, field coverage and a link to every report."""

from __future__ import annotations

import re
from pathlib import Path

from ..checks import COVERAGE_STATES
from ..contract.layout import spec_hash
from .model import OUTCOMES, RunModel
from .text import STRICT_NOTE, advisory_line, elide


def _md(text: str) -> str:
    """Text that Markdown shows as written (no emphasis from '*' or '_', no HTML from '<')."""
    return re.sub(r"([\\`*_<>\[\]|])", r"\\\1", text)


def markdown(model: RunModel, files: list[Path]) -> str:
    counts = model.counts
    _, line = model.verdict
    where = " (embedded reference server)" if model.target.embedded else ""
    lines = [
        f"# Chaser conformance: {line}",
        "",
        f"Target `{model.target.base_url}`{where}, profile `{model.profile}`, seed `{model.seed}` "
        f"(replay with `CHASER_SEED={model.seed}`), spec `{spec_hash()[:19]}`; {model.requests_line()}.",
        "",
    ]
    if model.stopped:
        lines += [f"> **Run stopped:** {_md(str(model.stopped))}", ""]
    if model.diagnosis:
        lines += [f"> **Diagnosis:** {model.diagnosis.message}", ""]
    hidden = len(model.record.advisories) - len(model.advisories())
    if model.token_line():
        lines += [f"{model.token_line()}.", ""]
    lines += [
        "| " + " | ".join("skipped (did not run)" if o == "skipped" else o for o in OUTCOMES) + " |",
        "|" + "---|" * len(OUTCOMES),
        "| " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |",
        "",
    ]
    causes = model.causes.ordered()
    if causes:
        lines += ["## Failures by cause", ""]
        for number, cause in enumerate(causes, 1):
            explained = " (explained by the diagnosis)" if model.explained(cause) else ""
            lines += [f"### {number}. {_md(cause.title)} ({_md(cause.tally)}){explained}", ""]
            lines += ["```text", *(elide(line) for line in cause.example.splitlines()), "```", ""]
            lines += [f"- `{t}`" for t in cause.tests]
            lines.append("")
    if model.notes:
        lines += ["## Waivers and baseline", "", *(f"- {_md(note)}" for note in model.notes), ""]
    not_run = model.tally.not_run_by_reason()
    if not_run:
        lines += ["## Did not run", ""]
        for reason, tests in not_run.items():
            lines += [f"- {_md(reason)} ({len(tests)}):", *(f"  - `{test}`" for test in tests)]
        lines.append("")
    advisories = model.advisories()
    if advisories:
        lines += [f"## Advisories (leniency, hygiene, inconclusive; {_md(STRICT_NOTE)})", ""]
        lines += [f"- {a.harm}: {_md(advisory_line(a, seen))}" for a, seen in advisories]
        lines.append("")
    elif hidden:
        lines += [f"{hidden} advisories are not listed: they follow from the diagnosis (summary.json has them).", ""]
    if not model.misconfigured:  # it saw no session: a table of zeros
        lines += [
            "## Field coverage (200 responses)",
            "",
            "| field | " + " | ".join(COVERAGE_STATES) + " |",
            "|---|" + "---|" * len(COVERAGE_STATES),
        ]
        lines += [
            f"| `{p}` | " + " | ".join(str(seen[s]) for s in COVERAGE_STATES) + " |"
            for p, seen in model.record.coverage.items()
        ]
        lines.append("")
    gaps = model.coverage_gaps()
    if gaps:
        lines += ["Not covered by this run: " + "; ".join(gaps) + ".", ""]
    lines += ["## Reports", ""] + [f"- [{f.name}]({f.name})" for f in files]
    return "\n".join(lines) + "\n"

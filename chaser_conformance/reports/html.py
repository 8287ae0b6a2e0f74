"""report.html (pytest-html): it opens with what a reader came for, as summary.md does: the
verdict, the target, then the causes with their reproduction; pytest-html's environment table
and per-test rows follow (report.css orders the page)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from .model import RunModel
from .text import STRICT_NOTE, advisory_line

CSS = Path(__file__).with_name("report.css")


def title(model: RunModel) -> str:
    return f"Chaser conformance: {model.target.base_url}"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def prefix(model: RunModel) -> list[str]:
    word, line = model.verdict
    colour = "#1a7f37" if word == "conformant" else "#cf222e"
    parts = [
        f'<p class="chaser-verdict" style="color:{colour}">Verdict: {escape(line)}</p>',
        f"<p>Target: {escape(model.target.label)}; profile {escape(model.profile)}; "
        f"seed <code>{model.seed}</code> (replay: <code>CHASER_SEED={model.seed}</code>); "
        f"{escape(model.requests_line())}</p>",
    ]
    if model.stopped:
        parts.append(f"<p><strong>Run stopped:</strong> {escape(str(model.stopped))}</p>")
    if model.diagnosis:
        parts.append(f"<p><strong>Diagnosis:</strong> {escape(model.diagnosis.message)}</p>")
    causes = model.causes.ordered()
    if causes:
        parts.append(f"<h2>Failures by cause ({len(causes)})</h2>")
    for number, cause in enumerate(causes, 1):
        explained = " (explained by the diagnosis)" if model.explained(cause) else ""
        parts.append(
            f"<h3>{number}. {escape(cause.title)} ({escape(cause.tally)}){escape(explained)}</h3>"
            f'<pre class="chaser-example">{escape(cause.example)}</pre>'
            f"<details><summary>tests</summary>{_list([f'<code>{escape(t)}</code>' for t in cause.tests])}</details>"
        )
    not_run = model.tally.not_run_by_reason()
    if not_run:
        parts.append(
            "<h2>Did not run</h2>"
            + _list(
                [
                    f"{escape(reason)} ({len(tests)})<details><summary>tests</summary>"
                    f"{_list([f'<code>{escape(t)}</code>' for t in tests])}</details>"
                    for reason, tests in not_run.items()
                ]
            )
        )
    advisories = [f"{escape(a.harm)}: {escape(advisory_line(a, seen))}" for a, seen in model.advisories()]
    hidden = len(model.record.advisories) - len(advisories)
    if hidden:
        advisories = [f"{hidden} not listed: they follow from the diagnosis (summary.json has them)"]
    parts.append(f"<h2>Advisories ({escape(STRICT_NOTE)})</h2>" + _list(advisories or ["none"]))
    header = "".join(f"<th>{s}</th>" for s in ("field", "value", "null", "absent"))
    body = "".join(
        f"<tr><td><code>{escape(p)}</code></td>"
        + "".join(f"<td>{seen[s]}</td>" for s in ("value", "null", "absent"))
        + "</tr>"
        for p, seen in model.record.coverage.items()
    )
    gaps = model.coverage_gaps()
    parts.append(
        f"<h2>Field coverage of 200 responses</h2><table><tr>{header}</tr>{body}</table>"
        + (f"<p>Advisory, not covered:</p>{_list([escape(g) for g in gaps])}" if gaps else "")
    )
    parts.append("<h2>Configuration (token masked)</h2>" + _list([escape(c) for c in model.configuration]))
    parts.append("<h2>Tests</h2>")
    return parts

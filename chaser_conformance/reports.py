"""Artifacts a CI user can act on: JSON and Markdown summaries, failing exchanges, the leak scan.

JUnit XML and the HTML report come from pytest itself and pytest-html; this module adds
what they do not carry (field coverage, advisories, the redacted configuration, the
seed) and, last, searches every artifact of the run for the token.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import COVERAGE_STATES, RunRecord, parse_violation
from .client import Target
from .diagnosis import Diagnosis
from .spec import SPEC_PATH

OUTCOMES = ("passed", "failed", "error", "skipped", "waived", "xpassed")
# Worst first: a test's one outcome is the worst of its setup, call and teardown reports. A test
# skipped in its call phase passed its setup, and it did not run: "skipped" outranks "passed".
_PRECEDENCE = ("error", "failed", "waived", "xpassed", "skipped", "passed")


@dataclass
class Tally:
    """Each test's one outcome, from its setup, call and teardown reports: the table that every
    channel (terminal, JSON, Markdown) renders, and that JUnit and HTML agree with."""

    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # first failure text, or why it did not run

    def add(self, nodeid: str, when: str, outcome: str, wasxfail: bool, message: str) -> None:
        if outcome == "failed":
            kind = "failed" if when == "call" else "error"
        elif outcome == "skipped":
            kind = "waived" if wasxfail else "skipped"
        else:
            kind = "xpassed" if wasxfail and when == "call" else "passed"
        if kind in ("failed", "error", "skipped") and nodeid not in self.messages:
            self.messages[nodeid] = message
        current = self.outcomes.get(nodeid)
        if current is None or _PRECEDENCE.index(kind) < _PRECEDENCE.index(current):
            self.outcomes[nodeid] = kind

    def counts(self) -> dict[str, int]:
        seen = Counter(self.outcomes.values())
        return {o: seen.get(o, 0) for o in OUTCOMES}

    def not_run(self) -> dict[str, str]:
        """Tests that did not run, with the reason (naming the setting that would make them run)."""
        return {n: self.messages.get(n, "") for n, o in sorted(self.outcomes.items()) if o == "skipped"}


def verdict(counts: dict[str, int], stopped: bool = False) -> tuple[str, str]:
    """(verdict, the line that says it): the same words in the terminal, JSON, Markdown and HTML."""
    if counts["failed"] or counts["error"]:
        word = "not conformant"
    elif stopped:
        word = "incomplete"
    elif not counts["passed"]:
        word = "nothing checked"
    else:
        word = "conformant"
    parts = [f"{counts['passed']} passed"]
    parts += [f"{counts[o]} {o}" for o in ("failed", "error", "waived", "xpassed") if counts[o]]
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} did not run")
    return word, f"{word}: " + ", ".join(parts)


def spec_hash() -> str:
    return "sha256:" + hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()


def summary(
    configuration: list[str],
    target: Target,
    profile: str,
    seed: int,
    tally: Tally,
    record: RunRecord,
    stopped: bool = False,
    causes: Causes | None = None,
    diagnosis: Diagnosis | None = None,
    workers: dict[str, str] | None = None,
) -> dict[str, Any]:
    counts = tally.counts()
    word, line = verdict(counts, stopped)
    return {
        "target": {
            "base_url": target.base_url,
            "embedded": target.embedded,
            "session_ids": list(target.session_ids),
            "foreign_session_id": target.foreign_session_id,
            # pytest -n: the base URL each worker used (one target, one embedded server, for all)
            "workers": dict(sorted((workers or {}).items())),
        },
        "configuration": configuration,  # the values used, token masked
        "spec": {"path": SPEC_PATH.name, "hash": spec_hash()},
        "profile": profile,
        "seed": seed,
        "replay": f"CHASER_SEED={seed}",
        "verdict": word,
        "verdict_line": line,
        "counts": counts,
        "not_run": [{"test": n, "reason": r} for n, r in tally.not_run().items()],
        "diagnosis": diagnosis.message if diagnosis else None,
        "causes": [
            {
                "title": c.title,
                "status": c.status,
                "explained_by_diagnosis": bool(diagnosis and diagnosis.explains(c.status)),
                "tests": c.tests,
                "example": c.example,
            }
            for c in (causes.ordered() if causes else [])
        ],
        "tests": [
            {"test": n, "outcome": o, **({"message": tally.messages[n]} if n in tally.messages else {})}
            for n, o in sorted(tally.outcomes.items())
        ],
        "exchanges_judged": dict(sorted(record.judged.items())),
        "advisories": [
            {"check": a.check, "message": a.message, "count": n}
            for a, n in sorted(record.advisories.items(), key=lambda kv: (kv[0].check, kv[0].message))
        ],
        "field_coverage": record.coverage,
        "coverage_gaps": record.coverage_gaps(),
        "failing_exchanges": len(record.failures),
    }


def markdown(data: dict[str, Any], files: list[Path]) -> str:
    """summary.md, for a CI job summary: verdict, diagnosis, failures by cause, what did not run,
    advisories, field coverage and a link to every report."""
    counts = data["counts"]
    where = " (embedded reference server)" if data["target"]["embedded"] else ""
    lines = [
        f"# Chaser conformance: {data['verdict_line']}",
        "",
        f"Target `{data['target']['base_url']}`{where}, profile `{data['profile']}`, seed `{data['seed']}` "
        f"(replay with `{data['replay']}`), spec `{data['spec']['hash'][:19]}`.",
        "",
    ]
    if data["diagnosis"]:
        lines += [f"> **Diagnosis:** {data['diagnosis']}", ""]
    lines += [
        "| " + " | ".join("skipped (did not run)" if o == "skipped" else o for o in OUTCOMES) + " |",
        "|" + "---|" * len(OUTCOMES),
        "| " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |",
        "",
    ]
    if data["causes"]:
        lines += ["## Failures by cause", ""]
        for number, cause in enumerate(data["causes"], 1):
            explained = " (explained by the diagnosis)" if cause["explained_by_diagnosis"] else ""
            count = f"{len(cause['tests'])} test" + ("s" if len(cause["tests"]) > 1 else "")
            lines += [f"### {number}. {_md(elide(cause['title']))} ({count}){explained}", ""]
            lines += ["```text", *(elide(line) for line in cause["example"].splitlines()), "```", ""]
            lines += [f"- `{t}`" for t in cause["tests"]]
            lines.append("")
    if data["not_run"]:
        lines += ["## Did not run", ""]
        lines += [f"- `{t['test']}`: {t['reason']}" for t in data["not_run"]]
        lines.append("")
    if data["advisories"]:
        lines += ["## Advisories (spec gaps; `CHASER_STRICT=1` fails them)", ""]
        lines += [f"- [{a['check']}] {_md(a['message'])} (x{a['count']})" for a in data["advisories"]]
        lines.append("")
    lines += [
        "## Field coverage (200 responses)",
        "",
        "| field | " + " | ".join(COVERAGE_STATES) + " |",
        "|---|" + "---|" * len(COVERAGE_STATES),
    ]
    lines += [
        f"| `{p}` | " + " | ".join(str(seen[s]) for s in COVERAGE_STATES) + " |"
        for p, seen in data["field_coverage"].items()
    ]
    if data["coverage_gaps"]:
        lines += ["", "Not covered by this run: " + "; ".join(data["coverage_gaps"]) + "."]
    lines += ["", "## Reports", ""] + [f"- [{f.name}]({f.name})" for f in files]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text that Markdown shows as written (no emphasis from '*' or '_', no HTML from '<')."""
    return re.sub(r"([\\`*_<>\[\]|])", r"\\\1", text)


def coverage_lines(record: RunRecord) -> list[str]:
    width = max((len(p) for p in record.coverage), default=10)
    rows = [f"  {'field':<{width}}  " + "  ".join(f"{s:>6}" for s in COVERAGE_STATES)]
    for pointer, seen in record.coverage.items():
        rows.append(f"  {pointer:<{width}}  " + "  ".join(f"{seen[s]:>6}" for s in COVERAGE_STATES))
    return rows


def write_artifacts(directory: Path, data: dict[str, Any], record: RunRecord, others: list[Path]) -> list[Path]:
    """failures.jsonl, summary.json and summary.md; `others` (JUnit, HTML) are linked from the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    path = directory / "failures.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in record.failures), encoding="utf-8")
    written.append(path)
    path = directory / "summary.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    path = directory / "summary.md"
    path.write_text(markdown(data, [*others, *written, path]), encoding="utf-8")
    written.append(path)
    return written


def find_secret(paths: list[Path], secret: str) -> list[Path]:
    """Files among `paths` (directories searched recursively) that contain the secret."""
    needle = secret.encode()
    hits = []
    for path in paths:
        for candidate in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if candidate.is_file() and needle in candidate.read_bytes():
                hits.append(candidate)
    return hits


# --- failures grouped by cause -------------------------------------------------------------------

ELIDE_AT = 240


def elide(line: str, limit: int = ELIDE_AT) -> str:
    """A long line (a 4 KB id in a URL, a big body) with its middle left out; the full text is in
    junit.xml, report.html and failures.jsonl."""
    if len(line) <= limit:
        return line
    keep = (limit - 30) // 2
    return f"{line[:keep]} …({len(line) - 2 * keep} characters elided)… {line[-keep:]}"


def _normalised(problem: str) -> str:
    # The same rule broken the same way: quoted values (ids, URLs) and explanations in parentheses
    # differ from test to test, the rule does not.
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", problem)
    text = re.sub(r"\([^()]*\)", "", text)
    return " ".join(text.split())


@dataclass
class Cause:
    title: str  # the first failure's problem lines, as it gave them
    example: str  # the first failure's whole text: its reproduction
    status: int | None  # the status of the exchange that failed, if it was one
    tests: list[str] = field(default_factory=list)


@dataclass
class Causes:
    """Failures grouped by cause (the same problems, up to the values they quote), in first-seen order."""

    by_key: dict[tuple[str, ...], Cause] = field(default_factory=dict)

    def add(self, nodeid: str, text: str) -> None:
        parsed = parse_violation(text)
        if parsed is not None:
            problems = parsed.problems or (parsed.head,)
            # Schemathesis' own findings (ST108 ...) repeat the suite's when both are there.
            own = [p for p in problems if not re.match(r"ST\d{3} ", p)] or problems
            key = tuple(_normalised(p) for p in own)
            title, status = "; ".join(problems), parsed.status
        else:
            # Not a contract violation (a request without an answer, an error in the suite): its message.
            errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
            title = (errors or [line for line in text.strip().splitlines() if line.strip()] or ["(no message)"])[0]
            key, status = ("other", _normalised(title)), None
        cause = self.by_key.setdefault(key, Cause(title, text.strip("\n"), status))
        if nodeid not in cause.tests:
            cause.tests.append(nodeid)

    def __len__(self) -> int:
        return len(self.by_key)

    def ordered(self) -> list[Cause]:
        return sorted(self.by_key.values(), key=lambda c: -len(c.tests))


def tests_by_function(nodeids: list[str]) -> list[str]:
    """'test_x[a]', 'test_x[b]', 'test_y' -> ['test_x[a, b]', 'test_y']: one entry per test function."""
    grouped: dict[str, list[str]] = {}
    for nodeid in nodeids:
        name = nodeid.split("::")[-1]
        function, _, params = name.partition("[")
        grouped.setdefault(function, []).append(params.rstrip("]"))
    return [f"{f}[{', '.join(elide(p, 60) for p in ps)}]" if any(ps) else f for f, ps in grouped.items()]


def cause_lines(causes: Causes, diagnosis: Diagnosis | None) -> list[str]:
    """The terminal's failures section: the diagnosis first, then each cause once, with one reproduction."""
    lines = []
    if diagnosis is not None:
        lines += [f"DIAGNOSIS: {diagnosis.message}", ""]
    ordered = causes.ordered()
    for number, cause in enumerate(ordered, 1):
        explained = " (explained by the diagnosis)" if diagnosis and diagnosis.explains(cause.status) else ""
        count = f"{len(cause.tests)} test" + ("s" if len(cause.tests) > 1 else "")
        lines.append(f"cause {number} of {len(ordered)}: {elide(cause.title)} [{count}]{explained}")
        lines += ["  " + elide(line) for line in cause.example.splitlines()]
        lines += textwrap.wrap(
            "; ".join(tests_by_function(cause.tests)), 110, initial_indent="  tests: ", subsequent_indent="         "
        )
        lines.append("")
    return lines

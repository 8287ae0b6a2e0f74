"""The run model: every test's one outcome, the findings, the causes they group into, and what the
run saw. Built once, at the end of a run (on the controller under pytest -n), and read by every
renderer: the terminal, summary.json, summary.md, failures.jsonl and the HTML report. JUnit gets
the same finding text through pytest's own report of each test.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import Finding, RunRecord
from ..checks.diagnosis import Diagnosis
from ..contract import rules
from ..contract.layout import spec_hash
from ..contract.rules import HARMS, Levels
from ..transport.client import RunStopped, Target

OUTCOMES = ("passed", "failed", "error", "skipped", "waived", "xpassed")
# Worst first: a test's one outcome is the worst of its setup, call and teardown reports. A test
# skipped in its call phase passed its setup, and it did not run: "skipped" outranks "passed".
_PRECEDENCE = ("error", "failed", "waived", "xpassed", "skipped", "passed")
TITLE_AT = 160


@dataclass
class Tally:
    """Each test's one outcome, from its setup, call and teardown reports."""

    outcomes: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # first failure text, or why it did not run

    def add(self, nodeid: str, when: str, outcome: str, wasxfail: bool, message: str) -> None:
        if outcome == "passed" and when != "call":
            return  # a setup or teardown that passed says nothing: only the call phase passes a test
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

    def not_run_by_reason(self) -> dict[str, list[str]]:
        """The same, one entry per reason (a stop or a missing setting skips dozens alike)."""
        grouped: dict[str, list[str]] = {}
        for nodeid, reason in self.not_run().items():
            grouped.setdefault(reason, []).append(nodeid)
        return grouped


# Every word a run's verdict can be: the README's table has a row for each (a selftest checks).
VERDICTS = (
    "conformant",
    "not conformant",
    "misconfigured",
    "incomplete",
    "nothing checked",
    "interrupted",
    "unreachable",
    "usage error",
    "token expired",
)


def verdict(counts: dict[str, int], stopped: bool = False, ending: str | None = None) -> tuple[str, str]:
    """(verdict, the line that says it): the same words in every channel.

    `ending`: how a run that did not finish ended ("interrupted", "unreachable", "usage error"), or
    "misconfigured" (the diagnosis explains every failure): then that is the verdict, whatever
    passed before it; never "conformant"."""
    if ending:
        word = ending
    elif counts["failed"] or counts["error"]:
        word = "not conformant"
    elif stopped:
        word = "incomplete"
    elif not counts["passed"]:
        word = "nothing checked"
    else:
        word = "conformant"
    if word not in VERDICTS:
        raise ValueError(f"{word!r} is not a verdict of the README's table")
    parts = [f"{counts['passed']} passed"]
    parts += [f"{counts[o]} {o}" for o in ("failed", "error", "waived", "xpassed") if counts[o]]
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} did not run")
    return word, f"{word}: " + ", ".join(parts)


def shorten(text: str, limit: int = TITLE_AT) -> str:
    """A title that fits a line: cut at the end, never in the middle; the whole text follows it."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Cause:
    """One rule broken at one place (a JSON pointer, or none), whatever the id, method or test."""

    rule: str
    pointer: str
    title: str
    example: str  # the first failure's whole text: its reproduction
    status: int | None  # the status of that exchange, None when it was not an exchange
    tests: list[str] = field(default_factory=list)
    input: str = ""  # the example's input (the id it asked for)
    where: str = ""  # where the rule bites: the pointer, or "500 to HEAD", a perspective, a header

    @property
    def tally(self) -> str:
        """'3 tests; exposure': how many tests show it, and its class (rules.py). Every channel's."""
        count = f"{len(self.tests)} test" + ("s" if len(self.tests) > 1 else "")
        harm = rule_class(self.rule)
        return f"{count}; {harm}" if harm else count


@dataclass
class Causes:
    by_key: dict[tuple[str, str], Cause] = field(default_factory=dict)

    def add_finding(self, nodeid: str, finding: Finding) -> None:
        for problem in finding.shown:
            cause = self.by_key.get(problem.key)
            if cause is None or len(finding.input) < len(cause.input):
                # The example is the smallest input that shows the cause: the easiest to reproduce.
                title = f"{problem.label} {shorten(problem.text)}"
                tests = cause.tests if cause else []
                cause = self.by_key[problem.key] = Cause(
                    problem.rule,
                    problem.pointer,
                    title,
                    finding.text(),
                    finding.status,
                    tests,
                    finding.input,
                    problem.key[1],
                )
            if nodeid not in cause.tests:
                cause.tests.append(nodeid)

    def add_error(self, nodeid: str, headline: str, text: str) -> None:
        """A failure that is not a finding (an error in the suite, a stopped run): keyed by its
        headline (its exception's line, else the text's first line)."""
        first = headline or next((line for line in text.strip().splitlines() if line.strip()), "(no message)")
        key = ("error", " ".join(re.sub(r"'[^']*'|\"[^\"]*\"|\([^()]*\)", "…", first).split()))
        cause = self.by_key.setdefault(key, Cause("error", "", shorten(first), text.strip("\n"), None))
        if nodeid not in cause.tests:
            cause.tests.append(nodeid)

    def __len__(self) -> int:
        return len(self.by_key)

    def ordered(self) -> list[Cause]:
        return sorted(self.by_key.values(), key=lambda c: -len(c.tests))


@dataclass
class RunModel:
    """What every renderer reads. Texts in it are masked."""

    target: Target
    profile: str
    seed: int
    configuration: list[str]  # one line per setting, with its source (token masked)
    tally: Tally = field(default_factory=Tally)
    findings: list[Finding] = field(default_factory=list)  # with the test that found each
    causes: Causes = field(default_factory=Causes)
    record: RunRecord = field(default_factory=RunRecord)
    stopped: RunStopped | None = None
    diagnosis: Diagnosis | None = None
    workers: dict[str, str] = field(default_factory=dict)  # pytest -n: worker -> base URL it used
    sent: int = 0
    resent: int = 0  # of them, sent again by the client on its own (connections.py)
    cap: int = 0
    files: list[Path] = field(default_factory=list)  # every report written, for the links
    leaks: list[Path] = field(default_factory=list)
    unwritten: list[str] = field(default_factory=list)  # the reports that could not be written, and why
    notes: list[str] = field(default_factory=list)  # waiver lines and the like, for the terminal
    ending: str | None = None  # "interrupted", "unreachable", "usage error": a run that did not finish
    token: dict[str, Any] | None = None  # a configured target's token: its source, refreshes (tokens.py)
    levels: Levels = field(default_factory=Levels)

    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)
        self.causes.add_finding(finding.test, finding)

    def worker(self, name: str, base_url: str) -> None:
        """pytest -n: a worker of the run and the base URL it used."""
        self.workers[name] = base_url

    def conclude(
        self,
        *,
        stopped: RunStopped | None,
        configuration: list[str],
        sent: int,
        cap: int,
        resent: int = 0,
        diagnosis: Diagnosis | None,
        notes: list[str],
        ending: str | None,
        token: dict[str, Any] | None,
    ) -> None:
        """How the run ended, as the run decided it (run.Run.finish), before any channel renders it."""
        self.stopped, self.configuration, self.sent, self.cap, self.resent = stopped, configuration, sent, cap, resent
        self.diagnosis, self.notes, self.ending, self.token = diagnosis, notes, ending, token

    def written(self, files: list[Path], leaks: list[Path], unwritten: list[str] | None = None) -> None:
        """The reports written, and those the token was found in."""
        self.files, self.leaks, self.unwritten = files, leaks, unwritten or []

    @property
    def counts(self) -> dict[str, int]:
        return self.tally.counts()

    @property
    def misconfigured(self) -> bool:
        """The diagnosis explains every failure: the run judged the setup (a wrong token, path prefix
        or session ids), not the API, so its verdict says so rather than "not conformant"."""
        causes = self.causes.ordered()
        finished = not (self.ending or self.stopped)
        return bool(finished and self.diagnosis and causes and all(self.explained(c) for c in causes))

    @property
    def verdict(self) -> tuple[str, str]:
        ending = self.ending or ("misconfigured" if self.misconfigured else None)
        return verdict(self.counts, self.stopped is not None, ending)

    def advisories(self) -> list[tuple[Any, Any]]:
        """The advisory causes to list, by class (leniency, hygiene, inconclusive), then rule and
        where. None in a misconfigured run: they follow from the mistake (a 401 to every read,
        values never seen), and would bury the diagnosis."""
        if self.misconfigured:
            return []
        order = list(HARMS)
        return sorted(self.record.advisories.items(), key=lambda kv: (order.index(kv[0].harm), kv[0].rule, kv[0].where))

    def coverage_gaps(self) -> list[str]:
        """Field states never seen: only a finished run can say (an interrupted one lost what its
        pytest -n workers saw, and never ran the rest), and a misconfigured one saw no session."""
        return [] if self.ending or self.stopped or self.misconfigured else self.record.coverage_gaps()

    def explained(self, cause: Cause) -> bool:
        return bool(self.diagnosis and self.diagnosis.explains(cause.status, cause.input))

    def summary(self) -> dict[str, Any]:
        """summary.json's content."""
        word, line = self.verdict
        t = self.target
        return {
            "target": {
                "base_url": t.base_url,
                "embedded": t.embedded,
                "session_ids": list(t.session_ids),
                "foreign_session_id": t.foreign_session_id,
                "workers": dict(sorted(self.workers.items())),
            },
            "configuration": self.configuration,
            "spec": {"path": "openapi.yaml", "hash": spec_hash()},
            "profile": self.profile,
            "seed": self.seed,
            "replay": f"CHASER_SEED={self.seed}",
            "verdict": word,
            "verdict_line": line,
            "stopped": str(self.stopped) if self.stopped else None,
            "requests_sent": self.sent,
            "requests_resent": self.resent,
            "counts": self.counts,
            "not_run": [{"test": n, "reason": r} for n, r in self.tally.not_run().items()],
            "diagnosis": self.diagnosis.message if self.diagnosis else None,
            "causes": [
                {
                    "rule": c.rule,
                    "class": rule_class(c.rule),
                    "pointer": c.pointer,
                    "where": c.where,
                    "title": c.title,
                    "status": c.status,
                    "explained_by_diagnosis": self.explained(c),
                    "tests": c.tests,
                    "example": c.example,
                }
                for c in self.causes.ordered()
            ],
            "tests": [
                {"test": n, "outcome": o, **({"message": self.tally.messages[n]} if n in self.tally.messages else {})}
                for n, o in sorted(self.tally.outcomes.items())
            ],
            "exchanges_judged": dict(sorted(self.record.judged.items())),
            "rule_levels_changed": self.levels.changed(),
            "strict": self.levels.strict,
            "advisories": [
                {
                    "rule": a.rule,
                    "where": a.where,
                    "class": a.harm,
                    "message": seen.message,
                    "count": seen.count,
                    "checks": seen.checks,
                }
                for a, seen in self.advisories()
            ],
            "advisories_not_listed": len(self.record.advisories) - len(self.advisories()),
            "field_coverage": self.record.coverage,
            "coverage_gaps": self.coverage_gaps(),
            "failing_exchanges": len(self.findings),
            "token": self.token,
            "notes": self.notes,  # waivers no longer needed, causes of a baseline fixed, ...
        }

    def requests_line(self) -> str:
        """What was sent: the same words in every channel. A request sent again on its own is
        recorded (RFC 9112 §9.3.1 allows it when a reused connection closed before any answer; its
        answer is judged as any other)."""
        again = (
            f"; {self.resent} sent again on a new connection after a reused one closed before any answer,"
            " as RFC 9112 §9.3.1 allows"
            if self.resent
            else ""
        )
        return f"{self.sent} requests sent (cap {self.cap}{again})"

    def token_line(self) -> str | None:
        """How the token held up: the same words in the terminal and summary.md."""
        if not self.token or self.token["source"] != "command":
            return None
        times = self.token["refreshed_at"]
        when = f" (at {', '.join(times)})" if times else ""
        return f"token from CHASER_TOKEN_COMMAND: refreshed {self.token['refreshes']} times during the run{when}"


def rule_class(name: str) -> str:
    """A cause's class (rules.py); an error of the suite, or a stopped run, has none."""
    return rules.rule(name).harm if rules.known(name) else ""

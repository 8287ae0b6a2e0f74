"""The findings of the running test, kept where the Judge raises them.

A check may catch a violation and go on (a shrinking property, a comparison that judges every
read first), and Schemathesis and Hypothesis wrap or repeat the ones they see, so a test's
exception is not where its findings are read: every finding the Judge raises for a test is kept
here, once per rule broken, and the run takes them when the test's report is made. A finding
made while no test runs (the pre-flight, the diagnosis' probe) is kept apart, as the run's own.
"""

from __future__ import annotations

from .findings import Finding


class Ledger:
    def __init__(self) -> None:
        self._test: list[Finding] | None = None  # None: no test is running
        self._outside: list[Finding] = []

    def begin(self) -> None:
        """A test starts: what the Judge raises from now on is that test's."""
        self._test = []

    def end(self) -> None:
        self._test = None

    def add(self, finding: Finding) -> None:
        (self._outside if self._test is None else self._test).append(finding)

    @property
    def pending(self) -> bool:
        """The running test has findings not taken yet."""
        return bool(self._test)

    def take(self) -> list[Finding]:
        """The running test's findings so far (each phase's report carries its own), one per rule
        broken: Hypothesis runs a failing generated case again to report it."""
        if self._test is None:
            return []
        found, self._test = self._test, []
        distinct = {(f.check, tuple(p.key for p in f.problems)): f for f in reversed(found)}
        return list(reversed(distinct.values()))

    def take_outside(self) -> list[Finding]:
        found, self._outside = self._outside, []
        return found

"""A property over generated inputs: every candidate is sent and judged; the first one that
fails is shrunk to the smallest input that still fails the same way, and that one is reported
(its input, how it was derived, its curl line), recorded on the running test. An attempt may
instead find an advisory (a credential that carries the whole token read a session): those are
reported once every candidate was sent, so that under strict mode they do not hide a failure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ..generators.engine import Candidate, Generator
from .exchange import Exchange
from .findings import ContractViolation, Problem
from .judge import Judge


@dataclass(frozen=True)
class Advice:
    """Advisories on one exchange, for `Judge.advise` (recorded, or a failure under strict)."""

    check: str
    exchange: Exchange = field(repr=False)  # its URL or headers may hold the token (a query parameter, a cookie)
    problems: tuple[Problem, ...] = ()


# attempt(candidate) sends one request and judges it with record=False; raises ContractViolation,
# or returns the advisories it found (None: nothing).
Attempt = Callable[[Candidate], "Advice | None"]


def _rules(violation: ContractViolation) -> set[str]:
    return {p.rule for p in violation.finding.shown}


def holds_for_all(
    judge: Judge, generator: Generator, candidates: Iterable[Candidate], attempt: Attempt, input_of=None
) -> int:
    """Send every candidate; returns how many were sent. `input_of(candidate)` is the input a
    finding names (default: the id asked for, as the Judge reads it from the request)."""
    sent, advice = 0, []
    try:
        for candidate in candidates:
            sent += 1
            try:
                found = attempt(candidate)
            except ContractViolation as failed:
                _report_smallest(judge, generator, candidate, failed, attempt, input_of)
                raise  # _report_smallest raised already
            if found is not None:
                advice.append(found)
    except ContractViolation:
        report_advice(judge, advice, raising=False)  # the failure stays the test's exception
        raise
    report_advice(judge, advice)
    return sent


def report_advice(judge: Judge, advice: Iterable[Advice], raising: bool = True) -> None:
    """Each advice through `Judge.advise`: recorded, or where its rule fails (strict) a finding
    recorded on the test; the first such is raised (`raising=False`: none is)."""
    __tracebackhide__ = True
    first = None
    for a in advice:
        try:
            judge.advise(a.check, a.exchange, list(a.problems))
        except ContractViolation as failed:
            first = first or failed
    if first is not None and raising:
        raise first


def _report_smallest(judge, generator, candidate, failed, attempt, input_of) -> None:
    rules = _rules(failed)
    last: dict[str, ContractViolation] = {}

    def still_fails(trial: Candidate) -> bool:
        # The same way: a rule in common, and (Generator.shrink) a trial of the same kind, so that
        # an exposure is never shrunk into a credential that carries the whole token.
        try:
            attempt(trial)
        except ContractViolation as again:
            if _rules(again) & rules:
                last[trial.value] = again
                return True
        return False

    smallest = generator.shrink(candidate, still_fails)
    violation = last.get(smallest.value, failed)
    derivation = f"{smallest.label} of {smallest.origin!r}" if input_of is None else smallest.label
    finding = replace(violation.finding, derivation=derivation)
    if input_of is not None:
        finding = replace(finding, input=input_of(smallest))
    judge.report(ContractViolation(finding))

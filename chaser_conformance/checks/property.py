"""A property over generated inputs: every candidate is sent and judged; the first one that
fails is shrunk to the smallest input that still fails the same way, and that one is reported
(its input, how it was derived, its curl line), recorded on the running test."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ..generators.engine import Candidate, Generator
from .findings import ContractViolation
from .judge import Judge

# attempt(candidate) sends one request and judges it with record=False; raises ContractViolation.
Attempt = Callable[[Candidate], None]


def _rules(violation: ContractViolation) -> set[str]:
    return {p.rule for p in violation.finding.shown}


def holds_for_all(
    judge: Judge, generator: Generator, candidates: Iterable[Candidate], attempt: Attempt, input_of=None
) -> int:
    """Send every candidate; returns how many were sent. `input_of(candidate)` is the input a
    finding names (default: the id asked for, as the Judge reads it from the request)."""
    sent = 0
    for candidate in candidates:
        sent += 1
        try:
            attempt(candidate)
        except ContractViolation as failed:
            _report_smallest(judge, generator, candidate, failed, attempt, input_of)
    return sent


def _report_smallest(judge, generator, candidate, failed, attempt, input_of) -> None:
    rules = _rules(failed)
    last: dict[str, ContractViolation] = {}

    def still_fails(trial: Candidate) -> bool:
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

"""A read with a credential that is not the token, graded by what the credential proves.

A credential that still carries the whole token (another spelling, scheme or place) reads a
session only for a caller who holds the token: the server is lenient, an advisory ("lenient
credential"; a failure under strict). One that lost part of the token (case folded, cut, empty,
another token) reads it for a caller who does not hold the token: exposure, the Judge's own
"read without valid credentials", a failure. design.md, "Status policy".

A request the suite itself made malformed at the HTTP level (a control character in a field
value) may be refused with 400 before any credential is read: the Judge settles that status
(checks/statuses.py). Answered 200, it is graded as any other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .exchange import Exchange
from .findings import ContractViolation, Problem
from .judge import Judge
from .property import Advice

WRONG_TOKEN = "chaser-conformance-wrong-token"  # a token no server issued, made up by the suite (shown as it is)
EXPOSURE = "read without valid credentials"  # the Judge's rule for a 200 without the token
LENIENT = "lenient credential"


def graded_read(
    judge: Judge,
    check: str,
    response: Any,
    sent: str,
    *,
    carries: bool,
    record: bool = True,
) -> Advice | None:
    """Judge one read with a credential that is not the token; `sent` names it ("the token + tab
    inside", "the token in a cookie"). A 401 or 404 passes; a 200 is an advisory returned to the
    caller when the credential `carries` the whole token, else the Judge's exposure failure,
    raised with `sent` named."""
    __tracebackhide__ = True  # its locals hold credentials
    try:
        exchange = judge(check, response, record=False)
    except ContractViolation as violation:
        finding = violation.finding
        excused = EXPOSURE if carries and finding.status == 200 else None
        problems = tuple(_named(p, sent) for p in finding.problems if p.rule != excused)
        if problems:
            judge.report(ContractViolation(replace(finding, problems=problems)), record)
        exchange = Exchange.of(response)
    allowed = {401, 404} | ({200} if carries else set())
    judge.expect(check, exchange, allowed, f"{sent}: not the token", record=record)
    if exchange.status != 200:
        return None
    text = f"read with {sent}: the whole token was sent, in another spelling or place"
    return Advice(check, exchange, (Problem(LENIENT, text),))


def _named(problem: Problem, sent: str) -> Problem:
    if problem.rule != EXPOSURE:
        return problem
    return replace(problem, text=f"{problem.text}: {sent}, which does not carry the whole token")

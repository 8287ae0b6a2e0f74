"""The Judge: the contract's rules by family (status policy and protocol, schema, semantics,
security headers), each failing rule a structured `Problem` inside one `Finding`."""

from .exchange import Exchange, curl_line, shown_authorization
from .findings import ContractViolation, Finding, Problem
from .judge import Judge
from .record import COVERAGE_STATES, Advisory, RunRecord, Seen

__all__ = [
    "COVERAGE_STATES",
    "Advisory",
    "ContractViolation",
    "Exchange",
    "Finding",
    "Judge",
    "Problem",
    "RunRecord",
    "Seen",
    "curl_line",
    "shown_authorization",
]

"""What a run saw beyond pass and fail: advisories, field coverage, statuses for the diagnosis."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .exchange import Exchange
from .findings import cause_label

COVERAGE_STATES = ("value", "null", "absent")


@dataclass(frozen=True)
class Advisory:
    """One advisory cause: a rule and where it bites (as a failure's cause is), with its class."""

    rule: str
    where: str
    harm: str

    @property
    def label(self) -> str:
        return cause_label(self.rule, self.where)


@dataclass
class Seen:
    """How often an advisory cause was seen, its smallest text (the same whatever order pytest -n
    workers merge in) and the checks that saw it."""

    count: int = 0
    message: str = ""
    checks: list[str] = field(default_factory=list)

    def add(self, n: int, message: str, checks: list[str]) -> None:
        self.count += n
        self.message = min(filter(None, (self.message, message)), default="")
        self.checks = sorted({*self.checks, *checks})  # the same order however workers merged them


@dataclass
class RunRecord:
    """Advisories are causes of leniency, hygiene and inconclusive rules (reported; failures by level).
    Field coverage counts, for each optional or nullable SessionInfo field, how often a 200
    showed it with a value, null, or absent: a schema check passes vacuously for a state
    it never saw. Every text stored here is already masked."""

    tracked: tuple[str, ...] = ()  # JSON pointers of the optional and nullable fields
    advisories: dict[Advisory, Seen] = field(default_factory=dict)
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)
    judged: dict[str, int] = field(default_factory=dict)  # exchanges per check
    # (valid token?, a known session?, status) -> exchanges: what the diagnosis reads
    statuses: dict[tuple[bool, bool, int], int] = field(default_factory=dict)
    known_404: Exchange | None = None  # the first 404 for a known session with the token
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.coverage = {p: dict.fromkeys(COVERAGE_STATES, 0) for p in self.tracked}

    def advise(self, check: str, advisory: Advisory, message: str) -> None:
        with self._lock:
            self.advisories.setdefault(advisory, Seen()).add(1, message, [check])

    def count(self, check: str) -> None:
        with self._lock:
            self.judged[check] = self.judged.get(check, 0) + 1

    def saw(self, ex: Exchange, valid: bool, known: bool) -> None:
        if ex.method != "GET":
            return  # the undeclared-method probes say nothing about the token or the ids
        with self._lock:
            key = (valid, known, ex.status)
            self.statuses[key] = self.statuses.get(key, 0) + 1
            if valid and known and ex.status == 404 and self.known_404 is None:
                self.known_404 = ex

    def observe(self, body: dict[str, Any]) -> None:
        with self._lock:
            for pointer in self.tracked:
                self.coverage[pointer][_state_at(body, pointer)] += 1

    def coverage_gaps(self) -> list[str]:
        return [
            f"{p} never seen {state}"
            for p, seen in self.coverage.items()
            for state in COVERAGE_STATES
            if not seen[state]
        ]

    def to_dict(self) -> dict[str, Any]:
        """What a pytest -n worker's run saw, for the controller's `merge()`."""
        return {
            "advisories": [[a.rule, a.where, a.harm, s.count, s.message, s.checks] for a, s in self.advisories.items()],
            "coverage": self.coverage,
            "judged": self.judged,
            "statuses": [[valid, known, status, n] for (valid, known, status), n in self.statuses.items()],
            "known_404": self.known_404.to_dict() if self.known_404 is not None else None,
        }

    def merge(self, data: dict[str, Any]) -> None:
        for rule, where, harm, n, message, checks in data["advisories"]:
            self.advisories.setdefault(Advisory(rule, where, harm), Seen()).add(n, message, checks)
        for pointer, seen in data["coverage"].items():
            mine = self.coverage.setdefault(pointer, dict.fromkeys(seen, 0))
            for state, n in seen.items():
                mine[state] = mine.get(state, 0) + n
        for check, n in data["judged"].items():
            self.judged[check] = self.judged.get(check, 0) + n
        for valid, known, status, n in data["statuses"]:
            key = (bool(valid), bool(known), int(status))
            self.statuses[key] = self.statuses.get(key, 0) + n
        if self.known_404 is None and data["known_404"] is not None:
            self.known_404 = Exchange.from_dict(data["known_404"])


def _state_at(body: Any, pointer: str) -> str:
    for part in pointer.strip("/").split("/"):
        if not isinstance(body, dict) or part not in body:
            return "absent"
        body = body[part]
    return "null" if body is None else "value"

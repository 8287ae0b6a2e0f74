"""Known deviations, declared in a TOML file so that a red build can be made green on purpose.

    [[waiver]]
    test = "test_undeclared_method_is_refused[TRACE]"   # test name or node id; * and ? match
    reason = "TRACE is blocked by the gateway with 403 (TICKET-123)"
    expires = 2027-03-31                                   # optional; after it the waiver stops waiving

A waived test that fails shows as xfail with the reason; one that passes is reported
so the waiver can be deleted; an expired waiver is listed and does not waive.

A waiver may name a cause instead of a test (what `chaser-conformance baseline` writes), by its
full identity (checks.findings.Identity): all five keys are needed.

    [[waiver]]
    rule = "schema required"      # the rule broken, as in summary.json's causes
    pointer = "/id"               # where it bites, as summary.json's causes say ("where"): a JSON
                                  # pointer, "500 to HEAD", a perspective, a header; "" for none
    status = 200                  # the answer's status, or "none" for a request that got no answer
    method = "GET"
    perspective = "the token"     # who asked: "the token", "no credentials", "other credentials"
    reason = "baseline of 2026-11-30: known before adopting the suite"
    expires = 2027-02-28

A test that fails only with waived causes shows as waived; one that fails with any other cause
(the same rule and pointer with another status, method or perspective included) fails; a cause
waiver that nothing in a finished run matched is listed as fixed. A cause waiver without 'status',
'method' and 'perspective' (a baseline written before they were keys) is refused, never read loosely.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks.findings import NO_STATUS, Identity, identities
from ..settings.redact import shown
from ..settings.resolve import read_toml


class WaiverError(ValueError):
    pass


@dataclass(frozen=True)
class Waiver:
    test: str  # "" for a cause waiver
    reason: str
    expires: dt.date | None = None
    cause: Identity | None = None  # a cause waiver: the identity of the cause it waives

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, nodeid: str, name: str) -> bool:
        if self.cause is not None:
            return False  # a cause waiver waives findings, whichever test has them (covering_waiver)
        # Only * and ? are wildcards: test names are full of [brackets] that must match literally.
        pattern = re.escape(self.test).replace(r"\*", ".*").replace(r"\?", ".")
        return any(re.fullmatch(pattern, candidate) for candidate in (nodeid, name))

    def label(self) -> str:
        what = self.cause.label if self.cause is not None else self.test
        return what + (f" (expires {self.expires})" if self.expires else "")


def covering_waiver(waivers: list[Waiver], findings: list[Any]) -> Waiver | None:
    """The cause waiver of a test's findings (checks.Finding) when every cause they show is waived."""
    by_cause = {w.cause: w for w in waivers if w.cause is not None}
    keys = identities(findings)
    if not keys or not all(k in by_cause for k in keys):
        return None
    return by_cause[keys[0]]


def fixed_notes(waivers: list[Waiver], findings: list[Any]) -> list[str]:
    """Cause waivers that no finding of a finished run showed: the baseline can lose them."""
    seen = set(identities(findings))
    return [f"fixed: remove from the baseline: {w.label()}" for w in waivers if w.cause and w.cause not in seen]


IDENTITY_KEYS = ("status", "method", "perspective")  # with 'rule' and 'pointer': a cause waiver's keys
KNOWN_KEYS = ("test", "rule", "pointer", *IDENTITY_KEYS, "reason", "expires")


def _cause(entry: dict[str, Any], where: str, path: Path) -> Identity | None:
    """The identity a cause waiver names, None for a test waiver; a waiver keyed loosely is refused."""
    rule, pointer = entry.get("rule"), entry.get("pointer", "")
    if rule is None:
        named = [k for k in ("pointer", *IDENTITY_KEYS) if k in entry]
        if named:
            raise WaiverError(f"{where}: {', '.join(map(repr, named))} need(s) the 'rule' of the cause")
        return None
    if "test" in entry or not isinstance(rule, str) or not rule.strip():
        raise WaiverError(f"{where}: a waiver names a test or a cause ('rule', with 'pointer'), not both")
    if not all(k in entry for k in IDENTITY_KEYS):
        raise WaiverError(
            f"{where}: a cause waiver needs 'status', 'method' and 'perspective' (an older baseline): "
            f"write it again with chaser-conformance baseline REPORTS_DIR > {shown(path)}"
        )
    status, method, perspective = (entry[k] for k in IDENTITY_KEYS)
    if not isinstance(pointer, str):
        raise WaiverError(f'{where}: \'pointer\' must be a JSON pointer such as "/id", or ""')
    if status != NO_STATUS and (type(status) is not int or not 100 <= status <= 599):
        raise WaiverError(f"{where}: 'status' must be an HTTP status (100 to 599), or \"{NO_STATUS}\" for no answer")
    if not isinstance(method, str) or not method.strip():
        raise WaiverError(f"{where}: 'method' must be an HTTP method such as \"GET\"")
    if not isinstance(perspective, str):
        raise WaiverError(f'{where}: \'perspective\' must say who asked, such as "the token" ("" for no answer)')
    return Identity(rule, pointer, None if status == NO_STATUS else status, method, perspective)


def load_waivers(path: Path) -> list[Waiver]:
    name = f"waivers file {shown(path)}"
    try:
        data = read_toml(path)
    except ValueError as exc:
        raise WaiverError(f"{name} {exc}") from None
    unknown = set(data) - {"waiver"}
    if unknown:
        raise WaiverError(f"{name}: unknown table(s) {sorted(unknown)}; use [[waiver]]")
    entries = data.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise WaiverError(f"{name}: 'waiver' must be an array of tables, written [[waiver]]")
    waivers = []
    for index, entry in enumerate(entries, start=1):
        where = f"{name}, waiver #{index}"
        extra = set(entry) - set(KNOWN_KEYS)
        if extra:
            raise WaiverError(f"{where}: unknown key(s) {sorted(extra)}; known: {', '.join(KNOWN_KEYS)}")
        test, reason, expires = entry.get("test", ""), entry.get("reason"), entry.get("expires")
        cause = _cause(entry, where, path)
        if cause is None and (not isinstance(test, str) or not test.strip()):
            raise WaiverError(f"{where}: 'test' must name a test (a name, a node id, or a pattern), or 'rule' a cause")
        if not isinstance(reason, str) or not reason.strip():
            raise WaiverError(f"{where}: 'reason' must say why the deviation is accepted")
        if expires is not None and (not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)):
            raise WaiverError(f"{where}: 'expires' must be a TOML date such as 2027-03-31")
        waivers.append(Waiver(test.strip() if cause is None else "", reason.strip(), expires, cause))
    return waivers


class Waiving:
    """A run's waivers, applied in one place: by test name when the tests are collected, by cause
    when a failing test's findings are known (`Run.add`); and what the run says of them at its end."""

    def __init__(self, waivers: list[Waiver], today: dt.date) -> None:
        self.active = [w for w in waivers if not w.expired(today)]
        self.expired = [w for w in waivers if w.expired(today)]
        self.applied: dict[str, Waiver] = {}  # nodeid -> the name waiver applied to it

    def by_name(self, nodeid: str, name: str) -> Waiver | None:
        for waiver in self.active:
            if waiver.matches(nodeid, name):
                self.applied[nodeid] = waiver
                return waiver
        return None

    def by_cause(self, findings: list[Any]) -> Waiver | None:
        """The waiver of a baseline whose causes are all of a failing test's findings, if any."""
        return covering_waiver([w for w in self.active if w.cause is not None], findings)

    @staticmethod
    def said(waiver: Waiver) -> str:
        if waiver.cause is not None:
            return f"waived: {waiver.label()}: {waiver.reason}"
        return f"waived: {waiver.reason}"

    def worker_output(self) -> dict[str, int]:
        return {nodeid: self.active.index(w) for nodeid, w in self.applied.items()}

    def merge(self, applied: dict[str, int]) -> None:
        for nodeid, index in applied.items():
            self.applied[nodeid] = self.active[index]

    def notes(self, model: Any, finished: bool) -> list[str]:
        """What a run says about its waivers: not needed any more, matching nothing, fixed, expired."""
        notes = []
        # A waived test whose worst outcome is "xpassed" failed nowhere, its subtests included.
        outcomes = model.tally.outcomes
        for nodeid in sorted(n for n in self.applied if outcomes.get(n) == "xpassed"):
            notes.append(f"waiver no longer needed (the test passed): {self.applied[nodeid].label()} -> {nodeid}")
        used = set(self.applied.values())
        notes += [f"waiver matched no test: {w.label()}" for w in self.active if w not in used and not w.cause]
        notes += fixed_notes(self.active, model.findings) if finished else []
        notes += [f"waiver expired and was not applied: {w.label()}" for w in self.expired]
        return notes

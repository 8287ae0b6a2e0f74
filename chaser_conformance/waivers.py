"""Known deviations, declared in a TOML file so that a red build can be made green on purpose.

    [[waiver]]
    test = "test_undeclared_method_is_refused[TRACE]"   # test name or node id; * and ? match
    reason = "TRACE is blocked by the gateway with 403 (TICKET-123)"
    expires = 2027-03-31                                   # optional; after it the waiver stops waiving

A waived test that fails shows as xfail with the reason; one that passes is reported
so the waiver can be deleted; an expired waiver is listed and does not waive.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .settings.redact import shown
from .settings.resolve import read_toml


class WaiverError(ValueError):
    pass


@dataclass(frozen=True)
class Waiver:
    test: str
    reason: str
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, nodeid: str, name: str) -> bool:
        # Only * and ? are wildcards: test names are full of [brackets] that must match literally.
        pattern = re.escape(self.test).replace(r"\*", ".*").replace(r"\?", ".")
        return any(re.fullmatch(pattern, candidate) for candidate in (nodeid, name))

    def label(self) -> str:
        return self.test + (f" (expires {self.expires})" if self.expires else "")


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
        extra = set(entry) - {"test", "reason", "expires"}
        if extra:
            raise WaiverError(f"{where}: unknown key(s) {sorted(extra)}; known: test, reason, expires")
        test, reason, expires = entry.get("test"), entry.get("reason"), entry.get("expires")
        if not isinstance(test, str) or not test.strip():
            raise WaiverError(f"{where}: 'test' must name a test (a name, a node id, or a pattern)")
        if not isinstance(reason, str) or not reason.strip():
            raise WaiverError(f"{where}: 'reason' must say why the deviation is accepted")
        if expires is not None and (not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)):
            raise WaiverError(f"{where}: 'expires' must be a TOML date such as 2027-03-31")
        waivers.append(Waiver(test.strip(), reason.strip(), expires))
    return waivers

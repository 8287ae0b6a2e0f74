"""The exit codes of every command of the package, in one place (pytest's own, then sysexits.h).

A CI step reads them: 0 and 1 are verdicts, the others say the run could not give one.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

CONFORMANT = 0  # every check ran and passed (pytest: all tests passed)
FINDINGS = 1  # at least one check failed (pytest: tests failed)
INTERRUPTED = 2  # the run was interrupted (pytest: Ctrl-C)
INTERNAL_ERROR = 3  # a bug in the suite (pytest: internal error)
USAGE = 4  # bad settings or input: nothing was judged (pytest: usage error)
NO_TESTS = 5  # the selection ran no test (pytest: no tests collected)
UNREACHABLE = 69  # EX_UNAVAILABLE: the target is unreachable, stopped answering, or its token expired
SECRET_LEAKED = 70  # EX_SOFTWARE: the run wrote the token into an artifact
REPORTS_UNWRITTEN = 74  # EX_IOERR: a report could not be written (a full disk, no permission)

# What ends a run with INTERRUPTED, its reports written: Ctrl-C, a CI job cancelled or a container
# stopped (SIGTERM), a terminal closed (SIGHUP), Ctrl-\ (SIGQUIT).
INTERRUPTING_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


def on_interrupting_signals(handler: Callable[[int, Any], None]) -> Callable[[], None]:
    """`handler` for each of those signals this platform has; returns what puts the previous back."""
    handled = [getattr(signal, name) for name in INTERRUPTING_SIGNALS if hasattr(signal, name)]
    previous = {s: signal.signal(s, handler) for s in handled}

    def restore() -> None:
        for signum, before in previous.items():
            signal.signal(signum, before)

    return restore


MEANINGS = {
    CONFORMANT: "conformant (advisories may be listed)",
    FINDINGS: "not conformant or misconfigured (the diagnosis names the setting); validate: findings",
    INTERRUPTED: "interrupted (Ctrl-C, SIGTERM, SIGHUP or SIGQUIT)",
    INTERNAL_ERROR: "internal error of the suite",
    USAGE: "bad configuration or input, named with its source; nothing ran",
    NO_TESTS: "no test selected (e.g. -k matched none)",
    UNREACHABLE: "target unreachable, or it stopped answering, or its token expired",
    SECRET_LEAKED: "the token was written to an artifact",
    REPORTS_UNWRITTEN: "a report could not be written (a full disk); the verdict is in the terminal",
}


def describe() -> str:
    """'0 conformant, 1 not conformant ..., 70 ...': one line, for pytest's --help."""
    return ", ".join(f"{code} {meaning.split(' (')[0].split(',')[0]}" for code, meaning in MEANINGS.items())

"""The limits every client of a run shares: the request cap, pacing, an interruption, and the
verdict that the target has stopped answering."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from ..contract.exitcodes import INTERRUPTED
from ..contract.exitcodes import UNREACHABLE as EXIT_UNREACHABLE

# After this many requests in a row without an answer the target is taken as down.
DEAD_AFTER = 3
# Seconds one exchange may take as a whole (connection, answer, body): CHASER_EXCHANGE_DEADLINE.
EXCHANGE_DEADLINE = 30.0
# Seconds a run waits in all for the Retry-After of 429 answers: the profile's, or this by default.
RETRY_AFTER_TOTAL = 60.0


class RunStopped(Exception):
    """The run cannot go on: the request cap is reached or the target stopped answering."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message, exit_code)  # both in args: it crosses processes (pytest -n) pickled
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class Interruptible:
    """What a signal does to a process's limits: no request after it, and none waited on."""

    _interrupted: str | None = None
    _waiting = 0  # the main thread waits on the target (an exchange, a pause): see `waiting`
    _whole = 0  # the main thread is in a call that must not be cut in two: see `whole`

    def interrupt(self, reason: str) -> None:
        """No request after this one, and none waited on: called from a signal handler (in the main
        thread), so it takes no lock (the interrupted thread may hold it); one assignment is atomic.
        When the main thread waits on the target (a server that trickles, or never ends its answer),
        the wait is abandoned at once: RunStopped is raised where it waits (or, within a `whole`
        call, as that call ends)."""
        self._interrupted = reason
        if self._waiting and not self._whole:
            raise RunStopped(reason, INTERRUPTED)

    @contextlib.contextmanager
    def whole(self) -> Iterator[None]:
        """Around a call a signal must not cut in two (a worker's call to the controller: its answer
        would be left on the connection, and read as the next call's)."""
        main = threading.current_thread() is threading.main_thread()
        self._whole += main
        try:
            yield
        finally:
            self._whole -= main
        if main and self._interrupted and self._waiting and not self._whole:
            raise RunStopped(self._interrupted, INTERRUPTED)

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around what waits on the target: an exchange, a pause it asked for or pacing. A signal
        abandons it (`interrupt`); only the main thread's waits count, as only it runs handlers."""
        main = threading.current_thread() is threading.main_thread()
        self._waiting += main
        try:
            yield
        finally:
            self._waiting -= main

    def _check_interrupted(self) -> None:
        if self._interrupted:
            raise RunStopped(self._interrupted, INTERRUPTED)


class RunLimits(Interruptible):
    """Shared by every client of a run: request cap, pacing, the deadline of an exchange, the time
    waited for Retry-After in all, and the target-down verdict."""

    def __init__(
        self,
        max_requests: int,
        rate: float = 0.0,
        deadline: float = EXCHANGE_DEADLINE,
        retry_after_total: float = RETRY_AFTER_TOTAL,
    ) -> None:
        self.max_requests = max_requests
        self.deadline = deadline
        self._patience = retry_after_total
        self.sent = 0
        self.resent = 0  # sent again by the client on its own (a reused connection closed first)
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._silent_in_a_row = 0
        self._first_silent = ""  # the first request of the current run of requests without an answer
        self._down: str | None = None
        self._workers: set[int] = set()  # the processes of pytest -n workers that share these limits
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Count one request against the cap and give it a slot: the seconds to wait before sending."""
        self._check_interrupted()
        with self._lock:
            if self._down:
                raise RunStopped(self._down, EXIT_UNREACHABLE)
            if self.sent >= self.max_requests:
                raise RunStopped(
                    f"request cap of {self.max_requests} reached; raise CHASER_MAX_REQUESTS to allow more", 1
                )
            self.sent += 1
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        return slot - now

    def reserve_many(self, wanted: int) -> tuple[int, float]:
        """(requests granted, seconds to wait before the first): a worker of pytest -n asks for a few
        at a time, so that a run without a rate limit does not pay a round trip to the controller per
        request. With a rate limit every request gets its own slot."""
        if self._interval:
            return 1, self.reserve()
        self._check_interrupted()
        with self._lock:
            if self._down:
                raise RunStopped(self._down, EXIT_UNREACHABLE)
            granted = min(wanted, self.max_requests - self.sent)
            if granted <= 0:
                raise RunStopped(
                    f"request cap of {self.max_requests} reached; raise CHASER_MAX_REQUESTS to allow more", 1
                )
            self.sent += granted
            return granted, 0.0

    def register_worker(self, pid: int) -> None:
        """A pytest -n worker's process: told when the run is interrupted (hooks.start)."""
        with self._lock:
            self._workers.add(pid)

    def workers(self) -> list[int]:
        with self._lock:
            return sorted(self._workers)

    def exchange_deadline(self) -> float:
        return self.deadline

    def patience_left(self) -> float:
        """Seconds of Retry-After the run may still wait: a 429 is sent again only while some are left."""
        with self._lock:
            return self._patience

    def spend_patience(self, seconds: float) -> float:
        """Take up to `seconds` of what is left to wait for Retry-After; returns what may be waited."""
        with self._lock:
            granted = max(0.0, min(seconds, self._patience))
            self._patience -= granted
            return granted

    def count_probe(self) -> None:
        """Count a liveness probe as sent: it is beyond the cap (it decides whether the run goes on)."""
        with self._lock:
            self.sent += 1

    def release(self, unused: int) -> None:
        """Give back requests granted by `reserve_many` and never sent."""
        with self._lock:
            self.sent -= unused

    def before_send(self, again: bool = False) -> None:
        """A request goes out (`again`: one the client sends again on its own, connections.py)."""
        delay = self.reserve()
        if again:
            with self._lock:
                self.resent += 1
        if delay > 0:
            with self.waiting():
                time.sleep(delay)  # pacing towards the configured rate limit, not synchronisation

    def totals(self) -> tuple[int, int, str | None]:
        """(requests sent, the cap, why the target was taken as down): for the run's summary."""
        with self._lock:
            return self.sent, self.max_requests, self._down

    def answered(self) -> None:
        with self._lock:
            self._silent_in_a_row = 0

    def no_answer(self, request: str = "") -> bool:
        """Count one request without an answer; True when that makes DEAD_AFTER in a row."""
        with self._lock:
            self._silent_in_a_row += 1
            if self._silent_in_a_row == 1:
                self._first_silent = request
            return self._silent_in_a_row >= DEAD_AFTER

    def down(self, reason: str) -> None:
        with self._lock:
            first = f"; the first request without an answer, which may have stopped it: {self._first_silent}"
            self._down = self._down or (
                f"target stopped answering: {DEAD_AFTER} requests in a row got no answer, "
                f"nor did a request it had answered before (last: {reason}){first if self._first_silent else ''}"
            )

"""Parallel runs on pytest-xdist (`pytest -n N`): what the controller shares with its workers.

- One run-wide request budget: the controller's `RunLimits` (the cap, the rate limit, the
  target-down verdict) is served on loopback by a `multiprocessing` manager; each worker's
  requests reserve their slot there (`RemoteLimits`), so the target never sees more than the
  rate limit in total, whatever N is.
- One target: the controller's embedded server (or the configured one) and the controller's
  seed go to the workers in `workerinput`.
- One set of reports: each test's findings travel with its report; each worker sends the rest of
  what its tests saw (advisories, field coverage, statuses for the diagnosis, waivers applied, a
  stop) in `workeroutput`; the controller merges it before it writes any report.

This module holds what crosses between processes, without pytest: the limits server and its
client, and what a worker's run saw, written out and merged. `xdist.py` is the pytest plugin that
carries them (registered only under `pytest -n`).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from multiprocessing.managers import BaseManager
from typing import Any

from ..transport.client import RunLimits
from ..transport.limits import Interruptible

INPUT_KEY = "chaser"  # workerinput["chaser"]: target, seed, the limits server
OUTPUT_KEY = "chaser"  # workeroutput["chaser"]: what the worker's tests saw


class LimitsServer:
    """The controller's RunLimits, served on loopback to the workers (authenticated by a random key)."""

    def __init__(self, limits: RunLimits, tokens: Any = None) -> None:
        class Manager(BaseManager):
            pass

        Manager.register("limits", callable=lambda: limits)
        Manager.register("tokens", callable=lambda: tokens)  # tokens.Tokens: one refresh for the run
        self.authkey = secrets.token_bytes(16)
        self._server = Manager(address=("127.0.0.1", 0), authkey=self.authkey).get_server()
        self.address: tuple[str, int] = self._server.address
        self._thread = threading.Thread(target=self._serve, name="chaser-limits", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.serve_forever()
        except SystemExit:  # serve_forever ends with sys.exit() once stopped
            pass

    def stop(self) -> None:
        self._server.stop_event.set()

    def workerinput(self) -> dict[str, Any]:
        return {"address": list(self.address), "authkey": self.authkey.hex()}


class RemoteLimits(Interruptible):
    """A worker's view of the controller's RunLimits: the same calls, answered by the controller.

    Without a rate limit, requests are granted a few at a time (the controller still counts them
    against the cap; unused ones go back at the end), and an answer is reported only after a
    request without one: the common path costs no round trip to the controller.
    """

    BATCH = 16

    def __init__(self, address: list[Any], authkey: str) -> None:
        class Client(BaseManager):
            pass

        Client.register("limits")
        self._client = Client(address=(address[0], int(address[1])), authkey=bytes.fromhex(authkey))
        self._client.connect()
        self._limits = self._client.limits()  # type: ignore[attr-defined]
        self.max_requests: int = self._call("totals")[1]
        self.deadline: float = float(self._call("exchange_deadline"))
        self._call("register_worker", os.getpid())  # the controller tells it when the run is interrupted
        self._credit = 0
        self._silent = False
        self.resent = 0  # sent again by the client on its own, in this worker
        self._lock = threading.Lock()

    def _call(self, name: str, *args: Any) -> Any:
        """One call to the controller's limits, which a signal does not cut in two (`whole`)."""
        with self.whole():
            return getattr(self._limits, name)(*args)

    @property
    def sent(self) -> int:
        return int(self._call("totals")[0])

    def before_send(self, again: bool = False) -> None:
        self._check_interrupted()  # a signal reached this worker: no request after it
        with self._lock:
            self.resent += again  # this worker's: the controller adds them up (Run.merge)
            if self._credit > 0:
                self._credit -= 1
                return
            granted, delay = self._call("reserve_many", self.BATCH)  # raises RunStopped as locally
            self._credit = granted - 1
        if delay > 0:
            with self.waiting():
                time.sleep(delay)  # pacing towards the run-wide rate limit, not synchronisation

    def answered(self) -> None:
        if self._silent:  # only an answer after a silence changes the controller's count
            self._silent = False
            self._call("answered")

    def no_answer(self, request: str = "") -> bool:
        self._silent = True
        return bool(self._call("no_answer", request))

    def count_probe(self) -> None:
        self._call("count_probe")

    def patience_left(self) -> float:
        return float(self._call("patience_left"))

    def spend_patience(self, seconds: float) -> float:
        return float(self._call("spend_patience", seconds))

    def down(self, reason: str) -> None:
        self._call("down", reason)

    def release_unused(self) -> None:
        with self._lock:
            unused, self._credit = self._credit, 0
        if unused:
            self._call("release", unused)

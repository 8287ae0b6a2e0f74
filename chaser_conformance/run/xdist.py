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

`XdistExchange` is the pytest plugin that does this; it is registered only under `pytest -n`.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from multiprocessing.managers import BaseManager
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from ..checks import Advisory, Exchange, RunRecord, Seen
from ..transport.client import RunLimits, RunStopped

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


class RemoteLimits:
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
        self.max_requests: int = self._limits.totals()[1]
        self._credit = 0
        self._silent = False
        self._lock = threading.Lock()

    @property
    def sent(self) -> int:
        return int(self._limits.totals()[0])

    def before_send(self) -> None:
        with self._lock:
            if self._credit > 0:
                self._credit -= 1
                return
            granted, delay = self._limits.reserve_many(self.BATCH)  # raises RunStopped as locally
            self._credit = granted - 1
        if delay > 0:
            time.sleep(delay)  # pacing towards the run-wide rate limit, not synchronisation

    def answered(self) -> None:
        if self._silent:  # only an answer after a silence changes the controller's count
            self._silent = False
            self._limits.answered()

    def no_answer(self, request: str = "") -> bool:
        self._silent = True
        return bool(self._limits.no_answer(request))

    def count_probe(self) -> None:
        self._limits.count_probe()

    def down(self, reason: str) -> None:
        self._limits.down(reason)

    def release_unused(self) -> None:
        with self._lock:
            unused, self._credit = self._credit, 0
        if unused:
            self._limits.release(unused)


def schedule_one_at_a_time(option: Any) -> None:
    """pytest -n: xdist's load scheduling starts each worker on a block of consecutive tests, so the
    generated parts (the long tests, collected first) piled up on one worker while the other ran
    out of work (2 s of a 12 s deep run). Handed out one at a time (`--maxschedchunk 1`), the long
    tests go first to whichever worker is free and the short ones fill the end. A --maxschedchunk
    or --dist the user gave is kept."""
    if getattr(option, "dist", "no") == "load" and getattr(option, "maxschedchunk", 0) is None:
        option.maxschedchunk = 1


# --- what a worker saw, to the controller and back into one RunRecord ---------------------------


def _exchange_out(ex: Exchange | None) -> dict[str, Any] | None:
    if ex is None:
        return None
    return {
        "method": ex.method,
        "url": ex.url,
        "request_headers": {k: str(v) for k, v in ex.request_headers.items() if k.lower() != "authorization"},
        "status": ex.status,
        "reason": ex.reason,
        "headers": dict(ex.headers),
        "content": base64.b64encode(ex.content).decode(),
    }


def _exchange_in(data: dict[str, Any] | None) -> Exchange | None:
    if data is None:
        return None
    return Exchange(
        method=data["method"],
        url=data["url"],
        request_headers=CaseInsensitiveDict(data["request_headers"]),
        status=data["status"],
        reason=data["reason"],
        headers=CaseInsensitiveDict(data["headers"]),
        content=base64.b64decode(data["content"]),
    )


def record_out(record: RunRecord) -> dict[str, Any]:
    return {
        "advisories": [[a.rule, a.where, a.harm, s.count, s.message, s.checks] for a, s in record.advisories.items()],
        "coverage": record.coverage,
        "judged": record.judged,
        "statuses": [[valid, known, status, n] for (valid, known, status), n in record.statuses.items()],
        "known_404": _exchange_out(record.known_404),
    }


def merge_record(record: RunRecord, data: dict[str, Any]) -> None:
    for rule, where, harm, n, message, checks in data["advisories"]:
        record.advisories.setdefault(Advisory(rule, where, harm), Seen()).add(n, message, checks)
    for pointer, seen in data["coverage"].items():
        mine = record.coverage.setdefault(pointer, dict.fromkeys(seen, 0))
        for state, n in seen.items():
            mine[state] = mine.get(state, 0) + n
    for check, n in data["judged"].items():
        record.judged[check] = record.judged.get(check, 0) + n
    for valid, known, status, n in data["statuses"]:
        key = (bool(valid), bool(known), int(status))
        record.statuses[key] = record.statuses.get(key, 0) + n
    if record.known_404 is None:
        record.known_404 = _exchange_in(data["known_404"])


class XdistExchange:
    """pytest -n: the controller shares its target, seed and budget, and merges what workers saw."""

    def __init__(self, run: Any) -> None:  # a session.ConformanceSession (not imported: no import circle)
        self.run = run
        self.limits_server: LimitsServer | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        run = self.run
        if not run.conformance_run:
            return
        auth = run.target.auth
        if self.limits_server is None:
            self.limits_server = LimitsServer(run.limits, auth.tokens if auth else None)  # type: ignore[arg-type]
        node.workerinput[INPUT_KEY] = {
            "seed": run.seed,
            "base_url": run.target.base_url,
            "limits": self.limits_server.workerinput(),
            "tokens": auth is not None,
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self.run.collected:
            self.run.collected = list(ids)  # every worker collects the same tests

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if not data:
            return
        run = self.run
        merge_record(run.record, data["record"])
        run.model.workers[str(node.gateway.id)] = data["base_url"]
        for nodeid, index in data["waived"].items():
            run.waived[nodeid] = run.waivers[index]
        if data["stopped"] and run.stopped is None:
            run.stopped = RunStopped(*data["stopped"])

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        run = self.run
        if hasattr(run.config, "workerinput") and run.conformance_run:
            if isinstance(run.limits, RemoteLimits):
                run.limits.release_unused()  # the run's count of requests sent stays exact
            run.config.workeroutput[OUTPUT_KEY] = {  # type: ignore[attr-defined]
                "record": record_out(run.record),
                "base_url": run.target.base_url,
                "waived": {nodeid: run.waivers.index(w) for nodeid, w in run.waived.items()},
                "stopped": [run.stopped.message, run.stopped.exit_code] if run.stopped else None,
            }
        return (yield)

    def close(self) -> None:
        if self.limits_server is not None:
            self.limits_server.stop()

"""Parallel runs on pytest-xdist (`pytest -n N`): the pytest plugin that carries what the
controller's run shares with its workers' runs (shared.py) and what they send back.

- The controller gives each worker its seed, its target and a share of its request budget
  (`workerinput`); a worker's run opens with them (`Run(shared=...)`).
- Each test's findings travel with its report; each worker sends the rest of what its tests saw
  (`Run.worker_output()`: advisories, field coverage, statuses for the diagnosis, waivers applied, a
  stop) in `workeroutput`; the controller's run merges it (`Run.merge()`) before it writes any report.
"""

from __future__ import annotations

from typing import Any

import pytest

from .run import Run
from .shared import INPUT_KEY, OUTPUT_KEY, LimitsServer


def schedule_one_at_a_time(option: Any) -> None:
    """pytest -n: xdist's load scheduling starts each worker on a block of consecutive tests, so the
    generated parts (the long tests, collected first) piled up on one worker while the other ran
    out of work (2 s of a 12 s deep run). Handed out one at a time (`--maxschedchunk 1`), the long
    tests go first to whichever worker is free and the short ones fill the end. A --maxschedchunk
    or --dist the user gave is kept."""
    if getattr(option, "dist", "no") == "load" and getattr(option, "maxschedchunk", 0) is None:
        option.maxschedchunk = 1


class XdistExchange:
    """pytest -n: the controller shares its target, seed and budget, and merges what workers saw."""

    def __init__(self, config: pytest.Config, run: Run, conformance_run: bool) -> None:
        self.config = config
        self.run = run
        self.conformance_run = conformance_run
        self.limits_server: LimitsServer | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if not self.conformance_run:
            return
        run = self.run
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
        self.run.collect(ids)  # every worker collects the same tests

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if data:
            self.run.merge(str(node.gateway.id), data)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        if hasattr(self.config, "workerinput") and self.conformance_run:
            self.config.workeroutput[OUTPUT_KEY] = self.run.worker_output()  # type: ignore[attr-defined]
        return (yield)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.limits_server is not None:
            self.limits_server.stop()

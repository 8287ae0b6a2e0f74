"""Cause waivers in a run (a baseline): a test whose findings are all of waived causes is waived,
told the same way as a test waived by name (xfail, with the reason) in every channel."""

from __future__ import annotations

from typing import Any

import pytest

from ..checks import Finding
from .hooks import REPORT_ATTRIBUTE
from .waivers import Waiver, covering_waiver

PLUGIN_NAME = "chaser-conformance-cause-waivers"


class CauseWaivers:
    def __init__(self, waivers: list[Waiver]) -> None:
        self.waivers = [w for w in waivers if w.cause is not None]

    # Outermost (tryfirst): the run's own wrapper has put the test's findings on the report by then.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        report = yield
        if report.failed and not hasattr(report, "wasxfail"):
            findings = [Finding.from_dict(f) for f in getattr(report, REPORT_ATTRIBUTE, None) or []]
            waiver = covering_waiver(self.waivers, findings)
            if waiver is not None:
                report.outcome = "skipped"
                report.wasxfail = f"waived: {waiver.label()}: {waiver.reason}"
        return report

    def close(self) -> None:
        pass


def register(config: pytest.Config, waivers: list[Waiver]) -> None:
    if any(w.cause is not None for w in waivers):
        config.pluginmanager.register(CauseWaivers(waivers), PLUGIN_NAME)

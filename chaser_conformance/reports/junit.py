"""junit.xml: pytest writes its test cases (each test's outcome and finding text); this adds the
verdict, the one thing a test case cannot say, as properties of the test suite."""

from __future__ import annotations

import pytest
from _pytest import junitxml  # its stash key; pytest offers no public way to a suite-level property

from .model import RunModel


def add_verdict(config: pytest.Config, model: RunModel) -> None:
    xml = config.stash.get(junitxml.xml_key, None)
    if xml is None:
        return
    word, line = model.verdict
    xml.add_global_property("chaser_verdict", word)
    xml.add_global_property("chaser_verdict_line", line)
    if model.diagnosis is not None:
        xml.add_global_property("chaser_diagnosis", model.diagnosis.message)

"""A plugin for the leak-scan selftests (`-p leaky_plugin`): it writes the text of LEAKY_TEXT into
the run's JUnit, as a property of every test, as a careless plugin of a user's might."""

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    text = os.environ.get("LEAKY_TEXT")
    if text:
        outcome.get_result().user_properties.append(("echo", text))

# Thin on purpose: everything lives in the package's pytest plugin.
import importlib.util

import pytest

# Plain `pytest` outside the project's environment: one line that says what to do, not a traceback.
_missing = [
    m
    for m in ("schemathesis", "jsonschema", "referencing", "werkzeug", "yaml", "requests")
    if not importlib.util.find_spec(m)
]
if _missing:
    raise pytest.UsageError(
        f"chaser: {', '.join(_missing)} not installed here. Run `python3 run.py suite` (it sets up .venv), "
        "or `pip install -e '.[selftest]'` in a virtual environment"
    )

pytest_plugins = ["chaser_conformance.plugin"]

"""Behaviour unchanged by the pipeline refactoring: a fixed-seed run against the reference server and
three faults runs the same tests with the same outcomes and sends the same multiset of requests as
the code before it (`data/equivalence.json`, see equivalence.py)."""

import json

import pytest

from equivalence import GOLDEN, SWITCHES, capture


@pytest.mark.parametrize("switch", SWITCHES, ids=[s or "conformant" for s in SWITCHES])
def test_a_fixed_seed_run_does_what_it_did_before(tmp_path, switch):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[switch or "conformant"]
    found = capture(switch, tmp_path)
    assert found["returncode"] == expected["returncode"]
    assert found["outcomes"] == expected["outcomes"]
    missing = {k: v for k, v in expected["requests"].items() if found["requests"].get(k) != v}
    extra = {k: v for k, v in found["requests"].items() if expected["requests"].get(k) != v}
    assert not missing and not extra, f"requests differ: expected but not sent {missing}; sent instead {extra}"

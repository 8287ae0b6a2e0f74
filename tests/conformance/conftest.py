import random

import pytest

from chaser_conformance.generators import ID_FAMILIES, near_misses
from chaser_conformance.plugin import run_of


@pytest.fixture
def absent_id(seed, target, request):
    """A fresh id that names no session, derived from the run's seed and the test, so a run replays."""
    rng = random.Random(f"{seed}:{request.node.nodeid}")

    def make(prefix="chaser-absent"):
        sid = f"{prefix}-{rng.getrandbits(64):016x}"
        assert sid not in target.session_ids and sid != target.foreign_session_id
        return sid

    return make


def pytest_generate_tests(metafunc):
    # The families of near-miss transformations that apply to the known ids (no "numbers" for ids
    # without digits): each its own test, and none that could only be skipped.
    if "id_family" in metafunc.fixturenames:
        target = run_of(metafunc.config).target
        known = (*target.session_ids, *filter(None, [target.foreign_session_id]))
        generator = near_misses(known, seed=0)
        families = [f for f in ID_FAMILIES if next(generator.coverage(target.session_ids, f), None) is not None]
        metafunc.parametrize("id_family", families)

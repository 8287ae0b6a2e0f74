import random

import pytest


@pytest.fixture
def absent_id(seed, target, request):
    """A fresh id that names no session, derived from the run's seed and the test, so a run replays."""
    rng = random.Random(f"{seed}:{request.node.nodeid}")

    def make(prefix="chaser-absent"):
        sid = f"{prefix}-{rng.getrandbits(64):016x}"
        assert sid not in target.session_ids and sid != target.foreign_session_id
        return sid

    return make

"""The foreign-session comparison: certain leaks fail, variation by itself never does."""

import random

import pytest

from chaser_conformance.checks import Exchange
from chaser_conformance.checks.indistinguishable import compare, features, lookalike
from chaser_conformance.server import serve_in_thread
from chaser_conformance.transport.client import ApiClient, RunLimits

BASE = {"status": 404, "reason phrase": "NOT FOUND", "header content-type": "application/json", "body /error": "x"}


def constant(extra=None, drop=()):
    def read():
        found = BASE | dict(extra or {})
        return {k: v for k, v in found.items() if k not in drop}

    return read


@pytest.mark.parametrize(
    "foreign,leak",
    [
        (constant({"header x-owner": "other"}), "header x-owner"),
        (constant({"header content-type": "application/json; charset=utf-8"}), "header content-type"),
        (constant(drop=["body /error"]), "body /error"),
        (constant({"reason phrase": "Forbidden"}), "reason phrase"),
    ],
)
def test_a_difference_in_every_foreign_read_is_a_leak(foreign, leak):
    verdict = compare(foreign, constant())
    assert [found.split(":")[0] for found in verdict.leaks] == [leak]


def test_no_difference_is_no_finding_and_costs_seven_reads():
    verdict = compare(constant(), constant())
    assert verdict.leaks == [] and verdict.inconclusive == [] and verdict.reads == 7


def test_a_value_fresh_on_every_response_is_variation():
    rng = random.Random(1)

    def read():
        return BASE | {"header x-request-id": rng.getrandbits(64)}

    assert compare(read, read).leaks == []


@pytest.mark.parametrize("chance", [0.05, 0.19, 1 / 3, 0.5, 0.9])
def test_a_header_present_at_random_is_never_a_leak(chance):
    # The worst case of a conformant server: a part that comes and goes by itself, at any rate.
    rng = random.Random(f"chance-{chance}")

    def read():
        return BASE | ({"header x-cache": "HIT"} if rng.random() < chance else {})

    verdicts = [compare(read, read) for _ in range(2000)]
    assert sum(bool(v.leaks) for v in verdicts) == 0


def test_a_leak_in_some_foreign_reads_only_is_inconclusive_not_failed():
    turns = iter(range(100))

    def foreign():
        return BASE | ({"header x-owner": "other"} if next(turns) % 2 == 0 else {})

    verdict = compare(foreign, constant())
    assert verdict.leaks == [] and any("x-owner" in doubt for doubt in verdict.inconclusive)


def test_lookalike_ids_keep_length_and_character_classes():
    rng = random.Random(3)
    for sid in ("ses_other", "AbC-123", "\u4f1a\u8bdd_9"):
        other = lookalike(sid, rng)
        assert len(other) == len(sid) and other != sid
        assert [c.isdigit() for c in other] == [c.isdigit() for c in sid]
        assert [c.isupper() for c in other] == [c.isupper() for c in sid]


def fifty_verdicts(switch):
    """Fifty whole comparisons, over HTTP, against the reference server with one switch."""
    rng = random.Random(switch)
    with serve_in_thread([switch]) as server:
        store = server.app.store
        api = ApiClient(
            server.base_url, store.primary.token, limits=RunLimits(100_000), connect_timeout=5, read_timeout=10
        )
        foreign = next(iter(store.other.sessions))

        def read(sid):
            return features(Exchange.of(api.get_session(sid)), sid)

        verdicts = [compare(lambda: read(foreign), lambda: read(lookalike(foreign, rng))) for _ in range(50)]
        api.close()
    return verdicts


@pytest.mark.parametrize("variant", ["404-body-shape-per-request", "404-per-request-headers", "request-id-in-404"])
def test_fifty_comparisons_against_a_conformant_server_that_varies_raise_no_alarm(variant):
    verdicts = fifty_verdicts(variant)
    assert [v.leaks for v in verdicts if v.leaks] == []
    if variant == "404-body-shape-per-request":
        # Its body is drawn from 7 shapes for each request: the 6 unknown ids of a comparison all draw
        # one shape with probability 7**-5 (one comparison in 16,807), and then nothing tells that
        # the shape varies. So nearly all comparisons, not every one, say the bodies were not compared.
        said = [v for v in verdicts if any("changes shape by itself" in doubt for doubt in v.inconclusive)]
        assert len(said) >= 45


@pytest.mark.parametrize("fault", ["foreign-404-extra-header", "foreign-404-reason-phrase", "foreign-404-tells"])
def test_fifty_comparisons_against_a_leaking_server_all_find_the_leak(fault):
    assert all(v.leaks for v in fifty_verdicts(fault))

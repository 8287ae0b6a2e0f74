"""The properties of issue 16 beyond the catalogue: every answer the suite gets is judged; a
generated failure is shown shrunk, with its input, in every channel; and the randomised checks
raise no false alarm against conformant servers over fifty seeds each."""

import json
import random

import pytest

from chaser_conformance.checks import ContractViolation, Judge, RunRecord
from chaser_conformance.checks.credentials import graded_read
from chaser_conformance.checks.indistinguishable import compare, features, lookalike
from chaser_conformance.checks.property import holds_for_all
from chaser_conformance.contract.spec import load_contract
from chaser_conformance.generators import malformed, near_credentials, near_misses
from chaser_conformance.server import serve_in_thread
from chaser_conformance.server.catalogue.folding import ID_SHAPE_VARIANTS
from chaser_conformance.server.catalogue.framework_habits import FRAMEWORK_VARIANTS
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport.client import ApiClient, RunLimits, Target
from runner import run_suite_forked, target_env

SEEDS = 50


def _judged(tmp_path):
    found = json.loads((tmp_path / "reports" / "summary.json").read_text())
    return found["requests_sent"], sum(found["exchanges_judged"].values())


@pytest.mark.parametrize(
    "switch,args",
    [
        (None, []),
        (None, ["-n", "2"]),
        ("first-read-broken", []),
        ("id-upper-compared", []),
        ("token-prefix", ["-n", "2"]),
        ("unknown-id-500", []),
    ],
)
def test_every_request_sent_is_judged(tmp_path, switch, args):
    # The pre-flight, the reachability read and the diagnosis' probe included (they are judged
    # outside any test, and reported as a test of their own when they find something).
    with serve_in_thread([switch] if switch else []) as server:
        run = run_suite_forked(tmp_path, target_env(server), args, html=False)
        sent, judged = _judged(tmp_path)
        assert sent == judged == len(server.app.journal), run.output[-2000:]
    assert run.returncode == (0 if switch is None else 1), run.output[-3000:]


def test_a_first_read_that_breaks_the_schema_is_a_finding_of_its_own(tmp_path):
    with serve_in_thread(["first-read-broken"]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    assert run.returncode == 1
    failures = [json.loads(line) for line in (tmp_path / "reports" / "failures.jsonl").read_text().splitlines()]
    assert {f["test"] for f in failures} == {"chaser::reads_outside_the_tests"}
    assert {f["check"] for f in failures} == {"pre-flight read"}
    assert "reads_outside_the_tests" in (tmp_path / "reports" / "junit.xml").read_text()


def test_a_generated_failure_is_shown_shrunk_with_its_input_in_every_channel(tmp_path):
    with serve_in_thread(["id-upper-compared"]) as server:
        run = run_suite_forked(tmp_path, target_env(server), args=["-k", "random_near_miss"])
    assert run.returncode == 1, run.output[-3000:]
    (finding,) = [json.loads(line) for line in (tmp_path / "reports" / "failures.jsonl").read_text().splitlines()]
    # Shrunk to one transformation, a change of case, of a known id.
    assert " + " not in finding["derivation"] and "case" in finding["derivation"], finding["derivation"]
    assert finding["input"].casefold() in {"ses_full", "ses_nulls", "ses_minimal"}
    assert finding["curl"].startswith("curl ")
    shown = f"input:    {finding['input']!r}: {finding['derivation']}"
    assert shown in run.output
    assert shown in (tmp_path / "reports" / "summary.md").read_text()


def _client(server):
    return ApiClient(
        server.base_url, server.app.store.primary.token, limits=RunLimits(10**7), connect_timeout=5, read_timeout=10
    )


def _judge(server):
    store = server.app.store
    target = Target(
        server.base_url, store.primary.token, tuple(store.primary.sessions), next(iter(store.other.sessions)), False
    )
    return Judge(load_contract(), target, RunRecord()), target


def _reader(judge, client, sid):
    return lambda: features(judge("perspective", client.get_session(sid)), sid)


def _unknown_reader(judge, client, like, rng):
    def read():
        other = lookalike(like, rng)
        return features(judge("perspective", client.get_session(other)), other)

    return read


@pytest.mark.parametrize(
    "variant",
    [
        None,
        *(v.name for v in ID_SHAPE_VARIANTS),
        "request-id-in-404",
        "404-per-request-headers",
        # Issue 24: servers that behave as frameworks do (a token trimmed, no HEAD, HTTP's own 400).
        *(v.name for v in FRAMEWORK_VARIANTS),
        "control-character-400",
    ],
)
def test_fifty_seeds_of_each_randomised_check_raise_no_false_alarm(variant):
    with serve_in_thread([variant] if variant else []) as server:
        judge, target = _judge(server)
        api, anon = _client(server), _client(server)
        anon.token = None
        known = (*target.session_ids, target.foreign_session_id)
        alarms = []

        def read_no_session(candidate):
            exchange = judge("near miss", api.request_verbatim("GET", api.segment_url(candidate.value)), record=False)
            allowed = range(400, 500) if malformed(candidate.value) else 404
            judge.expect("near miss", exchange, allowed, candidate.label, record=False)

        def read_nothing(candidate):
            # Graded as the suite grades it: a lenient read is an advisory (returned), never an alarm.
            sid = target.session_ids[0]
            response = anon.get_session(sid, authorization=Secret(candidate.value))
            return graded_read(
                judge, "credentials", response, candidate.label, carries=not candidate.lossy, record=False
            )

        for seed in range(SEEDS):
            ids = near_misses(known, seed)
            credentials = near_credentials(target.token, seed)
            origin = [f"Bearer {target.token}"]
            try:
                holds_for_all(judge, ids, ids.compositions(target.session_ids, 20), read_no_session)
                holds_for_all(judge, credentials, credentials.compositions(origin, 8), read_nothing)
            except ContractViolation as violation:
                alarms.append(violation.finding.text())
            sid = target.session_ids[seed % len(target.session_ids)]
            verdict = compare({sid: _reader(judge, anon, sid)}, _unknown_reader(judge, anon, sid, random.Random(seed)))
            alarms += verdict.leaks
        api.close()
        anon.close()
    assert alarms == []

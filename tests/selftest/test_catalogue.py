"""The proof of the suite: it fails against every fault and passes every conformant variant.

Each case starts the reference server with one switch, runs the whole conformance suite
against it by URL exactly as a user would, and asserts the verdict. The matrix (which
tests caught each fault, the kill rate and the false alarms) is printed at the end of
the run by conftest.py.
"""

import json

import pytest
import requests

from chaser_conformance.contract.exitcodes import FINDINGS, UNREACHABLE
from chaser_conformance.server import serve_in_thread
from chaser_conformance.server.catalogue import CATALOGUE, FAULTS, VARIANTS
from chaser_conformance.server.catalogue.hostile import STOPS_ANSWERING
from runner import ROOT, checks_never_failed, run_suite_forked, target_env

# A strict switch breaks (or keeps) a rule outside the contract, which the suite reports as an
# advisory: it is run with CHASER_STRICT=1. The reference server's one advisory, its undocumented
# 401, is switched off for those runs, so that the switch is all that strict mode can catch.
STRICT_BASELINE = CATALOGUE["404-for-bad-credentials"]


# A fault runs the checks of its kind, a conformant variant every check (a false alarm can come from
# any). What breaks a session's body, its JSON text or which session it is (and the partial and
# hostile faults, whose answers the pre-flight and the known sessions' reads meet first) is read by
# test_sessions, and by test_parameters for a parameter that chooses another own session; what lets
# a caller read, by test_sessions' near misses and the four security modules; a protocol fault may
# show in any exchange. This saves about a third of the catalogue's time (the generated tests alone
# are some 40 % of a whole run). conftest.py fails the selftests when a conformance test function
# fails against no fault at all.
SUITE = "tests/conformance/"
SESSIONS = (f"{SUITE}test_sessions.py",)
SECURITY = (*SESSIONS, *(f"{SUITE}test_{name}.py" for name in ("security", "shapes", "parameters", "disclosure")))
CHECKS_OF = dict.fromkeys(("schema", "strict-json", "semantics", "partial", "hostile"), SESSIONS) | {
    "id-match": (*SESSIONS, f"{SUITE}test_parameters.py"),  # a parameter may choose another own session
    "security": SECURITY,
    "protocol": (),  # every module
}


def short(test_name):
    return test_name.split("[GET ")[0]


def function(test_name):
    return test_name.split("[", 1)[0]


def run_with(tmp_path, switch, checks=()):
    switches, env = [switch], {}
    if switch.strict:
        switches, env = [switch, STRICT_BASELINE], {"CHASER_STRICT": "1"}
    with serve_in_thread(switches) as server:
        return run_suite_forked(tmp_path, target_env(server) | env, args=checks, html=False)  # exit, JUnit, JSON


def summary(tmp_path):
    path = tmp_path / "reports" / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def caught(tmp_path, run, switch):
    """Findings (exit 1) with failing tests; for a fault that makes the target stop answering, the
    stop instead: exit 69, failing tests, the verdict "unreachable" and the tests after it not run.
    Answers that are not HTTP (the hostile group) must be caught as broken answers, not by chance."""
    if not run.failed:
        return False
    if switch.name in STOPS_ANSWERING:
        found = summary(tmp_path)
        return run.returncode == UNREACHABLE and found.get("verdict") == "unreachable" and bool(found.get("not_run"))
    if run.returncode != FINDINGS:
        return False
    return switch.group != "hostile" or "broken answer" in {c["rule"] for c in summary(tmp_path).get("causes", ())}


@pytest.mark.parametrize("switch", FAULTS, ids=[f.name for f in FAULTS])
def test_the_suite_catches_the_fault(tmp_path, record_property, switch):
    run = run_with(tmp_path, switch, CHECKS_OF[switch.group])
    caught_by = sorted({short(name) for name in run.failed}) if caught(tmp_path, run, switch) else []
    record_property("chaser_catalogue", ("fault", switch.name, switch.group, caught_by))
    assert caught_by, (
        f"fault {switch.name!r} ({switch.description}) was not caught (exit {run.returncode}):\n{run.output[-3000:]}"
    )


@pytest.mark.parametrize("switch", VARIANTS, ids=[v.name for v in VARIANTS])
def test_the_suite_passes_the_variant(tmp_path, record_property, switch):
    run = run_with(tmp_path, switch)
    flagged_by = sorted({short(name) for name in run.failed})
    record_property("chaser_catalogue", ("variant", switch.name, switch.group, flagged_by))
    record_property("chaser_checks", sorted({function(name) for name in run.ran}))
    assert run.returncode == 0 and not flagged_by and run.passed, (
        f"conformant variant {switch.name!r} ({switch.description}) was flagged:\n{run.output[-4000:]}"
    )


def test_the_catalogue_covers_every_group():
    groups = {"schema", "strict-json", "protocol", "semantics", "id-match", "security", "partial", "hostile"}
    assert {f.group for f in FAULTS} == groups
    assert any(v.strict for v in VARIANTS) and any(f.strict for f in FAULTS)
    assert len({s.name for s in (*FAULTS, *VARIANTS)}) == len(FAULTS) + len(VARIANTS)
    assert STOPS_ANSWERING <= {f.name for f in FAULTS}
    assert set(CHECKS_OF) == groups and all(
        (ROOT / module).is_file() for group in CHECKS_OF.values() for module in group
    )


def test_a_fault_that_answers_once_counts_per_server_not_per_process():
    # Every server in this process shares the switch: each must still answer its own first request.
    for _ in range(2):
        with serve_in_thread(["answers-once-then-closes"]) as server:
            url = f"{server.base_url}/v1/sessions/ses_full"
            assert requests.get(url, timeout=5).status_code == 401
            with pytest.raises(requests.ConnectionError):
                requests.get(url, timeout=5)


def test_a_conformance_test_that_fails_against_no_fault_is_named_once_every_fault_ran():
    names = {"fault-a", "fault-b"}
    rows = [("fault", "fault-a", "schema", ["test_x[1]"], True), ("variant", "v", "schema", [], True)]
    checks = {"test_x", "test_y"}
    assert checks_never_failed(rows, checks, names) == []  # fault-b did not run: no verdict yet
    rows.append(("fault", "fault-b", "protocol", ["test_x[2]", "reads_outside_the_tests"], True))
    assert checks_never_failed(rows, checks, names) == ["test_y"]
    rows.append(("fault", "fault-b", "protocol", ["test_y[GET /v1/sessions/x]"], True))
    assert checks_never_failed(rows, checks, names) == []

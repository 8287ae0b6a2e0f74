"""What the suite sends and how it reports: safety of probes, reach, replay, strict mode, waivers."""

import collections
import textwrap

import pytest

from chaser_conformance.server import serve_in_thread
from runner import run_suite_forked, target_env

SESSIONS = "/v1/sessions/"


@pytest.fixture
def recorded_run(tmp_path):
    """Run the suite once against a recording reference server; hand back the run and the journal."""

    def run(switches=(), env=None, args=()):
        with serve_in_thread(switches) as server:
            result = run_suite_forked(tmp_path, target_env(server) | dict(env or {}), args)
            return result, list(server.app.journal), server.app.store

    return run


# Safe methods (RFC 9110 §9.2.1): they change nothing, so they may go to a real session.
SAFE = {"GET", "HEAD"}


def test_undeclared_methods_never_reach_an_existing_session(recorded_run):
    run, journal, store = recorded_run()
    assert run.returncode == 0, run.output[-3000:]
    existing = {SESSIONS + sid for account in store.accounts.values() for sid in account.sessions}
    methods = collections.Counter(method for method, _, _ in journal)
    assert set(methods) - SAFE, "the run sent no method probe at all"
    assert [(m, p) for m, p, _ in journal if m not in SAFE and p in existing] == []


def test_most_generated_and_explicit_reads_reach_a_session(recorded_run):
    run, journal, store = recorded_run()
    gets = [status for method, _, status in journal if method == "GET"]
    # Over a quarter: the near-miss, credential and perspective checks add some 200 reads that must not succeed.
    assert gets.count(200) / len(gets) > 0.25, collections.Counter(gets)
    assert gets.count(401) > 20 and gets.count(404) > 20  # negative cases stay in


def test_the_same_seed_sends_the_same_requests(recorded_run):
    first = recorded_run(env={"CHASER_SEED": "4242"})
    second = recorded_run(env={"CHASER_SEED": "4242"})
    other = recorded_run(env={"CHASER_SEED": "4343"})
    assert first[0].returncode == second[0].returncode == 0
    assert "seed 4242 (replay: CHASER_SEED=4242)" in first[0].output
    assert first[1] == second[1]
    assert first[1] != other[1]


def test_strict_turns_advisories_into_failures(recorded_run):
    lenient, _, _ = recorded_run()
    assert lenient.returncode == 0 and "401 for a request without valid credentials" in lenient.output
    strict, _, _ = recorded_run(env={"CHASER_STRICT": "1"})
    failing = "documents no 401 (hygiene: fails under CHASER_STRICT)"
    assert strict.returncode == 1 and failing in strict.output


def write_waivers(tmp_path, text):
    path = tmp_path / "waivers.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def test_a_waived_failure_is_an_expected_failure_with_its_reason(tmp_path, recorded_run):
    waivers = write_waivers(
        tmp_path,
        """
        [[waiver]]
        test = "test_undeclared_method_is_refused*"
        reason = "the gateway strips Allow (TICKET-1)"
        [[waiver]]
        test = "test_generated_requests_conform*"
        reason = "the gateway strips Allow (TICKET-1)"
        [[waiver]]
        test = "test_unknown_id_returns_404_json[random]"
        reason = "fixed last week"
        [[waiver]]
        test = "test_no_near_miss_of_a_known_id_reads_a_session[unicode]"
        reason = "ran out"
        expires = 2020-01-01
        [[waiver]]
        test = "test_that_does_not_exist"
        reason = "typo"
    """,
    )
    run, _, _ = recorded_run(["405-no-allow"], env={"CHASER_WAIVERS": waivers})
    assert run.returncode == 0, run.output[-3000:]
    assert "XFAIL" in run.output and "waived: the gateway strips Allow (TICKET-1)" in run.output
    assert "waiver no longer needed (the test passed): test_unknown_id_returns_404_json[random]" in run.output
    assert (
        "waiver expired and was not applied: "
        "test_no_near_miss_of_a_known_id_reads_a_session[unicode] (expires 2020-01-01)" in run.output
    )
    assert "waiver matched no test: test_that_does_not_exist" in run.output


def test_an_expired_waiver_stops_waiving(tmp_path, recorded_run):
    waivers = write_waivers(
        tmp_path,
        """
        [[waiver]]
        test = "test_undeclared_method_is_refused*"
        reason = "was accepted until 2020"
        expires = 2020-01-01
    """,
    )
    run, _, _ = recorded_run(["405-no-allow"], env={"CHASER_WAIVERS": waivers})
    assert run.returncode == 1 and run.outcome("test_undeclared_method_is_refused[DELETE]") == "FAILED"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[waiver]]\nreason = "x"\n', "'test' must name a test"),
        ('[[waiver]]\ntest = "t"\n', "'reason' must say why"),
        ('[[waiver]]\ntest = "t"\nreason = "r"\nexpires = "soon"\n', "'expires' must be a TOML date"),
        ('[[waiver]]\ntest = "t"\nreason = "r"\nowner = "me"\n', "unknown key(s) ['owner']"),
        ("[waivers]\n", "unknown table(s) ['waivers']"),
    ],
)
def test_a_bad_waivers_file_is_a_usage_error(tmp_path, recorded_run, text, message):
    run, _, _ = recorded_run(env={"CHASER_WAIVERS": write_waivers(tmp_path, text)})
    assert run.returncode == 4 and message in run.output and "Traceback" not in run.output

"""The Run without pytest: a plain script opens a run against the embedded reference server,
reads sessions through the run's client, hands the run what each "test" found, and has it
finish and write its reports; pytest is never imported."""

import json
import subprocess
import sys
import textwrap

from runner import ROOT

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    from chaser_conformance.checks import ContractViolation
    from chaser_conformance.run.run import Outcome, Run
    from chaser_conformance.settings import resolve

    reports, mode = Path(sys.argv[1]), sys.argv[2]
    run = Run(resolve({}, env={"CHASER_REPORTS_DIR": str(reports)}, embedded=True), [])
    run.open()
    run.collect(["script::read_each_session", "script::read_an_unknown_id", "script::never_ran"])
    api = run.api_client()
    run.ledger.begin()
    for sid in run.target.session_ids:
        run.judge("read", api.get_session(sid))
    run.add(Outcome("script::read_each_session", "call", "passed", findings=tuple(run.ledger.take())))
    run.ledger.begin()
    outcome = "passed"
    try:
        # "bad": a test that holds the server to a status it does not owe: a failure, as a finding
        wanted = 200 if mode == "bad" else 404
        run.judge.expect("unknown id", run.judge("read", api.get_session("chaser-no-such-session")), wanted, "why")
    except ContractViolation:
        outcome = "failed"
    run.add(Outcome("script::read_an_unknown_id", "call", outcome, findings=tuple(run.ledger.take())))
    run.ledger.end()
    api.close()
    run.finish()
    status = run.write_reports([])
    run.close()
    print(json.dumps({"status": status, "not_run": run.not_run(), "pytest": "pytest" in sys.modules}))
    """
)


def drive(tmp_path, mode):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "reports"), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    return said, summary


def test_a_plain_script_drives_a_run_to_its_verdict(tmp_path):
    said, summary = drive(tmp_path, "good")
    assert said["pytest"] is False
    assert said["status"] is None
    assert said["not_run"] == [["script::never_ran", "did not run: the run ended before it (-x, --maxfail or a stop)"]]
    assert summary["verdict"] == "conformant"
    assert summary["counts"]["passed"] == 2


def test_a_finding_handed_to_the_run_fails_its_verdict(tmp_path):
    said, summary = drive(tmp_path, "bad")
    assert said["pytest"] is False
    assert summary["verdict"] == "not conformant"
    assert [c["rule"] for c in summary["causes"]] == ["status for unknown id"]
    assert summary["causes"][0]["tests"] == ["script::read_an_unknown_id"]

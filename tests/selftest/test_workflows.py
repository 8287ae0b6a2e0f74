"""Day two: `replay` a run's failures, adopt the suite on a non-conformant API with a `baseline`
(waivers of causes, keyed by a cause's full identity: rule, pointer, status, method, perspective),
and `compare` two runs by the same identity."""

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from chaser_conformance.checks.findings import Finding, Identity, Problem
from chaser_conformance.commands.baseline import baseline as write_baseline
from chaser_conformance.commands.baseline import toml_string
from chaser_conformance.commands.saved_reports import RunReports
from chaser_conformance.run.waivers import WaiverError, covering_waiver, fixed_notes, load_waivers
from chaser_conformance.server import serve_in_thread
from runner import ROOT, refused_port, run_suite_forked, target_env

FAULT, SECOND = "missing-id", "404-text-html"


def command(*args, env=None, cwd=None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    return subprocess.run(
        [sys.executable, "-m", "chaser_conformance", *map(str, args)],
        cwd=cwd or ROOT,
        env=clean | dict(env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def summary(path):
    return json.loads((path / "reports" / "summary.json").read_text())


def cause_keys(path):
    """(rule, pointer) of the failing causes of a run (summary.json)."""
    return {(c["rule"], c["pointer"]) for c in summary(path)["causes"]}


def identities_by_test(path):
    """(test, (rule, where, status, method, perspective)) of each shown problem of each finding of a
    run, waived ones too (failures.jsonl), read here from the JSON, not with the package's own code."""
    for line in (path / "reports" / "failures.jsonl").read_text().splitlines():
        entry = json.loads(line)
        shown = [p for p in entry["problems"] if p["own"]] or entry["problems"]
        status = entry["response"]["status"] if entry["response"] else None
        for p in shown:
            yield (
                entry["test"],
                (p["rule"], p["pointer"] or p["at"], status, entry["request"]["method"], entry["perspective"]),
            )


def identities(path):
    return {identity for _, identity in identities_by_test(path)}


def label(identity):
    rule, where, status, method, perspective = identity
    return f"[{rule}{' at ' + where if where else ''}] ({status} to {method}, {perspective})"


# --- replay -------------------------------------------------------------------------------------


def test_replay_says_still_failing_on_the_same_server_and_now_passes_on_a_conformant_one(tmp_path):
    with serve_in_thread([FAULT]) as faulty, serve_in_thread() as good:
        env = target_env(faulty)
        run = run_suite_forked(tmp_path, env, html=False)
        assert run.returncode == 1, run.output[-2000:]
        reports = tmp_path / "reports"
        token = {"CHASER_API_TOKEN": env["CHASER_API_TOKEN"]}

        same = command("replay", reports, env=token)
        assert same.returncode == 1, same.stdout + same.stderr
        assert "still failing: GET " + faulty.base_url in same.stdout
        assert "[schema required at /id]" in same.stdout and "now passes" not in same.stdout.replace("0 now passes", "")

        moved = command("replay", reports, "--base-url", good.base_url, env=token)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        assert "now passes: GET " + good.base_url in moved.stdout and "still failing:" not in moved.stdout
        # Only GETs of the session path, and the replays went to the other server alone.
        replayed = [(m, p) for m, p, _ in good.app.journal]
        assert replayed and all(m == "GET" and p.startswith("/v1/sessions/") for m, p in replayed)
    assert env["CHASER_API_TOKEN"] not in same.stdout + same.stderr + moved.stdout + moved.stderr


def test_replay_of_one_cause_or_one_test(tmp_path):
    with serve_in_thread([FAULT, SECOND]) as faulty:
        env = target_env(faulty)
        assert run_suite_forked(tmp_path, env, html=False).returncode == 1
        reports = tmp_path / "reports"
        causes = summary(tmp_path)["causes"]
        number = next(i for i, c in enumerate(causes, 1) if c["rule"] == "content type")
        token = {"CHASER_API_TOKEN": env["CHASER_API_TOKEN"]}
        one = command("replay", reports, "--cause", number, env=token)
        assert one.returncode == 1 and "[content type]" in one.stdout and "[schema required" not in one.stdout
        test = causes[number - 1]["tests"][0]
        by_test = command("replay", reports, "--test", test, env=token)
        assert by_test.returncode == 1 and f"({test.rsplit('::', 1)[-1]}" in by_test.stdout  # tests by name
        # The README's form: a test's name without its parameters replays every parametrisation,
        # and so does a glob; a name that misses says which failing tests come closest.
        lines = (reports / "failures.jsonl").read_text().splitlines()
        nodeids = {json.loads(line)["test"] for line in lines}
        failed = {t.rsplit("::", 1)[-1] for t in nodeids}  # names, as replay prints them
        nodeid = next(t for t in sorted(nodeids) if "[" in t)
        bare = nodeid.rsplit("::", 1)[-1].split("[")[0]
        every = {t for t in failed if t.split("[")[0] == bare}
        assert len(every) > 1, every
        for name in (bare, bare[:-4] + "*", nodeid.split("[")[0]):
            replayed = command("replay", reports, "--test", name, env=token)
            assert replayed.returncode == 1 and all(t in replayed.stdout for t in every), replayed.stderr
            assert not any(t in replayed.stdout for t in failed - every), name
        for bad in (["--cause", "99"], ["--test", "no_such_test"], ["--test", bare + "s"]):
            wrong = command("replay", reports, *bad, env=token)
            assert wrong.returncode == 4 and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr
        assert f"the closest failing tests: {bare}" in wrong.stderr, wrong.stderr


def test_replay_to_a_target_that_answers_nothing_is_unreachable_and_without_a_token_says_so(adoption, tmp_path):
    root, _, _, _ = adoption
    reports = root / "first" / "reports"
    token = {"CHASER_API_TOKEN": "tok-any"}  # nothing answers: any token
    with refused_port() as port:  # a port nothing listens on
        nowhere = f"http://127.0.0.1:{port}"
        gone = command("replay", reports, "--base-url", nowhere, env=token)
    assert gone.returncode == 69, gone.stdout + gone.stderr
    assert gone.stderr.count("\n") == 1 and f"{nowhere} could not be reached" in gone.stderr
    assert "still failing" not in gone.stdout
    bare = command("replay", reports)
    assert bare.returncode == 4 and bare.stderr.count("\n") == 1, bare.stderr
    assert "set CHASER_API_TOKEN, or CHASER_TOKEN_COMMAND" in bare.stderr and "--base-url" not in bare.stderr


def test_replay_and_compare_refuse_a_directory_that_holds_no_run(tmp_path):
    for args in (["replay", tmp_path], ["baseline", tmp_path], ["compare", tmp_path, tmp_path]):
        done = command(*args)
        assert done.returncode == 4 and "has no summary.json" in done.stderr and "Traceback" not in done.stderr


# --- baseline and compare -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def adoption(tmp_path_factory):
    """Run against a fault, write its baseline, then run with it against the same fault, against the
    fault plus a second one, and against a conformant server."""
    root = tmp_path_factory.mktemp("adoption")
    runs = {}
    with serve_in_thread([FAULT]) as server:
        runs["first"] = run_suite_forked(root / "first", target_env(server), html=False)
    written = command("baseline", root / "first" / "reports")
    baseline = root / "chaser-baseline.toml"
    baseline.write_text(written.stdout)
    with_baseline = {"CHASER_WAIVERS": str(baseline)}
    for name, switches in (("same", [FAULT]), ("more", [FAULT, SECOND]), ("fixed", [])):
        with serve_in_thread(switches) as server:
            runs[name] = run_suite_forked(root / name, target_env(server) | with_baseline, html=False)
    return root, runs, written, baseline


def test_the_baseline_is_the_waiver_format_keyed_by_a_causes_full_identity(adoption):
    root, runs, written, baseline = adoption
    assert runs["first"].returncode == 1 and written.returncode == 0, written.stderr
    waivers = load_waivers(baseline)
    keyed = [dataclasses.astuple(w.cause) for w in waivers]
    assert set(keyed) == identities(root / "first") and len(keyed) == len(set(keyed)) and waivers
    entries = tomllib.loads(written.stdout)["waiver"]
    order = ["rule", "pointer", "status", "method", "perspective", "reason", "expires"]
    assert all(list(entry) == order for entry in entries)
    assert [(e["rule"], e["pointer"], e["status"], e["method"], e["perspective"]) for e in entries] == keyed
    assert all(not w.test and w.reason.startswith("baseline of ") for w in waivers)
    assert all(w.expires == dt.date.today() + dt.timedelta(days=90) for w in waivers)
    later = command("baseline", root / "first" / "reports", "--expires", "2027-01-31")
    assert all(w["expires"] == dt.date(2027, 1, 31) for w in tomllib.loads(later.stdout)["waiver"])
    assert command("baseline", root / "first" / "reports", "--expires", "soon").returncode == 4
    past = command("baseline", root / "first" / "reports", "--expires", "2020-01-31")  # would waive nothing
    assert past.returncode == 4 and "is not after today" in past.stderr and not past.stdout


def test_a_run_with_the_baseline_passes_while_the_same_causes_fail(adoption):
    root, runs, _, _ = adoption
    run = runs["same"]
    assert run.returncode == 0, run.output[-3000:]
    data = summary(root / "same")
    assert data["causes"] == [] and data["counts"]["waived"] >= 1 and data["counts"]["failed"] == 0
    assert identities(root / "same") == identities(root / "first")  # still there, waived
    assert "XFAIL" in run.output and "waived: [schema required at /id] (200 to GET, the token)" in run.output


def test_the_baseline_waives_the_same_way_under_four_workers(adoption, tmp_path):
    root, _, _, baseline = adoption
    with serve_in_thread([FAULT]) as server:
        run = run_suite_forked(
            tmp_path, target_env(server) | {"CHASER_WAIVERS": str(baseline)}, ["-n", "4"], html=False
        )
    assert run.returncode == 0, run.output[-3000:]
    assert summary(tmp_path)["counts"] == summary(root / "same")["counts"]


def test_a_run_with_the_baseline_fails_on_a_new_cause_only(adoption):
    root, runs, _, _ = adoption
    assert runs["more"].returncode == 1
    failing = cause_keys(root / "more")
    assert failing and not failing & cause_keys(root / "first")  # only the new cause fails
    assert ("content type", "") in failing
    assert ("content type", "", 404, "GET", "the token") in identities(root / "more") - identities(root / "first")


def test_a_run_with_the_baseline_on_a_conformant_server_lists_each_cause_as_fixed(adoption):
    root, runs, _, _ = adoption
    run = runs["fixed"]
    assert run.returncode == 0, run.output[-3000:]
    for identity in identities(root / "first"):
        line = f"fixed: remove from the baseline: {label(identity)}"
        assert line in run.output
        assert any(note.startswith(line) for note in summary(root / "fixed")["notes"])
    assert "fixed: remove from the baseline" in (root / "fixed" / "reports" / "summary.md").read_text()
    assert "fixed: remove from the baseline" not in runs["same"].output


def test_compare_prints_new_fixed_and_still_failing(adoption):
    root, _, _, _ = adoption
    first, more, fixed = (root / n / "reports" for n in ("first", "more", "fixed"))
    known, now = identities(root / "first"), identities(root / "more")
    grew = command("compare", first, more)
    assert grew.returncode == 1, grew.stderr
    head = grew.stdout.splitlines()[0]
    new, gone = now - known, known - now
    assert head == f"{len(new)} new, {len(gone)} fixed, {len(known & now)} still failing"
    listed = grew.stdout.split("still failing:")[0].split("new:")[1]
    assert new and all(label(identity) in listed for identity in new)
    healed = command("compare", more, fixed, "--format", "markdown")
    assert healed.returncode == 0
    assert healed.stdout.startswith(f"### Chaser conformance: 0 new, {len(now)} fixed, 0 still failing")
    assert healed.stdout.count("| ✅ fixed |") == len(now)
    same = command("compare", first, root / "same" / "reports")
    assert same.returncode == 0 and same.stdout.startswith(f"0 new, 0 fixed, {len(known)} still failing")


def test_a_cause_waiver_names_a_rule_not_a_test_too(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\ntest = "x"\nrule = "status"\nreason = "r"\n')
    with pytest.raises(WaiverError, match="names a test or a cause"):
        load_waivers(path)


@pytest.mark.parametrize("text", ['a "quoted" \\ back', "tab\tand\nline", "del\x7f", "é😀", "lone \udcff"])
def test_baseline_strings_are_valid_toml(text):
    value = tomllib.loads(f"x = {toml_string(text)}\n")["x"]
    assert value == text.encode("utf-8", "replace").decode("utf-8")


def test_an_expired_baseline_entry_fails_as_any_expired_waiver(adoption, tmp_path):
    root, _, _, _ = adoption
    stale = tmp_path / "stale-baseline.toml"
    written = command("baseline", root / "first" / "reports", "--expires", "2099-01-31").stdout
    stale.write_text(written.replace("expires = 2099-01-31", "expires = 2020-01-31"))  # a baseline grown old
    with serve_in_thread([FAULT]) as server:
        run = run_suite_forked(tmp_path, target_env(server) | {"CHASER_WAIVERS": str(stale)}, html=False)
    assert run.returncode == 1
    assert cause_keys(tmp_path) == cause_keys(root / "first")
    expired = (
        "waiver expired and was not applied: [schema required at /id] (200 to GET, the token) (expires 2020-01-31)"
    )
    assert expired in run.output


# --- a baseline waives exactly the identities it lists ---------------------------------------------


def baselined(root, before, after):
    """A run against the switches `before`, its baseline, a run with that baseline against `after`,
    and `compare` of the two runs."""
    with serve_in_thread(before) as server:
        first = run_suite_forked(root / "before", target_env(server), html=False)
    written = command("baseline", root / "before" / "reports")
    assert first.returncode == 1 and written.returncode == 0, written.stderr
    (root / "baseline.toml").write_text(written.stdout)
    with serve_in_thread(after) as server:
        later = run_suite_forked(
            root / "after", target_env(server) | {"CHASER_WAIVERS": str(root / "baseline.toml")}, html=False
        )
    return later, command("compare", root / "before" / "reports", root / "after" / "reports")


def failing_tests(path):
    return {t for c in summary(path)["causes"] for t in c["tests"]}


def test_a_baseline_of_a_foreign_403_does_not_waive_the_400s_of_unknown_ids(tmp_path):
    """Issue 26's case. 'undocumented status' bites at '403 to GET' and '400 to GET': the status was
    already in its where, so this held before the full identity too (the next test shows the harm)."""
    later, compared = baselined(tmp_path, ["foreign-403"], ["foreign-403", "unknown-id-400"])
    assert later.returncode == 1, later.output[-3000:]
    new = identities(tmp_path / "after") - identities(tmp_path / "before")
    assert ("undocumented status", "400 to GET", 400, "GET", "the token") in new
    assert failing_tests(tmp_path / "after") == {t for t, i in identities_by_test(tmp_path / "after") if i in new}
    assert compared.returncode == 1, compared.stderr
    listed = compared.stdout.split("new:")[1].split("fixed:")[0]
    assert "[undocumented status: 400 to GET] (400 to GET, the token)" in listed


def test_a_baseline_does_not_waive_its_rule_and_pointer_with_another_status(tmp_path):
    """The harm of a baseline keyed by rule and pointer alone: 'content type' (where: none) of the
    404s waived the text/plain 200s too. Keyed by the full identity, those fail and compare names them."""
    later, compared = baselined(tmp_path, ["404-text-html"], ["404-text-html", "200-text-plain"])
    assert identities(tmp_path / "before") == {("content type", "", 404, "GET", "the token")}
    assert later.returncode == 1, later.output[-3000:]
    assert cause_keys(tmp_path / "after") == {("content type", "")}
    assert {c["status"] for c in summary(tmp_path / "after")["causes"]} == {200}
    new = identities(tmp_path / "after") - identities(tmp_path / "before")
    assert new == {("content type", "", 200, "GET", "the token")}
    assert failing_tests(tmp_path / "after") == {t for t, i in identities_by_test(tmp_path / "after") if i in new}
    assert summary(tmp_path / "after")["counts"]["waived"] >= 1  # the 404s alone are still waived
    assert compared.returncode == 1 and compared.stdout.startswith("1 new, 0 fixed, 1 still failing")
    assert (
        compared.stdout.split("new:")[1]
        .split("still failing:")[0]
        .startswith("\n  [content type] (200 to GET, the token)")
    )


OLD_BASELINE = (
    '[[waiver]]\nrule = "content type"\npointer = ""\nreason = "baseline of 2026-11-30"\nexpires = 2099-01-01\n'
)


def test_a_baseline_of_the_older_format_is_refused_in_one_line(tmp_path):
    path = tmp_path / "old-baseline.toml"
    path.write_text(OLD_BASELINE)
    with pytest.raises(WaiverError) as raised:
        load_waivers(path)
    message = str(raised.value)
    assert message == (
        f"waivers file {str(path)!r}, waiver #1: a cause waiver needs 'status', 'method' and 'perspective' "
        f"(an older baseline): write it again with chaser-conformance baseline REPORTS_DIR > {str(path)!r}"
    )
    with serve_in_thread(["404-text-html"]) as server:  # the cause it would have waived loosely
        run = run_suite_forked(tmp_path / "run", target_env(server) | {"CHASER_WAIVERS": str(path)}, html=False)
    assert run.returncode == 4 and "Traceback" not in run.output, run.output[-3000:]
    assert [line for line in run.output.splitlines() if line.strip()] == [f"ERROR: chaser settings: {message}"]


CAUSE = 'rule = "content type"\npointer = ""\nreason = "r"\n'


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ('status = 404\nmethod = "GET"\n', "needs 'status', 'method' and 'perspective' (an older baseline)"),
        ('status = 99\nmethod = "GET"\nperspective = "the token"\n', "'status' must be an HTTP status"),
        ('status = 600\nmethod = "GET"\nperspective = "the token"\n', "'status' must be an HTTP status"),
        ('status = "404"\nmethod = "GET"\nperspective = "the token"\n', "'status' must be an HTTP status"),
        ('status = true\nmethod = "GET"\nperspective = "the token"\n', "'status' must be an HTTP status"),
        ('status = "None"\nmethod = "GET"\nperspective = "the token"\n', "'status' must be an HTTP status"),
        ('status = 404\nmethod = ""\nperspective = "the token"\n', "'method' must be an HTTP method"),
        ('status = 404\nmethod = "GET"\nperspective = 1\n', "'perspective' must say who asked"),
    ],
)
def test_a_cause_waiver_names_a_status_a_method_and_a_perspective(tmp_path, keys, message):
    path = tmp_path / "w.toml"
    path.write_text("[[waiver]]\n" + CAUSE + keys)
    with pytest.raises(WaiverError, match=re.escape(message)) as raised:
        load_waivers(path)
    assert "\n" not in str(raised.value)


def test_a_test_waiver_takes_no_status_method_or_perspective(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\ntest = "t"\nreason = "r"\nstatus = 404\nmethod = "GET"\n')
    with pytest.raises(WaiverError, match="'status', 'method' need\\(s\\) the 'rule' of the cause"):
        load_waivers(path)


def test_no_answer_is_status_none_in_a_baseline_and_waives_only_itself(tmp_path):
    problem = Problem("no answer", "the connection was reset")
    lost = Finding("no answer", (problem,), "GET", "http://h/v1/sessions/s", None, "", test="t")
    run = RunReports(tmp_path, {"verdict": "not conformant"}, [lost])
    written = write_baseline(run, dt.date(2099, 1, 31), dt.date(2099, 1, 1))
    entry = tomllib.loads(written)["waiver"][0]
    assert (entry["status"], entry["method"], entry["perspective"]) == ("none", "GET", "")
    (tmp_path / "b.toml").write_text(written)
    [waiver] = load_waivers(tmp_path / "b.toml")
    assert waiver.cause == Identity("no answer", "", None, "GET", "")
    assert waiver.label() == "[no answer] (no answer to GET) (expires 2099-01-31)"
    assert covering_waiver([waiver], [lost]) is waiver and fixed_notes([waiver], [lost]) == []
    answered = dataclasses.replace(lost, status=502, perspective="the token")
    assert covering_waiver([waiver], [answered]) is None
    assert fixed_notes([waiver], [answered]) == [f"fixed: remove from the baseline: {waiver.label()}"]


# --- the README's day-two commands, run as printed ----------------------------------------------


def readme_commands(prefix):
    """The README's shell lines that start with `prefix`, comments cut, in order."""
    text = (ROOT / "README.md").read_text()
    lines = [line.split("  #")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line.startswith(prefix)]


def test_the_readmes_day_two_commands_work_as_printed(tmp_path):
    # Each `.venv/bin/chaser-conformance ...` line of the README runs as written, in a directory that
    # holds what the README assumes (a run's reports/, main-reports/ of an earlier run, mocks/ and a
    # HAR capture): only the program's path, the example hosts and the job summary file are this
    # machine's. Against two faults, so that cause 2 and test_unknown_id_returns_404_json exist.
    printed = readme_commands(".venv/bin/chaser-conformance ")
    assert len(printed) >= 9, printed
    work = tmp_path / "work"
    (work / "mocks").mkdir(parents=True)
    with serve_in_thread([FAULT]) as earlier:
        run_suite_forked(tmp_path / "earlier", target_env(earlier), html=False)
    (tmp_path / "earlier" / "reports").rename(work / "main-reports")
    (work / "mocks" / "session.json").write_text(json.dumps({"id": "ses_1"}))
    (work / "captured.har").write_bytes((ROOT / "tests/selftest/data/mitmdump-reference-server.har").read_bytes())
    summary_file = tmp_path / "step-summary.md"
    with serve_in_thread([FAULT, SECOND]) as faulty, serve_in_thread() as good:
        env = target_env(faulty)
        assert run_suite_forked(tmp_path / "now", env, html=False).returncode == 1
        (tmp_path / "now" / "reports").rename(work / "reports")
        (work / "failures.jsonl").write_bytes((work / "reports" / "failures.jsonl").read_bytes())
        machine = {
            ".venv/bin/chaser-conformance": f"{sys.executable} -m chaser_conformance",
            "https://preview-123.example.com": good.base_url,
            '"$GITHUB_STEP_SUMMARY"': str(summary_file),
        }
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
        clean |= {"CHASER_API_TOKEN": env["CHASER_API_TOKEN"], "PYTHONPATH": str(ROOT)}
        for line in printed:
            command = line
            for mine, theirs in machine.items():
                command = command.replace(mine, theirs)
            done = subprocess.run(
                ["bash", "-c", command], cwd=work, env=clean, capture_output=True, text=True, timeout=120
            )
            said = done.stdout + done.stderr
            assert done.returncode in (0, 1), f"{line}\n-> exit {done.returncode}\n{said[-2000:]}"
            assert "Traceback" not in said and env["CHASER_API_TOKEN"] not in said, line
            if "--base-url" in line:
                assert done.returncode == 0 and "now passes" in said, said[-2000:]
            elif " replay " in line:
                assert done.returncode == 1 and "still failing" in said, f"{line}\n{said[-2000:]}"
    assert (work / "chaser-baseline.toml").is_file() and load_waivers(work / "chaser-baseline.toml")
    assert summary_file.read_text().startswith("### Chaser conformance: ")

"""A run that does not finish says so in every report it can write, and no earlier run's report
survives it: Ctrl-C and SIGTERM (serially and under -n), a usage error, an unreachable target."""

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from chaser_conformance.server import Latency
from chaser_conformance.server.app import ReferenceApp, RunningServer
from hostile import Answer, HostileServer, response, wait_for
from runner import ROOT, run_suite_forked, target_env
from test_tokens import env_for, short_lived_server, token_command

STALE = '{"verdict": "conformant", "verdict_line": "conformant: 71 passed"}'


def start(tmp_path, env, args=()):
    reports = tmp_path / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "summary.json").write_text(STALE)  # an earlier run's, which must not survive
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return reports, subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=clean | {"CHASER_REPORTS_DIR": str(reports), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(process, seen):
    """The output up to the point where `seen(output)` is true (the run is under way)."""
    out = []
    while (ch := process.stdout.read(1)) and not seen("".join(out)):
        out.append(ch)
    return "".join(out)


def slow_server():
    # 5 ms per answer: the ci profile then runs for a minute, long enough to be interrupted.
    return RunningServer(ReferenceApp(latency=Latency(5)), quiet=True).start()


@pytest.mark.parametrize(
    "signum,args",
    [(signal.SIGINT, ()), (signal.SIGTERM, ()), (signal.SIGTERM, ("-n", "2"))],
    ids=["sigint", "sigterm", "sigterm-n2"],
)
def test_an_interrupted_run_reports_interrupted_and_lists_every_test_not_run(tmp_path, signum, args):
    server = slow_server()
    try:
        env = target_env(server) | {"CHASER_PROFILE": "ci"}
        reports, process = start(tmp_path, env, [*args, "-v"])
        head = read_until(process, lambda out: " PASSED" in out)  # a test has passed: mid-run
        process.send_signal(signum)
        output = head + process.communicate(timeout=120)[0]
    finally:
        server.stop()
    assert process.returncode == 2, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and f"verdict: {summary['verdict_line']}" in output
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: interrupted: ")
    assert "Verdict: interrupted: " in (reports / "report.html").read_text()
    outcomes = {t["test"]: t["outcome"] for t in summary["tests"]}
    assert summary["counts"]["skipped"] > 40 and "failed" not in outcomes.values()
    assert all("did not run" in t["reason"] for t in summary["not_run"])
    assert not summary["coverage_gaps"]  # an unfinished run claims nothing about what it never saw
    cases = list(ET.parse(reports / "junit.xml").getroot().iter("testcase"))
    named = {c.get("name") for c in cases if c.get("name")}
    assert {t.split("::", 1)[1] for t in outcomes} <= named
    assert len(cases) == len(outcomes) and all(c.get("name") for c in cases)  # one named case per test


# After five whole answers, every answer trickles: a byte every 0.2 s, some 20 s for a 404, and each
# byte restarts the read timeout. A signal must not wait for it (CI's SIGKILL follows SIGTERM).
TRICKLED_AFTER = 5
NOT_FOUND = response(
    status=b"404 Not Found", body=b'{"error":"not_found"}', headers=[b"Content-Type: application/json"]
)
# The aim is 2 s (0.14 to 0.65 s measured on an idle two-core machine); beside the other selftests
# on two cores one took 2.5 s, so the bound here is 5 s: still far below waiting for the answer
# (some 20 s) or the token command (300 s), which is what it tells apart.
SIGNAL_BOUND_SECONDS = 5.0


def ended_by(process, name, once):
    """The run's output after signal `name`, sent once `once()` holds: it ends with exit 2 within
    SIGNAL_BOUND_SECONDS of the signal."""
    try:
        assert wait_for(once, timeout=60), "the run never got where the signal is to be sent"
        sent = time.monotonic()
        process.send_signal(getattr(signal, name))
        output = process.communicate(timeout=60)[0]
        took = time.monotonic() - sent
    finally:
        process.kill()
        process.wait()  # reaped here, not reported as still running by a later test's garbage collection
    assert process.returncode == 2, output[-3000:]
    assert took < SIGNAL_BOUND_SECONDS, f"{took:.1f} s after {name}"
    return output


@pytest.mark.parametrize(
    "name, workers",
    [("SIGTERM", ()), ("SIGHUP", ()), ("SIGQUIT", ()), ("SIGTERM", ("-n", "2"))],
    ids=["SIGTERM", "SIGHUP", "SIGQUIT", "SIGTERM-two-workers"],
)
def test_a_signal_abandons_the_exchange_the_run_waits_on_and_every_channel_is_written(tmp_path, name, workers):
    # With workers, the signal reaches the controller alone (as `kill PID` sends it), and the
    # exchange that trickles is a worker's: the controller tells its workers.
    answers = lambda number, request: Answer(NOT_FOUND, trickle=0.2 if number >= TRICKLED_AFTER else 0.0)  # noqa: E731
    with HostileServer(answers) as server:
        env = {"CHASER_BASE_URL": server.base_url, "CHASER_API_TOKEN": "tok-trickle", "CHASER_SESSION_ID": "ses_1"}
        reports, process = start(tmp_path, env, workers)
        output = ended_by(process, name, once=lambda: len(server.requests) > TRICKLED_AFTER)  # a trickle began
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and f"verdict: {summary['verdict_line']}" in output
    assert f"interrupted by {name}" in output
    assert summary["not_run"] and all("did not run" in t["reason"] for t in summary["not_run"])
    assert_every_channel_tells_every_test(reports, summary)


def assert_every_channel_tells_every_test(reports, summary):
    assert sorted(p.name for p in reports.iterdir()) == [
        "failures.jsonl",
        "junit.xml",
        "report.html",
        "summary.json",
        "summary.md",
    ]
    counts = summary["counts"]
    assert len(summary["tests"]) == sum(counts.values()) and len(summary["tests"]) > 60  # every test, told
    cases = list(ET.parse(reports / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == len(summary["tests"])
    assert f"Verdict: {summary['verdict_line']}" in (reports / "report.html").read_text()


def test_a_usage_error_replaces_an_earlier_summary_with_its_own(tmp_path):
    reports, process = start(tmp_path, {"CHASER_BASE_URL": "ftp://example.test"})
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 4 and "Traceback" not in output
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "usage error" and "is not an http:// or https:// URL" in summary["verdict_line"]
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: usage error")


def test_an_unreachable_target_replaces_an_earlier_summary_with_its_own(tmp_path):
    env = {"CHASER_BASE_URL": "http://127.0.0.1:9", "CHASER_API_TOKEN": "t0ken", "CHASER_SESSION_ID": "s1"}
    reports, process = start(tmp_path, env)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 69 and "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith("Exit: chaser: target unreachable: http://127.0.0.1:9: ")
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "unreachable"
    assert sorted(p.name for p in reports.iterdir()) == ["summary.json", "summary.md"]


def chaser_in(folder, env, file_bytes=None):
    """The installed command run from `folder` (its ./reports is the default), against the embedded
    server; with `file_bytes`, no file it writes may grow past that (a disk that is full)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    return subprocess.run(
        [sys.executable, "-m", "chaser_conformance", "--embedded"],
        cwd=folder,
        env=clean | env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=None if file_bytes is None else lambda: full_disk_at(file_bytes),
    )


def full_disk_at(size):
    """In the child: a write past `size` bytes of a file fails (EFBIG), as one to a full disk does
    (ENOSPC); the output goes to pipes, which no size limits."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_full_disk_is_one_line_per_report_exit_74_and_no_report_cut_short(tmp_path):
    # 8 KB: summary.md and failures.jsonl fit; junit.xml, report.html and summary.json do not.
    run = chaser_in(tmp_path, {}, file_bytes=8192)
    output = run.stdout + run.stderr
    assert run.returncode == 74, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    assert "verdict: conformant" in run.stdout  # the verdict, which no report now holds
    lines = [line for line in run.stdout.splitlines() if line.startswith("REPORT NOT WRITTEN: ")]
    assert lines == [
        "REPORT NOT WRITTEN: junit.xml, report.html: File too large (exit 74)",
        "REPORT NOT WRITTEN: reports/summary.json: File too large (exit 74)",
    ], output[-3000:]
    reports = tmp_path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["failures.jsonl", "summary.md"]  # none cut short
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: conformant")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_a_reports_directory_that_is_a_file_is_one_line_and_nothing_is_written_elsewhere(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "junit.xml").write_text("another run's")
    (tmp_path / "afile").write_text("not a directory")
    run = chaser_in(tmp_path, {"CHASER_REPORTS_DIR": "afile"})
    assert run.returncode == 4 and "Traceback" not in run.stdout + run.stderr
    assert "'afile' exists and is not a directory" in run.stdout + run.stderr
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["junit.xml"]
    assert (tmp_path / "reports" / "junit.xml").read_text() == "another run's"
    assert (tmp_path / "afile").read_text() == "not a directory"


@pytest.mark.parametrize("taken", ["report.html", "junit.xml", "summary.json"])
def test_a_report_path_taken_by_a_directory_is_one_line_and_exit_4_before_the_run(tmp_path, taken):
    reports = tmp_path / "reports"
    (reports / taken).mkdir(parents=True)
    if taken != "summary.json":
        (reports / "summary.json").write_text(STALE)  # an earlier run's, which must not survive
    run = chaser_in(tmp_path, {})
    output = run.stdout + run.stderr
    assert run.returncode == 4, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    assert f"reports/{taken} is not a file, and the run writes its {taken} there" in output
    assert (reports / taken).is_dir() and not any((reports / taken).iterdir())  # left as it was
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: usage error")
    if taken != "summary.json":
        assert json.loads((reports / "summary.json").read_text())["verdict"] == "usage error"


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "n2"])
def test_a_reader_that_goes_away_does_not_stop_the_run_or_its_reports(tmp_path, args):
    # `chaser-conformance | head -2`: the pipe closes after two lines, the run goes on to its verdict.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "chaser_conformance", "--embedded", *args],
        cwd=tmp_path,
        env=clean,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.readline()
    process.stdout.readline()
    process.stdout.close()
    errors = process.communicate(timeout=120)[1].decode(errors="replace")
    assert process.returncode == 0, errors[-3000:]
    assert "Traceback" not in errors and "INTERNALERROR" not in errors and "BrokenPipe" not in errors, errors
    reports = tmp_path / "reports"
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        ["failures.jsonl", "junit.xml", "report.html", "summary.json", "summary.md"]
    )
    assert json.loads((reports / "summary.json").read_text())["verdict"] == "conformant"


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "two-workers"])
def test_a_signal_during_a_token_renewal_ends_the_run_and_the_command(tmp_path, workers):
    # Tokens live 100 requests: the command gives the first, and hangs when asked for the second
    # (a login that hangs mid-run), with a child of its own. With workers, a worker asked for the
    # renewal and the controller runs the command.
    server, store, _ = short_lived_server()
    script = tmp_path / "token.sh"
    script.write_text(
        f'if [ -e "{tmp_path}/first" ]; then\n'
        f'  sleep 300 &\n  echo $! > "{tmp_path}/child.pid"\n'
        f'  echo $$ > "{tmp_path}/command.tmp" && mv "{tmp_path}/command.tmp" "{tmp_path}/command.pid"\n  wait\n'
        f'else\n  touch "{tmp_path}/first"\n  exec {token_command(server)}\nfi\n'
    )
    with server:
        env = env_for(server, store, CHASER_TOKEN_COMMAND=f"sh {script}", CHASER_PROFILE="quick")
        reports, process = start(tmp_path, env, workers)
        output = ended_by(process, "SIGTERM", once=lambda: (tmp_path / "command.pid").is_file())  # the renewal hangs
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and "interrupted by SIGTERM" in output
    pids = [int((tmp_path / f"{who}.pid").read_text()) for who in ("command", "child")]
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=5), "a process of the token command lives on"


def test_a_signal_while_the_embedded_server_starts_ends_the_run_as_interrupted(tmp_path, monkeypatch):
    # The run's own handlers are in place once it is open; before (its token command, the embedded
    # server's start), a signal ends it as interrupted too, not by the default death with no report.
    # The forked run inherits this process's modules: its embedded server is slow to start.
    from chaser_conformance.server import process as server_process

    marker, started = tmp_path / "starting", server_process.serve_in_process

    def slow_start(*args, **kwargs):
        (tmp_path / "starting.tmp").write_text(str(os.getpid()))
        (tmp_path / "starting.tmp").rename(marker)  # whole when it appears
        time.sleep(60)  # a server slow to start: the signal comes meanwhile (not synchronisation)
        return started(*args, **kwargs)

    monkeypatch.setattr(server_process, "serve_in_process", slow_start)
    killer = threading.Thread(
        target=lambda: wait_for(marker.is_file, timeout=60) and os.kill(int(marker.read_text()), signal.SIGTERM)
    )
    killer.start()
    run = run_suite_forked(tmp_path, {})
    killer.join()
    assert run.returncode == 2, run.output[-3000:]
    assert "interrupted by SIGTERM while the run started" in run.output and "Traceback" not in run.output
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and summary["counts"]["passed"] == 0
    assert_every_channel_tells_every_test(tmp_path / "reports", summary)


def alive(pid):
    """The process exists and is no zombie (a reaped or killed child whose parent is gone may wait
    for a busy init as a zombie: it runs no more)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    "name, workers",
    [("SIGTERM", ()), ("SIGHUP", ()), ("SIGQUIT", ()), ("SIGTERM", ("-n", "2"))],
    ids=["SIGTERM", "SIGHUP", "SIGQUIT", "SIGTERM-two-workers"],
)
def test_a_signal_during_the_token_command_ends_the_run_and_the_command_with_all_it_started(tmp_path, name, workers):
    # A token command that starts a child of its own and then waits (a login that hangs).
    script = tmp_path / "token.sh"
    # command.pid appears whole (renamed into place): the signal is sent as soon as it exists.
    script.write_text(
        f'sleep 300 &\necho $! > "{tmp_path}/child.pid"\n'
        f'echo $$ > "{tmp_path}/command.tmp" && mv "{tmp_path}/command.tmp" "{tmp_path}/command.pid"\nwait\n'
    )
    env = {
        "CHASER_BASE_URL": "http://127.0.0.1:9",
        "CHASER_SESSION_ID": "ses_1",
        "CHASER_TOKEN_COMMAND": f"sh {script}",
    }
    reports, process = start(tmp_path, env, workers)
    output = ended_by(process, name, once=lambda: (tmp_path / "command.pid").is_file())  # the command runs
    assert "Traceback" not in output and f"interrupted by {name} while the token command ran" in output, output
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "interrupted" and f"verdict: {summary['verdict_line']}" in output
    assert (reports / "summary.md").read_text().startswith("# Chaser conformance: interrupted")
    # Every test is told, as not run, in every channel: none ran, and none is missing.
    assert_every_channel_tells_every_test(reports, summary)
    why = f"did not run: the run was interrupted by {name} while the token command ran"
    assert summary["counts"]["passed"] == 0 and {t["message"] for t in summary["tests"]} == {why}
    pids = [int((tmp_path / f"{who}.pid").read_text()) for who in ("command", "child")]
    assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=5), "a process of the token command lives on"

"""The README's first screen is the way in: two commands that work on a fresh machine, then real
output, then how to test your own API. Every command it prints for a user is one that exists, and
CI runs the same commands."""

import importlib.util
import os
import re
import tomllib

import pytest

from chaser_conformance.contract import layout
from chaser_conformance.run.waivers import load_waivers
from chaser_conformance.server.store import seed
from chaser_conformance.settings import FIELDS
from runner import ROOT, run_suite_forked

README = (ROOT / "README.md").read_text()
LINES = README.splitlines()


def load_run_py():
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocks():
    """(first line number, language, lines) of each fenced block."""
    found, start = [], None
    for number, line in enumerate(LINES):
        if line.startswith("```") and start is None:
            start, language = number, line[3:]
        elif line.startswith("```"):
            found.append((start, language, LINES[start + 1 : number]))
            start = None
    return found


def commands(lines):
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_the_first_shell_block_is_two_commands_followed_by_sample_output_in_the_first_40_lines():
    (first, _, body), (sample_at, language, sample) = [b for b in blocks() if b[1] in ("sh", "text")][:2]
    assert commands(body) == ["python3 run.py suite", "python3 run.py selftest"]
    assert language == "text" and sample_at + len(sample) + 1 < 40
    assert any(line.startswith("verdict: conformant: ") for line in sample)
    assert LINES.index("## Test your API") < 45


def test_ci_runs_the_commands_the_readme_gives():
    ci = commands((ROOT / ".ci" / "run").read_text().splitlines())
    first = commands(next(b for b in blocks() if b[1] == "sh")[2])
    assert all(command in ci for command in first)


def test_every_run_py_command_the_readme_names_exists_and_the_suite_installs_only_what_it_needs():
    run_py = load_run_py()
    named = set(re.findall(r"python3 run\.py (\w+)", README))
    assert named <= set(run_py.COMMANDS) and {"suite", "live", "server", "selftest"} <= named
    assert all(f"  {name} " in run_py.__doc__ for name in run_py.COMMANDS)
    assert not run_py.EXTRAS.get("suite") and not run_py.EXTRAS.get("live")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    assert not any(re.split(r"[<>=\[ ]", tool)[0] in base for tool in project["optional-dependencies"]["selftest"])
    assert "python -m chaser_conformance.server" not in README.split("## Internals")[0]  # needs the venv


def test_the_demo_token_and_session_ids_are_written_down():
    for account in seed().values():
        row = next(line for line in LINES if line.startswith(f"| `{account.name}`"))
        assert f"`{account.token}`" in row and all(f"`{sid}`" in row for sid in account.sessions)


def test_the_reference_server_prints_a_suite_command_that_works_from_the_checkout(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert layout.suite_command() == "python3 run.py live"


def normalised(line):
    line = re.sub(r"\(in [^)]*\)", "(in DIR)", line)
    line = re.sub(r"([.=-])\1+", r"\1\1", line)  # dots per test, pytest's centring of a line
    return re.sub(r"\s+", " ", re.sub(r"\d+(\.\d+)?", "N", line)).strip()


@pytest.mark.skipif(os.environ.get("CHASER_SELFTEST_SUITE_ARGS"), reason="the sample is of a serial run")
def test_the_sample_output_is_what_the_first_command_prints(tmp_path):
    sample = [b for b in blocks() if b[1] == "text"][0][2]
    run = run_suite_forked(tmp_path, {}, ["--embedded", "-rsxX"])  # as `python3 run.py suite` runs it
    assert run.returncode == 0, run.output[-2000:]
    printed = {normalised(line) for line in run.output.splitlines()}
    missing = [line for line in sample if line != "…" and normalised(line) not in printed]
    assert not missing, missing


def test_every_setting_has_a_row_in_the_settings_table():
    missing = [f.env for f in FIELDS if not any(line.startswith(f"| `{f.env}` | `{f.option}`") for line in LINES)]
    assert not missing, f"settings the README's table does not list (with their option): {missing}"


def test_the_readmes_waivers_load_as_the_waivers_file_they_show(tmp_path):
    shown = ["\n".join(lines) for _, language, lines in blocks() if language == "toml" and "[[waiver]]" in lines]
    assert len(shown) == 2  # a test waiver and a cause waiver keyed by its full identity
    for number, text in enumerate(shown):
        path = tmp_path / f"waivers-{number}.toml"
        path.write_text(text + "\n")
        [waiver] = load_waivers(path)
        assert waiver.test or (waiver.cause.status, waiver.cause.method) == (404, "GET")


def test_selftest_says_up_front_how_long_it_takes_and_names_no_machine_folder(capsys, monkeypatch):
    run_py = load_run_py()
    assert run_py.COMMANDS["selftest"][0] is run_py.announce_selftest  # before anything else
    for cores, minutes in ((1, 17), (2, 9), (8, 3)):
        monkeypatch.setattr(run_py.os, "cpu_count", lambda cores=cores: cores)
        assert run_py.announce_selftest({}) == 0
        said = capsys.readouterr().err
        assert f"about {minutes} minutes with {cores} core" in said and "reports/selftest/fault-matrix.txt" in said
        assert str(ROOT) not in said
    assert run_py.near(run_py.VENV / "node-frameworks") == run_py.VENV.relative_to(ROOT) / "node-frameworks"


def test_every_verdict_has_a_row_in_the_readmes_verdict_table():
    from chaser_conformance.reports.model import VERDICTS

    table = [line for line in LINES[LINES.index("| verdict | means | exit |") :] if line.startswith("|")]
    named = {word for line in table for word in re.findall(r"`([^`]+)`", line.split("|")[1])}
    assert set(VERDICTS) <= named, set(VERDICTS) - named


def test_a_server_started_by_run_py_in_the_background_stops_with_it(tmp_path):
    # `kill` of `python3 run.py server &` (SIGTERM to run.py alone) stops the server it started too:
    # left running, it held the port and the next `run.py server` failed.
    import signal
    import socket
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--here", "server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # not this test's process group: only run.py gets the signal
    )
    try:
        banner = proc.stdout.readline()
        port = int(banner.rsplit(":", 1)[1])
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        proc.stdout.close()


def test_the_readmes_exit_codes_are_the_packages():
    from chaser_conformance.contract.exitcodes import MEANINGS

    table = LINES[LINES.index("### Exit codes") :]
    rows = [line for line in table[: table.index("## Settings")] if re.match(r"^\| \d+ \|", line)]
    assert [int(row.split("|")[1]) for row in rows] == list(MEANINGS)
    assert "validate" in rows[1] and "token expired" in rows[-3].replace("fixed token expired", "token expired")


def run_py_lines():
    """The README's shell lines that run run.py (backslash continuations joined, comments cut), but
    `suite` and `selftest`, which CI runs as printed."""
    lines, joined = [], ""
    for _, language, body in blocks():
        if language != "sh":
            continue
        for line in body:
            joined += line.split("  #")[0].rstrip()
            if joined.endswith("\\"):
                joined = joined[:-1] + " "
                continue
            if "python3 run.py" in joined and not re.search(r"run\.py (suite|selftest)\b", joined):
                lines.append(" ".join(joined.split()))
            joined = ""
    return lines


def test_the_readmes_run_py_lines_work_as_printed(tmp_path):
    # Each line runs as written; only the example host, token, ids and vault command, and port 8000
    # (which may be taken), are this machine's, and `python3 run.py` runs in this environment.
    import signal
    import socket
    import subprocess
    import sys

    printed = run_py_lines()
    servers = [line for line in printed if " run.py server" in line]
    lives = [line for line in printed if " run.py live" in line]
    assert len(servers) >= 3 and len(lives) >= 4, printed

    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def mine(line, port):
        for theirs, here in (
            ("https://staging.example.com", f"http://localhost:{port}"),
            ("http://localhost:8000", f"http://localhost:{port}"),
            ("CHASER_API_TOKEN=...", "CHASER_API_TOKEN=demo-token-primary"),
            ("ses_1,ses_2", "ses_full,ses_nulls"),
            ("ses_of_another_account", "ses_other"),
            ("vault read -field=token secret/chaser/staging", "echo demo-token-primary"),
            ("--port 8000", f"--port {port}"),
            ("python3 run.py", f"{sys.executable} run.py --here"),
        ):
            line = line.replace(theirs, here)
        if " run.py --here server" in line and "--port" not in line:
            line += f" --port {port}"
        return line

    def serving(line, port):
        proc = subprocess.Popen(["bash", "-c", f"exec {mine(line, port)}"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().startswith("Chaser Core API reference server on http://")
        return proc

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) is not None
        proc.stdout.close()

    settings = {  # what the README's earlier lines exported, for a line that sets none
        "CHASER_API_TOKEN": "demo-token-primary",
        "CHASER_SESSION_ID": "ses_full,ses_nulls,ses_minimal",
        "CHASER_FOREIGN_SESSION_ID": "ses_other",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")}
    ran = []
    for server in servers:
        port = free_port()
        proc = serving(server, port)
        try:
            # The red line ("the API has known deviations") against the server with a fault; the others
            # against the first plain one.
            faulty = "--switch" in server
            todo = [line for line in lives if line.endswith("--chaser-profile=ci") == faulty and line not in ran]
            for number, live in enumerate(todo):
                env = clean | {"CHASER_BASE_URL": f"http://localhost:{port}", **settings}
                env["CHASER_REPORTS_DIR"] = str(tmp_path / f"{port}-{number}")
                if "CHASER_TOKEN_COMMAND=" in live:  # the line gives the command: exactly one of the two
                    env.pop("CHASER_API_TOKEN")
                done = subprocess.run(
                    ["bash", "-c", mine(live, port)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
                )
                said = done.stdout + done.stderr
                assert done.returncode == (1 if faulty else 0), f"{live}\n{said[-3000:]}"
                assert "Traceback" not in said
                ran.append(live)
        finally:
            stop(proc)
    assert sorted(ran) == sorted(set(lives))

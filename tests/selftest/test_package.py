"""The installable tool: `pip install .` gives `chaser-conformance`, which runs the suite from any
directory with the same options and exit codes, and `tox -e suite` / `--embedded` that
always tests the embedded server."""

import os
import re
import subprocess
import sys
import zipfile

import pytest

from chaser_conformance.contract import exitcodes
from chaser_conformance.server import serve_in_thread
from runner import ROOT, run_suite, target_env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel, built offline and installed into a folder of its own (its dependencies are this venv's)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = folder.glob("chaser_conformance-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "chaser_conformance/openapi.yaml" in names and "chaser_conformance/suite/pytest.ini" in names
    assert "chaser_conformance/suite/test_sessions.py" in names
    target = folder / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def run_installed(installed, cwd, env=None, args=()):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_")} | dict(env or {})
    environment["PYTHONPATH"] = str(installed)  # ahead of this checkout (installed editable here)
    return subprocess.run(
        [sys.executable, "-m", "chaser_conformance", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_the_installed_command_runs_the_suite_from_any_directory(installed, tmp_path):
    run = run_installed(installed, tmp_path, {"CHASER_SEED": "11"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"rootdir: {installed / 'chaser_conformance' / 'suite'}" in run.stdout  # the wheel's suite, not this one
    assert "verdict: conformant: " in run.stdout and (tmp_path / "reports" / "summary.md").is_file()


def test_the_installed_command_tests_a_server_named_by_chaser_variables(installed, tmp_path):
    with serve_in_thread(["missing-id"]) as broken, serve_in_thread() as good:
        failing = (
            run_installed(installed, tmp_path / "a", target_env(broken)) if (tmp_path / "a").mkdir() is None else None
        )
        passing = (
            run_installed(installed, tmp_path / "b", target_env(good)) if (tmp_path / "b").mkdir() is None else None
        )
    assert failing.returncode == 1 and "verdict: not conformant" in failing.stdout
    assert passing.returncode == 0 and f"chaser target: {good.base_url} (configured)" in passing.stdout


def test_the_installed_command_keeps_the_exit_codes(installed, tmp_path):
    usage = run_installed(installed, tmp_path, {"CHASER_BASE_URL": "htp://x"})
    assert usage.returncode == 4 and "CHASER_BASE_URL (environment): 'htp://x' is not an http" in usage.stderr
    unreachable = run_installed(
        installed,
        tmp_path,
        {"CHASER_BASE_URL": "http://127.0.0.1:9", "CHASER_API_TOKEN": "t", "CHASER_SESSION_ID": "s"},
    )
    assert unreachable.returncode == 69 and "chaser: target unreachable" in unreachable.stdout + unreachable.stderr


def test_help_lists_the_suites_options():
    run = subprocess.run([sys.executable, "-m", "chaser_conformance", "--help"], capture_output=True, text=True)
    assert run.returncode == 0
    for option in ("--base-url=", "--token=", "--session-id=", "--foreign-session-id=", "--embedded", "exit codes"):
        assert option in run.stdout
    pytest_help = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    chaser = pytest_help.split("\nChaser conformance", 1)[1]
    assert all(f"\n  {o}=" in chaser for o in ("--base-url", "--token", "--session-id", "--chaser-profile"))


def test_help_tells_one_story_every_exit_code_one_reports_directory_one_name_an_option():
    run = subprocess.run([sys.executable, "-m", "chaser_conformance", "--help"], capture_output=True, text=True)
    pytest_help = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=ROOT, capture_output=True, text=True)
    codes = [v for k, v in vars(exitcodes).items() if k.isupper() and isinstance(v, int)]
    assert sorted(codes) == sorted(exitcodes.MEANINGS)
    for code in codes:
        assert re.search(rf"^  {code} +\S", run.stdout, re.M), code
        assert re.search(rf"exit codes: .*\b{code} [a-z]", pytest_help.stdout.replace("\n", " ")), code
    assert "./reports" in run.stdout and "reports/ in the project" not in run.stdout + pytest_help.stdout
    # One name per option, but --base-url: pytest-base-url claims it, and the help says so.
    names = re.findall(r"^  (--[a-z-]+)(?:=[A-Z_]+)?(?:, (--[a-z-]+))?", pytest_help.stdout, re.M)
    chaser = [n for n in names if "chaser" in n[0] or n[0] in ("--base-url", "--token", "--session-id")]
    assert [n for n in chaser if n[1]] == [("--base-url", "--chaser-base-url")]
    assert "pytest-base-url" in run.stdout


def test_embedded_mode_ignores_a_configured_target_but_keeps_the_seed(tmp_path):
    (tmp_path / "chaser.toml").write_text('base_url = "https://from-file.example.test"\n')
    with serve_in_thread() as server:
        env = target_env(server) | {"CHASER_SEED": "5150", "CHASER_CONFIG": str(tmp_path / "chaser.toml")}
        run = run_suite(tmp_path, env, ["--embedded"])
    assert run.returncode == 0, run.output[-3000:]
    assert "(embedded reference server)" in run.output and "seed 5150 (replay: CHASER_SEED=5150)" in run.output
    assert "ignored (this run tests the embedded reference server): CHASER_API_TOKEN, CHASER_BASE_URL" in run.output
    html = (tmp_path / "reports" / "report.html").read_text()
    assert "session_id = ses_full,ses_nulls,ses_minimal  [embedded server]" in html
    assert "seed = 5150  [env CHASER_SEED]" in html

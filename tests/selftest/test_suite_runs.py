"""The conformance suite, run as a user runs it: it passes a conformant server and fails a faulty one.

Two runs are whole `python -m pytest` processes (nothing configured, and a plugin found on
PYTHONPATH, which a fork would not read again); the others are the same command forked (runner.py)."""

import socket
import textwrap

import pytest

from chaser_conformance.server import Store, serve_in_thread
from chaser_conformance.server.store import seed
from chaser_conformance.settings.secret import Secret
from runner import refused_port, run_suite, run_suite_forked, target_env

TOKEN = "tok-a1b2c3-distinctive-secret"


def test_passes_against_the_embedded_server_with_nothing_configured(tmp_path):
    run = run_suite(tmp_path)
    assert run.returncode == 0, run.output
    assert "embedded reference server" in run.output and " passed" in run.output


def test_passes_against_a_server_targeted_by_url(tmp_path):
    with serve_in_thread() as server:
        run = run_suite(tmp_path, target_env(server))
    assert run.returncode == 0, run.output
    assert f"chaser target: {server.base_url} (configured)" in run.output


@pytest.mark.parametrize(
    ("fault", "catching_test"),
    [
        ("missing-id", "test_known_session_returns_itself_as_valid_sessioninfo"),
        ("404-text-html", "test_unknown_id_returns_404_json"),
    ],
)
def test_fails_against_a_faulty_server(tmp_path, fault, catching_test):
    with serve_in_thread([fault]) as server:
        run = run_suite_forked(tmp_path, target_env(server))
    assert run.returncode == 1, run.output
    assert run.outcome(catching_test) == "FAILED", run.output


def test_a_failure_message_is_a_reproduction_without_the_token(tmp_path):
    accounts = seed()
    accounts["primary"].token = Secret(TOKEN)
    with serve_in_thread(["missing-id"], store=Store(accounts)) as server:
        run = run_suite_forked(tmp_path, target_env(server, TOKEN), ["--tb=long", "-l"])
    assert run.returncode == 1, run.output
    assert "/id: breaks required (found absent)" in run.output
    assert (
        f'reproduce: curl -i -X GET {server.base_url}/v1/sessions/ses_full -H "Authorization: Bearer $CHASER_API_TOKEN"'
        in run.output
    )
    assert TOKEN not in run.output
    assert TOKEN not in (tmp_path / "reports" / "junit.xml").read_text()


def test_a_bad_setting_stops_the_run_before_any_test(tmp_path):
    run = run_suite_forked(tmp_path, {"CHASER_BASE_URL": "htp://staging"})
    assert run.returncode == 4
    assert (
        "ERROR: chaser settings: CHASER_BASE_URL (environment): 'htp://staging' is not an http:// or https:// URL"
        in run.output
    )
    assert "collected" not in run.output and "Traceback" not in run.output


def test_base_url_option_is_shared_with_pytest_base_url(tmp_path):
    # pytest-base-url registers --base-url (dest base_url) before conftest plugins load.
    (tmp_path / "other_base_url.py").write_text(
        textwrap.dedent("""
        def pytest_addoption(parser):
            parser.getgroup("base_url").addoption("--base-url", dest="base_url", default=None)
    """)
    )
    with serve_in_thread() as server:
        env = target_env(server)
        env.pop("CHASER_BASE_URL")
        env["PYTHONPATH"] = str(tmp_path)
        run = run_suite(tmp_path, env, ["-p", "other_base_url", f"--base-url={server.base_url}"])
    assert run.returncode == 0, run.output
    assert f"chaser target: {server.base_url} (configured)" in run.output


def test_an_unreachable_target_is_one_clear_line_and_exit_69(tmp_path):
    with refused_port() as port:  # a loopback port that nothing listens on
        env = {"CHASER_BASE_URL": f"http://127.0.0.1:{port}", "CHASER_API_TOKEN": TOKEN, "CHASER_SESSION_ID": "s1"}
        run = run_suite_forked(tmp_path, env)
    assert run.returncode == 69
    assert f"chaser: target unreachable: http://127.0.0.1:{port}: [Errno 111] Connection refused" in run.output
    assert "Traceback" not in run.output and TOKEN not in run.output and "passed" not in run.output


def test_a_target_that_never_answers_ends_in_bounded_time_with_exit_69(tmp_path):
    with socket.socket() as silent:  # accepts connections (the kernel does) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = {
            "CHASER_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "CHASER_API_TOKEN": TOKEN,
            "CHASER_SESSION_ID": "s1",
            "CHASER_READ_TIMEOUT": "0.5",
        }
        run = run_suite_forked(tmp_path, env, timeout=60)
    assert run.returncode == 69 and "timed out" in run.output, run.output[-2000:]

"""A reproduction runs: every curl line of summary.md, pasted into a shell where CHASER_API_TOKEN is
set, gets the status the report recorded, and no report holds the token to make that work."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from chaser_conformance.checks.exchange import Exchange, curl_line
from chaser_conformance.server import serve_in_thread
from chaser_conformance.server.store import Store, seed
from chaser_conformance.settings.secret import Secret
from runner import run_suite_forked, target_env

TOKEN = "tok-reproduce-7c1e9a"


def examples(markdown):
    """(recorded status, curl line) of each cause's example in summary.md."""
    found = []
    for block in re.findall(r"^```text\n(.*?)^```", markdown, re.M | re.S):
        status = re.match(r"\[[^\]]+\] \S+ \S+ -> (\d+)", block).group(1)
        curl = re.search(r"^  reproduce: (curl .*)$", block, re.M).group(1)
        found.append((int(status), curl))
    return found


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl, which the reproductions name")
@pytest.mark.parametrize(
    "fault", ["missing-id", "query-the-token-reads", "cross-account", "any-bearer-reads", "head-skips-auth"]
)
def test_a_curl_line_from_summary_md_gets_the_recorded_status_in_a_shell(tmp_path, fault):
    accounts = seed()
    accounts["primary"].token = Secret(TOKEN)
    with serve_in_thread([fault], store=Store(accounts)) as server:
        # The token in the query is lenient (an advisory): the rule's level makes it the failure shown.
        strict = {"CHASER_RULES": "lenient credential=fail"} if fault == "query-the-token-reads" else {}
        run = run_suite_forked(tmp_path, target_env(server, TOKEN) | strict)
        assert run.returncode == 1, run.output[-2000:]
        markdown = (tmp_path / "reports" / "summary.md").read_text()
        assert TOKEN not in markdown
        runnable = [(s, c) for s, c in examples(markdown) if "characters elided" not in c]
        assert runnable, markdown
        for status, curl in runnable:
            answer = subprocess.run(
                ["sh", "-c", curl + " --silent --max-time 10"],
                env={"CHASER_API_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                timeout=30,
            )
            first = answer.stdout.splitlines()[0] if answer.stdout else answer.stderr
            assert re.match(rf"HTTP/[\d.]+ {status}\b", first), f"{curl} -> {first!r}"
    lines = [c for _, c in runnable]
    if fault == "query-the-token-reads":  # the token where it was sent, as a reference: not a mask
        assert any("access_token=$CHASER_API_TOKEN" in c for c in lines), lines
    elif fault not in ("any-bearer-reads", "head-skips-auth"):  # another token, masked; or none at all
        assert any('-H "Authorization: Bearer $CHASER_API_TOKEN"' in c for c in lines), lines


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("path, status", [("/./v1/sessions/ses_full", 200), ("/v1/x/../sessions/ses_full", 200)])
def test_a_curl_line_sends_the_dot_segments_the_request_sent(path, status):
    # Without --path-as-is curl removes them, and the request it sends is the documented one (401).
    with serve_in_thread(["normalised-route-skips-auth"]) as server:
        ex = Exchange("GET", server.base_url + path, CaseInsensitiveDict(), status, "OK", {}, b"")
        line = curl_line(ex)
        assert "--path-as-is" in line
        answer = subprocess.run(
            ["sh", "-c", line + " --silent --max-time 10"], capture_output=True, text=True, timeout=30
        )
    assert re.match(rf"HTTP/[\d.]+ {status}\b", answer.stdout), (line, answer.stdout[:200])


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("fault", ["token-prefix", "jwt-alg-none"])
def test_a_curl_line_derives_a_near_miss_or_forgery_of_the_token_again_and_gets_the_recorded_status(tmp_path, fault):
    with serve_in_thread([fault]) as server:
        env = target_env(server)
        checks = ["tests/conformance/test_security.py", "-k", "no_credential_but_the_token"]
        run = run_suite_forked(tmp_path, env, checks, html=False)
        assert run.returncode == 1, run.output[-2000:]
        markdown = (tmp_path / "reports" / "summary.md").read_text()
        token = env["CHASER_API_TOKEN"]
        assert token not in markdown and examples(markdown)
        for status, curl in examples(markdown):
            assert '-H "Authorization: $(chaser-conformance credential ' in curl, curl
            answer = subprocess.run(
                ["sh", "-c", curl + " --silent --max-time 10"],
                env={"CHASER_API_TOKEN": token, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            first = answer.stdout.splitlines()[0] if answer.stdout else answer.stderr
            assert re.match(rf"HTTP/[\d.]+ {status}\b", first), f"{curl} -> {first!r}"

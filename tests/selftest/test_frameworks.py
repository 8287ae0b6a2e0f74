"""Real frameworks as conformant targets: the suite must pass an app written as its framework's
documentation teaches, not only the reference server and its switches.

Each app in tests/selftest/frameworks/ (FastAPI on uvicorn, Flask on Werkzeug, Express on Node.js)
serves the reference server's seed. The case starts it in a process of its own on a loopback port,
runs the whole conformance suite against it by URL exactly as test_catalogue.py runs it against each
variant, asserts the verdict, and stops it. The verdicts join the catalogue's matrix (conftest.py)
as variants of the group "framework", so the false-alarm count includes them.

Express comes from the npm registry: `python3 run.py selftest` installs the app's package-lock.json
into the venv (run.py's install_express) and points NODE_PATH at it. Without Node.js or without that
install the Express case is skipped, saying which is missing; in CI (CI=true) it fails instead.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from chaser_conformance.server.catalogue.framework_habits import (
    JS_WHITESPACE,
    javascript_trim,
    python_strip_token,
    python_strip_whole,
    split_on_whitespace,
)
from chaser_conformance.server.process import ServerProcess, ServerStartError, launch
from chaser_conformance.server.store import Store
from runner import ROOT, run_suite_forked, store_env

APPS = ROOT / "tests" / "selftest" / "frameworks"
START_SECONDS = 60.0  # a cold interpreter importing FastAPI on a loaded CI runner; normally about a second
POLL_SECONDS = 0.05  # between attempts to reach the app, within START_SECONDS
FRAMEWORKS = ["fastapi", "flask", "express"]


def node_or_skip():
    """The node program; without it the case skips (in CI, CI=true, it fails: CI has Node.js)."""
    node = shutil.which("node")
    if node is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "node (Node.js 18+) is not installed: the Express app and the trim() check need it (npm too, for express)"
        )
    return node


def node_modules():
    """Where run.py installs the Express app's packages (NODE_PATH), and the venv's folder for them."""
    given = [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    return [*given, str(Path(sys.prefix) / "node-frameworks" / "node_modules")]


def express_or_skip():
    """node, once express resolves through node_modules(); else the case skips (fails in CI) saying why."""
    node = node_or_skip()
    env = os.environ | {"NODE_PATH": os.pathsep.join(node_modules())}
    found = subprocess.run(
        [node, "-e", "require.resolve('express')"], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
    )
    if found.returncode:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "express is not installed in NODE_PATH or the venv's node-frameworks folder: `python3 run.py selftest` "
            "installs it (npm ci of tests/selftest/frameworks/express/package-lock.json; needs npm)"
        )
    return node


def seed_file(tmp_path):
    """The reference server's seed as the Express app reads it (tokens included: a file of the test's own)."""
    path = tmp_path / "seed.json"
    accounts = [{"token": str(a.token), "sessions": a.sessions} for a in Store().accounts.values()]
    path.touch(mode=0o600)
    path.write_text(json.dumps({"accounts": accounts}))
    return path


def command(framework, tmp_path):
    """(argv, environment) that start the app; it binds a free loopback port and prints it."""
    if framework == "express":
        node = express_or_skip()
        env = os.environ | {"SESSIONS_FILE": str(seed_file(tmp_path)), "NODE_PATH": os.pathsep.join(node_modules())}
        env.pop("PORT", None)  # a free port, not one the environment names
        return [node, str(APPS / "express" / "app.js")], env
    return [sys.executable, str(APPS / f"{framework}_app.py")], dict(os.environ)


def wait_until_it_answers(process, base_url, deadline):
    """Any HTTP answer to a request without credentials: the app is serving."""
    while True:
        try:
            requests.get(f"{base_url}/v1/sessions/ses_full", timeout=max(0.1, deadline - time.monotonic()))
            return
        except requests.RequestException as exc:
            if process.poll() is not None:
                raise AssertionError(f"the app exited (code {process.returncode}) before it answered") from exc
            if time.monotonic() >= deadline:
                raise AssertionError(f"the app did not answer within {START_SECONDS:g} s: {exc}") from exc
        time.sleep(POLL_SECONDS)  # the poll's interval, bounded by the deadline above


@contextlib.contextmanager
def running(framework, tmp_path):
    """The app's base URL while it runs (server/process.py's launch and reaper: the end of stdin
    stops it, SIGKILL after a grace period); its last stderr line is shown on failure."""
    argv, env = command(framework, tmp_path)
    deadline = time.monotonic() + START_SECONDS
    try:
        process, stderr, port = launch(argv, START_SECONDS, name=f"the {framework} app", env=env, cwd=ROOT)
    except ServerStartError as exc:
        raise AssertionError(str(exc)) from None
    with ServerProcess(process, stderr, f"http://127.0.0.1:{port}") as app:
        try:
            wait_until_it_answers(process, app.base_url, deadline)
        except AssertionError as exc:
            raise AssertionError(f"{framework} app: {exc}; its stderr: {app.last_stderr_line()}") from None
        yield app.base_url


def short(test_name):
    return test_name.split("[GET ")[0]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_suite_passes_a_framework_app(tmp_path, record_property, framework):
    with running(framework, tmp_path) as base_url:
        run = run_suite_forked(tmp_path, store_env(base_url, Store()))
    flagged_by = sorted({short(name) for name in run.failed})
    record_property("chaser_catalogue", ("variant", f"{framework}-app", "framework", flagged_by))
    assert run.returncode == 0 and not flagged_by and run.passed, (
        f"the conformant {framework} app was flagged:\n{run.output[-4000:]}"
    )


def test_the_javascript_trim_variant_trims_what_node_trims():
    # Every code point that String.prototype.trim() removes, asked of Node.js itself.
    script = (
        "const found = []; for (let c = 0; c <= 0x10ffff; c++) {"
        " if ((c < 0xd800 || c > 0xdfff) && String.fromCodePoint(c).trim() === '') found.push(c); }"
        " console.log(JSON.stringify(found));"
    )
    node = subprocess.run(
        [node_or_skip(), "-e", script], capture_output=True, text=True, timeout=60, check=True, stdin=subprocess.DEVNULL
    )
    assert json.loads(node.stdout) == sorted(map(ord, JS_WHITESPACE))


T = "demo-token-primary"


@pytest.mark.parametrize(
    ("value", "python_whole", "python_token", "javascript", "split"),
    [
        (f"Bearer {T}", T, T, T, T),
        (f"bearer  {T}", f" {T}", T, T, T),  # the scheme's case and a second space: HTTP allows both
        (f"Bearer {T}\u00a0", T, T, T, T),  # no-break space: white space to all four
        (f"Bearer \u00a0{T}", f"\u00a0{T}", T, T, T),  # only the whole value's strip() keeps it
        (f"Bearer {T}\x0b", T, T, T, T),  # vertical tab
        (f"Bearer {T}\ufeff", f"{T}\ufeff", f"{T}\ufeff", T, f"{T}\ufeff"),  # white space to JavaScript only
        (f"Bearer {T}\x85", T, T, f"{T}\x85", T),  # NEL: white space to Python only
        (f"Bearer {T} x", f"{T} x", f"{T} x", f"{T} x", None),  # a third word: not the token for anyone
        (f"Basic {T}", None, None, None, None),
        ("Bearer", None, None, None, None),
    ],
)
def test_each_trimming_variant_reads_the_credential_as_its_language_does(
    value, python_whole, python_token, javascript, split
):
    assert python_strip_whole(value) == python_whole
    assert python_strip_token(value) == python_token
    assert javascript_trim(value) == javascript
    assert split_on_whitespace(value) == split

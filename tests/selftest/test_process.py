"""The reference server in its own process: serves like the threaded one, stops promptly, dies with its parent."""

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from chaser_conformance.server import Store, serve_in_thread
from chaser_conformance.server.catalogue import FAULTS
from chaser_conformance.server.process import CHILD_CODE, ServerStartError, launch, serve_in_process

ROOT = Path(__file__).resolve().parents[2]
STORE = Store()  # seeded like the child's: the parent knows the token and the ids without asking
TOKEN = str(STORE.primary.token)


def get(base_url, session_id, token=TOKEN):
    return requests.get(f"{base_url}/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")  # an orphan nobody reaped (PID 1 of a container) is a zombie: dead
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return not stat.parent.parent.is_dir()  # no /proc: kill(0) said it exists


def eventually(predicate, seconds):
    """Poll `predicate` until it holds or `seconds` pass; True if it held."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling interval, with a deadline: not synchronisation
    return True


def refused(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED


def test_it_serves_the_seeded_store():
    with serve_in_process() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        response = get(server.base_url, "ses_full")
        assert response.status_code == 200 and response.json()["id"] == "ses_full"
        assert get(server.base_url, next(iter(STORE.other.sessions))).status_code == 404
        assert get(server.base_url, "ses_full", token="not-a-token").status_code == 401


def test_a_switch_makes_the_same_deviation_as_in_the_thread():
    with serve_in_thread() as conformant:
        expected = get(conformant.base_url, "ses_full")
    for fault in FAULTS:  # the first fault that shows on a plain read of a known session
        with serve_in_thread([fault.name]) as threaded:
            deviant = get(threaded.base_url, "ses_full")
        if (deviant.status_code, deviant.content) != (expected.status_code, expected.content):
            break
    else:
        pytest.fail("no fault of the catalogue changes GET ses_full")
    with serve_in_process([fault.name]) as server:
        response = get(server.base_url, "ses_full")
    assert (response.status_code, response.content) == (deviant.status_code, deviant.content), fault.name


def test_stop_ends_the_child_at_once_and_frees_the_port():
    server = serve_in_process()
    port = int(server.base_url.rsplit(":", 1)[1])
    with requests.Session() as http:  # a kept-alive connection must not hold the server up
        assert http.get(f"{server.base_url}/v1/sessions/ses_full", timeout=5).status_code == 401
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
    assert server.process.returncode == 0 and not alive(server.pid)
    assert took < 1.0, f"stop() took {took:.3f} s"  # a few milliseconds normally
    assert refused(port)
    with socket.socket() as again:  # what any server would do to listen there again
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()
    server.stop()  # twice is harmless


@pytest.mark.skipif(not Path("/proc/self/fd/0").exists(), reason="reads the child's descriptors in /proc (Linux)")
def test_the_child_has_its_own_stdin():
    with serve_in_process() as server:
        child_stdin = os.readlink(f"/proc/{server.pid}/fd/0")
    assert child_stdin.startswith("pipe:") and child_stdin != os.readlink("/proc/self/fd/0")


def run_parent(script, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,  # imports this checkout's package
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_the_child_prints_nothing():
    script = (
        "from chaser_conformance.server.process import serve_in_process\n"
        "import requests\n"
        "with serve_in_process() as s:\n"
        "    for sid, token in (('ses_full', 'demo-token-primary'), ('nope', 'demo-token-primary'), ('x', 'bad')):\n"
        "        requests.get(f'{s.base_url}/v1/sessions/{sid}', headers={'Authorization': 'Bearer ' + token})\n"
        "    requests.delete(f'{s.base_url}/v1/sessions/ses_full')\n"
        "print('done')\n"
    )
    parent = run_parent(script)
    out, err = parent.communicate(timeout=60)
    assert (parent.returncode, out, err) == (0, "done\n", "")


def test_the_child_exits_when_its_parent_is_killed():
    script = (
        "import sys\n"
        "from chaser_conformance.server.process import serve_in_process\n"
        "s = serve_in_process()\n"
        "print(s.pid, s.base_url, flush=True)\n"
        "sys.stdin.read()\n"  # until SIGKILL
    )
    parent = run_parent(script)
    child = None
    try:
        child, base_url = parent.stdout.readline().split()
        child = int(child)
        assert get(base_url, "ses_full").status_code == 200
        parent.kill()
        parent.wait(timeout=10)
        # Gone, so its listening socket is closed. Not probed: in the seconds this may take, another
        # test's server can be given the freed ephemeral port (a CI run failed so).
        assert eventually(lambda: not alive(child), 5), f"the server process {child} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.communicate(timeout=10)
        if child and alive(child):
            os.kill(child, signal.SIGKILL)


def test_an_unknown_switch_is_reported_with_the_reason():
    started = time.monotonic()
    with pytest.raises(ServerStartError, match=r"exited with code 1 before it served: .*'no-such-switch'"):
        serve_in_process(["no-such-switch"])
    assert time.monotonic() - started < 10


def test_a_port_in_use_is_reported_with_the_reason():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            ServerStartError, match=rf"before it served: cannot listen on 127\.0\.0\.1:{port}: Address already in use"
        ):
            serve_in_process(port=port)


def test_a_package_that_cannot_be_imported_is_reported_with_the_reason(tmp_path):
    # -S: no site-packages, so the child finds only the broken copy put first on its path.
    (tmp_path / "chaser_conformance").mkdir()
    (tmp_path / "chaser_conformance" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    with pytest.raises(ServerStartError, match=r"before it served: ImportError: broken on purpose"):
        launch([sys.executable, "-S", "-c", CHILD_CODE, str(tmp_path)], timeout=30)


def test_a_child_that_never_listens_is_given_up_on_in_bounded_time():
    silent = "import sys; print('stuck before listening', file=sys.stderr, flush=True); sys.stdin.read()"
    started = time.monotonic()
    with pytest.raises(ServerStartError, match=r"did not start within 1 s: stuck before listening"):
        launch([sys.executable, "-c", silent], timeout=1)
    assert time.monotonic() - started < 5

"""The reference server in a process of its own: it does not share a GIL with the run it serves.

The parent starts `python -c ...`, which binds, writes its port on stdout and serves. Measured
from the call to the first 200 on this machine (2 cores; medians of 7): this way 350 ms, almost all
of it importing werkzeug and the fault catalogue; multiprocessing 'spawn' 440 ms ('forkserver' 370);
'fork' 21 ms, but fork is unsafe once the parent has threads (Python 3.12 warns, and pytest.ini
makes warnings errors). One start per run is worth its third of a second.
Its stdin is a pipe from the parent and nothing else: end of file on it (stop(), or the parent's
death, SIGKILL included, since the kernel closes the pipe) makes it exit at once. That works on
every POSIX system and, unlike PR_SET_PDEATHSIG, does not fire when the thread that started it
ends. Its stderr goes to an unlinked temporary file: a run's terminal never shows it, and a child
that cannot start is reported with its last line.

The store is seeded deterministically, so the parent's own `Store()` knows the token and the
session ids; nothing is sent over. POSIX only (the start-up wait selects on a pipe).

gc.freeze() after set-up was measured and left out: over 5,000 requests (about a deep run) the
child spends 70 ms in the collector, of which freezing saves the one full collection (15 ms, of
~5 s of serving CPU); resident memory is the same (32 -> 34 MiB either way; no fork shares pages).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

START_TIMEOUT_SECONDS = 30.0  # a cold interpreter on a loaded CI runner; normally ~0.3 s
STOP_TIMEOUT_SECONDS = 5.0  # then SIGKILL; normally a few milliseconds
# The directory that holds this `chaser_conformance`: the child imports this package, not another
# one that its working directory or an installed copy would put first on sys.path.
IMPORT_ROOT = str(Path(__file__).resolve().parents[2])
CHILD_CODE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from chaser_conformance.server.process import child_main; child_main(sys.argv[1:])"
)


class ServerStartError(RuntimeError):
    """The reference server process did not come up; the message carries its last stderr line."""


class ServerProcess:
    """A running reference server process; `stop()` ends it and frees its port."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes] | None, base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self._stderr = stderr

    @property
    def pid(self) -> int:
        return self.process.pid

    def last_stderr_line(self) -> str:
        """The last line the child wrote on its stderr (captured), for a message about it."""
        return _last_line(self._stderr) if self._stderr is not None and not self._stderr.closed else ""

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()  # end of file: the child exits at once
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self._stderr):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
        return f"<ServerProcess {self.base_url} pid {self.process.pid} {state}>"


def serve_in_process(
    switches: Iterable[str] = (), *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
) -> ServerProcess:
    """Start the reference server (ReferenceApp(Store(), switches)) in a child process.

    Returns once it accepts connections; raises ServerStartError (with the child's last stderr
    line) if it exits, or stays silent for START_TIMEOUT_SECONDS, first. With quiet=False the
    child shares this process's stderr and writes werkzeug's access log there.
    """
    args = ["--host", host, "--port", str(port), *(a for s in switches for a in ("--switch", str(s)))]
    command = [sys.executable, "-c", CHILD_CODE, IMPORT_ROOT, *args, *([] if quiet else ["--log"])]
    process, stderr, bound = launch(command, START_TIMEOUT_SECONDS, capture_stderr=quiet)
    return ServerProcess(process, stderr, f"http://{f'[{host}]' if ':' in host else host}:{bound}")


def launch(
    command: Sequence[str],
    timeout: float,
    capture_stderr: bool = True,
    *,
    name: str = "the reference server process",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[subprocess.Popen[bytes], IO[bytes] | None, int]:
    """Run `command`, a child that writes "<port>\\n" once it listens, and wait for that line.
    `name` says what it is in a ServerStartError (the selftests' framework apps use it too)."""
    stderr = tempfile.TemporaryFile() if capture_stderr else None  # unlinked: gone with the last descriptor
    try:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,  # never the run's stdin; its end of file is the stop signal
            stdout=subprocess.PIPE,  # the port, once
            stderr=stderr,
            close_fds=True,
            env=env,
            cwd=cwd,
        )
    except BaseException:
        if stderr is not None:
            stderr.close()
        raise
    try:
        line = _read_line(process, timeout, name)
        if not line.isdigit():
            raise ServerStartError(f"{name} wrote {line[:80]!r}, not its port")
    except BaseException as exc:
        _discard(process)
        detail = _last_line(stderr) if stderr is not None else "(its stderr is above)"
        if stderr is not None:
            stderr.close()
        if isinstance(exc, ServerStartError):
            raise ServerStartError(f"{exc}{': ' + detail if detail else ''}") from None
        raise
    return process, stderr, int(line)


def _read_line(process: subprocess.Popen[bytes], timeout: float, name: str) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise ServerStartError(f"{name} did not start within {timeout:g} s")
            chunk = os.read(process.stdout.fileno(), 64)
            if not chunk:
                try:
                    code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    raise ServerStartError(f"{name} closed its stdout and did not start") from None
                raise ServerStartError(f"{name} exited with code {code} before it served")
            data += chunk
    return data.decode("ascii", "replace").strip()


def _discard(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    if process.poll() is None:
        process.kill()
    process.wait()


def _last_line(stderr: IO[bytes]) -> str:
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - 4096))
    lines = [line.strip() for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- the child ---------------------------------------------------------------------------------------


def exit_at_end_of_input() -> None:
    """In a child: exit at once when the parent's end of stdin closes (it stopped us, or died)."""
    try:
        while os.read(0, 4096):
            pass
    finally:
        os._exit(0)  # nothing to flush: the store is in memory and seeded again at every start


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="chaser_conformance.server.process")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--switch", action="append", default=[])
    parser.add_argument("--log", action="store_true", help="werkzeug's access log on stderr")
    args = parser.parse_args(argv)
    # Ctrl-C reaches the whole foreground process group; the parent decides when the server ends
    # (an interrupted run still writes its reports, and may still ask).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=exit_at_end_of_input, name="chaser-parent-watch", daemon=True).start()

    from .app import ReferenceApp, RunningServer
    from .store import Store

    app = ReferenceApp(Store(), args.switch)
    said = io.StringIO()  # werkzeug prints why it cannot bind (then exits): one line, with the address
    try:
        with contextlib.redirect_stderr(said):
            server = RunningServer(app, args.host, args.port, quiet=not args.log)
    except (OSError, SystemExit) as exc:
        reason = said.getvalue().strip().splitlines()[:1] or [getattr(exc, "strerror", None) or str(exc)]
        sys.exit(f"cannot listen on {args.host}:{args.port}: {reason[0]}")
    port = server.base_url.rsplit(":", 1)[1]
    os.write(1, f"{port}\n".encode())
    # Nothing else goes to stdout: the parent reads one line, and the run's terminal is not ours.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    server.serve_forever()


if __name__ == "__main__":
    child_main(sys.argv[1:])

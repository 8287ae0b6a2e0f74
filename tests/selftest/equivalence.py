"""What a fixed-seed run does, as data: each test's outcome and the multiset of requests the target saw.

A refactoring that says "behaviour unchanged" is held to it: `test_equivalence.py` compares a run
of today's code against `data/equivalence.json`, captured from the code before the refactoring
(`python tests/selftest/equivalence.py [OUT]` writes it anew, or to OUT; do that only for a change of behaviour,
and say why in the commit).
"""

import collections
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaser_conformance.server import serve_in_thread  # noqa: E402
from runner import run_suite_forked, target_env  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "data" / "equivalence.json"
SEED = "20261130"
# The conformant server and three faults that different families of tests see.
SWITCHES = ("", "missing-status", "any-id-200", "no-token-reads")


def outcomes(junit):
    import xml.etree.ElementTree as ET

    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        found[case.get("name")] = (
            "error"
            if "error" in kinds
            else "failed"
            if "failure" in kinds
            else "skipped"
            if "skipped" in kinds
            else "passed"
        )
    return dict(sorted(found.items()))


def capture(switch, tmp_path):
    with serve_in_thread([switch] if switch else []) as server:
        run = run_suite_forked(tmp_path, target_env(server) | {"CHASER_SEED": SEED})
        journal = list(server.app.journal)
    requests = collections.Counter(f"{method} {path} {status}" for method, path, status in journal)
    return {
        "returncode": run.returncode,
        "outcomes": outcomes(run.junit),
        "requests": dict(sorted(requests.items())),
    }


def main(out=GOLDEN):
    data = {}
    for switch in SWITCHES:
        with tempfile.TemporaryDirectory() as folder:
            data[switch or "conformant"] = capture(switch, Path(folder))
            print(
                switch or "conformant",
                data[switch or "conformant"]["returncode"],
                sum(data[switch or "conformant"]["requests"].values()),
            )
    Path(out).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:2])  # a path: write there instead (to compare by hand without touching the golden file)

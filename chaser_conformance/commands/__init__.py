"""The commands beside a run: `validate` recorded responses offline, and the day-two workflows
around a run's reports: `replay` failing exchanges, write a `baseline` of known causes (waivers),
`compare` two runs, derive a curl line's `credential` again from the token. `saved_reports.py`
reads a run's reports back for them."""

from collections.abc import Callable


def _replay(argv: list[str]) -> int:
    from .replay import main

    return main(argv)


def _baseline(argv: list[str]) -> int:
    from .baseline import main

    return main(argv)


def _compare(argv: list[str]) -> int:
    from .compare import main

    return main(argv)


def _credential(argv: list[str]) -> int:
    from .credential import main

    return main(argv)


# Imported when called: `chaser-conformance --help` and a run import none of them.
COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "replay": _replay,
    "baseline": _baseline,
    "compare": _compare,
    "credential": _credential,
}

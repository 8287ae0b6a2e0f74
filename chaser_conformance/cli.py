"""`chaser-conformance`: the conformance suite as one command, from any directory.

It runs pytest on the suite this package carries, with the suite's own pytest.ini (so nothing
of the current directory's pytest configuration leaks in), and returns pytest's exit code
(see exitcodes.py). Options are the
suite's (`--base-url`, `--chaser-...`, each also a CHASER_* variable) and pytest's own.
"""

from __future__ import annotations

import sys

from .contract import exitcodes, rules
from .contract.layout import INI_PATH, INSTALLED, SUITE_DIR
from .settings import CONFIG_CLI, CONFIG_ENV, EMBEDDED_CLI, FIELDS
from .settings.fields import SHARED_OPTIONS

USAGE = """usage: chaser-conformance [OPTIONS] [PYTEST OPTIONS]
       chaser-conformance validate PATH... [--format json]   (recorded or mock responses, offline)
       chaser-conformance replay [REPORTS_DIR] [--cause N | --test NAME] [--base-url URL]
       chaser-conformance baseline [REPORTS_DIR] [--expires DATE] > chaser-baseline.toml
       chaser-conformance compare OLD_REPORTS NEW_REPORTS [--format text|markdown]
       chaser-conformance credential SEED NAME:DRAW...   (a curl line's derived credential)

Checks that the server at a base URL behaves as openapi.yaml says for GET /v1/sessions/{{id}}.
With no base URL it tests the embedded reference server. Reports go to ./reports.

options (each also an environment variable and a chaser.toml key):
{options}
  {config:<34} config file (TOML) [{config_env}; default ./chaser.toml]
  {embedded:<34} test the embedded reference server, whatever CHASER_* or a
  {blank:<34} config file name as target (seed, profile, strict... still apply)
{shared}

Every rule has a class, which sets what it does (CHASER_STRICT=1 fails leniency and hygiene too;
CHASER_RULES='rule=fail|advise|off,...' or a [rules] table in chaser.toml sets one rule):
{rules}

Any other option goes to pytest (e.g. -k EXPRESSION, -x, --tb=long). Give options that take a
path with '=' (--chaser-config=PATH).

{exit_codes}"""


def usage() -> str:
    options = "\n".join(f"  {f.option + '=' + f.metavar:<34} {f.described}" for f in FIELDS)
    shared = "".join(
        f"\n{f.option} is also {SHARED_OPTIONS[f.option]}'s option (they share it); {f.alias} is the suite's alone."
        for f in FIELDS
        if f.alias
    )
    return USAGE.format(
        exit_codes="exit codes:\n" + "\n".join(f"  {code:<4}{meaning}" for code, meaning in exitcodes.MEANINGS.items()),
        options=options,
        config=CONFIG_CLI + "=PATH",
        config_env=CONFIG_ENV,
        embedded=EMBEDDED_CLI,
        blank="",
        shared=shared,
        rules="\n".join(rules.help_lines()),
    )


def pytest_arguments(argv: list[str]) -> list[str]:
    args = list(argv)
    # The suite's own configuration and plugin; no cache directory inside an installed package.
    base = ["-c", str(INI_PATH), "--rootdir", str(INI_PATH.parent), "-p", "chaser_conformance.plugin"]
    if INSTALLED:
        base += ["-p", "no:cacheprovider"]
    return [*base, *args, str(SUITE_DIR)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["validate"]:
        from .commands.validate import main as validate

        return validate(argv[1:])
    if argv[:1] in (["replay"], ["baseline"], ["compare"], ["credential"]):
        from .commands import COMMANDS

        return COMMANDS[argv[0]](argv[1:])
    if any(a in ("-h", "--help") for a in argv):
        print(usage())
        return 0
    import pytest  # after --help: starting pytest's machinery is not needed to print usage

    return int(pytest.main(pytest_arguments(argv)))


if __name__ == "__main__":
    sys.exit(main())

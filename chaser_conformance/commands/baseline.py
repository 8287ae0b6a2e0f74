"""`chaser-conformance baseline [REPORTS_DIR] [--expires DATE]`: a run's failing causes as waivers
(TOML on stdout), so that a suite adopted on an API that is not yet conformant fails only on what
is new. One waiver per cause in failures.jsonl (in the order seen), keyed by its full identity,
never by a test name or a generated id: `rule`, `pointer` (where it bites), `status` ("none" for a
request that got no answer), `method` and `perspective`; with a reason line and an expiry date (90
days out by default): the baseline is a debt, not a pass.

The identity is checks.findings.Identity, the one run.waivers matches and `compare` keys by."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from ..checks.findings import NO_STATUS
from ..contract import exitcodes
from .saved_reports import ReportsError, RunReports, read_reports

PROG = "chaser-conformance baseline"
DEFAULT_DAYS = 90


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL (raw in JSON, not in TOML) and a
    lone surrogate (no UTF-8 for it: replaced)."""
    clean = text.encode("utf-8", "replace").decode("utf-8")
    return json.dumps(clean, ensure_ascii=False).replace("\x7f", "\\u007f")


def baseline(run: RunReports, expires: dt.date, today: dt.date) -> str:
    lines = [
        f"# chaser-conformance baseline of {run.directory}: {run.summary.get('verdict_line', run.summary['verdict'])}",
        f"# Written {today}. A run with it (CHASER_WAIVERS or --chaser-waivers) passes while these causes",
        "# fail and fails on any other; a cause that no longer fails is listed as fixed. Each one expires.",
        '# A cause is its rule, pointer, status ("none": no answer), method and perspective: all five are needed.',
    ]
    for title in run.errors():
        lines.append(f"# not baselined (an error, not a finding of a rule): {title.splitlines()[0] if title else ''}")
    for identity, cause in run.causes().items():
        count = f"{len(cause.tests)} test{'s' if len(cause.tests) != 1 else ''}"
        lines += [
            "",
            "[[waiver]]",
            f"rule = {toml_string(identity.rule)}",
            f"pointer = {toml_string(identity.where)}",
            f"status = {identity.status if identity.status is not None else toml_string(NO_STATUS)}",
            f"method = {toml_string(identity.method)}",
            f"perspective = {toml_string(identity.perspective)}",
            f"reason = {toml_string(f'baseline of {today}: {cause.title} ({count})')}",
            f"expires = {expires.isoformat()}",
        ]
    return "\n".join(lines) + "\n"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2027-03-31") from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0].split(": ", 1)[1])
    parser.add_argument("reports", nargs="?", default="reports", help="a run's reports directory (default: reports)")
    parser.add_argument(
        "--expires",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help=f"the date the waivers stop waiving, after today (default: in {DEFAULT_DAYS} days)",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exitcodes.USAGE if exc.code else exitcodes.CONFORMANT
    today = dt.date.today()
    if args.expires is not None and args.expires <= today:
        print(f"{PROG}: --expires {args.expires} is not after today: its waivers would waive nothing", file=sys.stderr)
        return exitcodes.USAGE
    try:
        run = read_reports(Path(args.reports))
    except ReportsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    sys.stdout.write(baseline(run, args.expires or today + dt.timedelta(days=DEFAULT_DAYS), today))
    return exitcodes.CONFORMANT

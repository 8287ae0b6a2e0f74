"""`chaser-conformance replay [REPORTS_DIR] [--cause N | --test NAME] [--base-url URL]`: the
failing exchanges of a run (failures.jsonl) sent again, with the current token (never a recorded
one: the record holds it masked) to the recorded or another base URL, and judged by the same rules
(the Judge). Each says `still failing` (with its problems) or `now passes`. Only GET to the session
path is ever sent, within a run's limits. Exit 0: every replayed exchange passes; 1: one still
fails; 4: bad reports directory or settings; 69: the target could not be reached."""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import os
import sys
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import TextIO

from ..checks import ContractViolation, Finding, Judge, RunRecord
from ..checks.exchange import CURL_SKIPS
from ..contract import exitcodes
from ..contract.spec import SESSION_PATH, load_contract
from ..run.tokens import TokenError, open_tokens
from ..settings import Settings, SettingsError, resolve
from ..settings.secret import MASK
from ..transport.client import ApiClient, BrokenAnswer, NoAnswer, RunLimits, RunStopped, Target
from ..transport.proxies import route
from .saved_reports import ReportsError, RunReports, read_reports

PROG = "chaser-conformance replay"
MAX_REQUESTS = 10_000  # with CHASER_MAX_REQUESTS unset: each exchange is one request, two if its token is renewed


class Usage(Exception):
    pass


class Unreachable(Exception):
    """No replayed exchange got an answer: the base URL is wrong or the target is down (exit 69)."""


def select(run: RunReports, cause: int | None, test: str | None) -> list[Finding]:
    if cause is not None:
        causes = run.summary.get("causes", [])
        if not 1 <= cause <= len(causes):
            raise Usage(f"--cause {cause}: the run has {len(causes)} cause(s), numbered from 1 as in summary.md")
        key = (causes[cause - 1]["rule"], causes[cause - 1].get("where", causes[cause - 1]["pointer"]))
        chosen = [f for f in run.findings if key in {p.key for p in f.shown}]
        if not chosen:
            raise Usage(f"--cause {cause} is not a finding of a rule (an error of the run): nothing to replay")
        return chosen
    if test is not None:
        return _of_test(run, test)
    return run.findings


def _names(nodeid: str) -> tuple[str, str, str, str]:
    """What a test may be called by: its node id or its name, each with or without its parameters."""
    name = nodeid.rsplit("::", 1)[-1]
    return nodeid, nodeid.split("[", 1)[0], name, name.split("[", 1)[0]


def _of_test(run: RunReports, test: str) -> list[Finding]:
    """The findings of the tests `test` names: a node id or a test's name, with or without its
    parameters (without: all of them), or a glob over either (`*near_miss*`)."""
    chosen = [f for f in run.findings if test in _names(f.test)]
    if not chosen and any(c in test for c in "*?["):
        chosen = [f for f in run.findings if any(fnmatch.fnmatchcase(n, test) for n in _names(f.test))]
    if chosen:
        return chosen
    failing = sorted({_names(f.test)[-1] for f in run.findings})
    key = test.rsplit("::", 1)[-1].split("[", 1)[0]
    closest = difflib.get_close_matches(key, failing, n=3, cutoff=0.4) or failing[:3]
    hint = f"; the closest failing tests: {', '.join(closest)}" if closest else ""
    raise Usage(f"--test {test}: no failing exchange of that test in {run.directory}/failures.jsonl{hint}")


def _settings(run: RunReports, base_url: str | None, env: Mapping[str, str]) -> Settings:
    recorded = run.summary.get("target") or {}
    if base_url is None and (recorded.get("embedded") or not recorded.get("base_url")):
        raise Usage("the run tested the embedded reference server, which ended with it: give --base-url")
    defaults = {
        "CHASER_SESSION_ID": ",".join(recorded.get("session_ids") or []),
        "CHASER_FOREIGN_SESSION_ID": recorded.get("foreign_session_id") or "",
    }
    merged = {**{k: v for k, v in defaults.items() if v}, **env}  # the environment first, then the record
    try:
        return resolve({"base_url": base_url or recorded["base_url"]}, env=merged, rootdir=Path.cwd())
    except SettingsError as exc:
        if "api_token" not in exc.missing:
            raise
        raise Usage(  # the base URL may be the record's: "--base-url needs a token" would blame the wrong one
            "replay sends the failing exchanges with the current token, which the reports hold masked: "
            "set CHASER_API_TOKEN, or CHASER_TOKEN_COMMAND to a command that prints one"
        ) from None


def _unreplayable(finding: Finding, recorded_base: str) -> str | None:
    if finding.method != "GET":
        return f"only GET is ever replayed, not {finding.method}"
    if not finding.url.startswith(recorded_base + SESSION_PATH):
        return f"not a URL of the session path under {recorded_base}"
    if MASK in finding.url[len(recorded_base) :]:
        return "the recorded URL holds the token, masked"
    if finding.perspective == "other credentials":
        return "it sent other credentials, which the record holds masked"
    return None


def replay(run: RunReports, findings: list[Finding], s: Settings, out: TextIO) -> int:
    auth = open_tokens(s, None)
    assert auth is not None
    token = auth.secrets()[-1]
    assert s.base_url is not None
    try:
        proxy = route(s.base_url, s.proxy, str(s.source_of("proxy"))).proxy
    except ValueError as exc:
        raise Usage(f"chaser settings: {exc}") from None
    target = Target(s.base_url, token, s.session_id, s.foreign_session_id, embedded=False, auth=auth, proxy=proxy)
    limits = RunLimits(s.max_requests or MAX_REQUESTS, s.rate_limit, s.exchange_deadline)
    judge = Judge(load_contract(), target, RunRecord(), strict=s.strict)
    recorded_base = str((run.summary.get("target") or {}).get("base_url") or "").rstrip("/")
    seen: dict[tuple[str, str, str], list[str]] = {}
    for f in findings:
        seen.setdefault((f.method, f.url, f.perspective), []).append(f.test)
    counts = {"still failing": 0, "now passes": 0, "not replayed": 0}
    unanswered = []  # (sent URL, its tests, NoAnswer): a target that answers none is unreachable, not failing
    client = ApiClient(
        s.base_url,
        token,
        limits=limits,
        connect_timeout=s.connect_timeout,
        read_timeout=s.read_timeout,
        ca_bundle=s.ca_bundle,
        auth=auth,
        proxy=proxy,
    )
    with closing(client):
        for (method, url, perspective), tests in seen.items():
            original = next(f for f in findings if (f.method, f.url, f.perspective) == (method, url, perspective))
            why = _unreplayable(original, recorded_base)
            tested = f" ({_some(sorted({t.rsplit('::', 1)[-1] for t in tests}))})"
            if why is not None:
                counts["not replayed"] += 1
                print(f"not replayed: {method} {url}{tested}: {why}", file=out)
                continue
            sent_url = client.base_url + url[len(recorded_base) :]
            skip = {*CURL_SKIPS, "authorization", "host"}
            headers = {k: v for k, v in original.request_headers.items() if k.lower() not in skip}
            authorization = None if perspective == "no credentials" else client.authorization()
            try:
                response = client.request("GET", sent_url, authorization=authorization, headers=headers)
                exchange = judge("replay", response)
                counts["now passes"] += 1
                print(f"now passes: GET {exchange.url} -> {exchange.status}{tested}", file=out)
            except ContractViolation as violation:
                counts["still failing"] += 1
                lines = violation.finding.text().splitlines()
                print(f"still failing: {lines[0].removeprefix('[replay] ')}{tested}", file=out)
                print("\n".join(lines[1:]), file=out)
            except NoAnswer as exc:
                unanswered.append((sent_url, tested, exc))
            except RunStopped:  # several in a row without an answer: the target is down
                if unanswered and not counts["still failing"] + counts["now passes"]:
                    break  # it never answered: unreachable, said below
                raise
            except BrokenAnswer as exc:
                counts["still failing"] += 1
                print(f"still failing: GET {sent_url}{tested}: {exc}", file=out)
    if unanswered and not counts["still failing"] + counts["now passes"]:
        raise Unreachable(f"{client.base_url} could not be reached: {unanswered[0][2].why}; nothing was replayed")
    for sent_url, tested, exc in unanswered:  # a target that answered the others: no answer is a failure
        counts["still failing"] += 1
        print(f"still failing: GET {sent_url}{tested}: {exc}", file=out)
    print(", ".join(f"{n} {what}" for what, n in counts.items()), file=out)
    return exitcodes.FINDINGS if counts["still failing"] else exitcodes.CONFORMANT


def _some(names: list[str], shown: int = 3) -> str:
    """The first few names, and how many more: a replayed exchange can belong to dozens of tests."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def main(argv: list[str], env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Send a run's failing exchanges again and judge them.",
        epilog="The token: CHASER_API_TOKEN, or CHASER_TOKEN_COMMAND (the reports hold the run's masked). "
        "Exit 0: every replayed exchange passes; 1: one still fails; 4: no run in REPORTS_DIR, a --cause or "
        "--test that names nothing, or a bad setting; 69: the target answered none of them.",
    )
    parser.add_argument("reports", nargs="?", default="reports", help="a run's reports directory (default: reports)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--cause", type=int, metavar="N", help="only the exchanges of cause N (as numbered in summary.md)"
    )
    which.add_argument(
        "--test",
        metavar="NAME",
        help="only the exchanges of this test: its name (every parametrisation), a node id, or a glob",
    )
    parser.add_argument("--base-url", help="send them here instead of the recorded base URL")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exitcodes.USAGE if exc.code else exitcodes.CONFORMANT
    try:
        run = read_reports(Path(args.reports))
        findings = select(run, args.cause, args.test)
        settings = _settings(run, args.base_url, os.environ if env is None else env)
        if not findings:
            print(f"nothing to replay: {run.directory}/failures.jsonl has no failing exchange")
            return exitcodes.CONFORMANT
        return replay(run, findings, settings, sys.stdout)
    except (ReportsError, Usage, TokenError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except SettingsError as exc:
        print(f"{PROG}: chaser settings: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except RunStopped as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.exit_code
    except Unreachable as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exitcodes.UNREACHABLE

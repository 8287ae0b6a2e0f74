"""One conformance run, without pytest: its settings, target, budget, Judge and run model; what
each test phase brought (an `Outcome`); and the only `finish()`, which decides how the run ended,
the diagnosis, and what every report says.

The path of one exchange: a test sends it through an `ApiClient` of the run (Schemathesis through
that client's `requests.Session`); the `Judge` applies the rules and keeps each finding it raises
in the run's `Ledger` (the running test's, or the run's own outside any test); the pytest adapter
(hooks.py) takes them when the test's report is made and puts them on it (they cross to the
controller under -n as `Finding.to_dict()`), and hands the run one `Outcome` per phase. `add()`
applies the cause waivers, tallies the outcome and groups the findings into causes. At the end
`finish()` decides, and the model is rendered: terminal, summary.json, summary.md,
failures.jsonl, report.html, and JUnit through pytest's own report of each test.

A plain script drives it as the adapter does: `Run(settings, []).open()`, `api_client()`,
`add(Outcome(...))`, `finish()`, `write_reports()`, `close()`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..checks import ContractViolation, Finding, Judge, RunRecord
from ..checks.diagnosis import Diagnosis, Diagnostician
from ..checks.ledger import Ledger
from ..contract.exitcodes import INTERNAL_ERROR, INTERRUPTED, REPORTS_UNWRITTEN, SECRET_LEAKED, UNREACHABLE, USAGE
from ..contract.rules import Levels
from ..contract.spec import load_contract
from ..reports import RunModel, find_secret, write_artifacts
from ..server.process import ServerStartError
from ..settings import Settings
from ..settings.profiles import PROFILES
from ..transport.answers import BrokenAnswer, NoAnswer
from ..transport.client import ApiClient, RunLimits, RunStopped, open_target
from ..transport.proxies import DIRECT_WHY, Route, route
from ..transport.stops import check_reachable
from ..transport.target import Target, unopened_target
from .shared import RemoteLimits
from .token_command import end_running_commands, ended_by_signals
from .tokens import TokenError, open_tokens
from .waivers import Waiver, Waiving

# What a pytest -n worker is sent when the controller is interrupted, and what it then says.
WORKER_SIGNAL = "SIGUSR1"
CONTROLLER_INTERRUPTED = "a signal to the run's controller"


class RunAborted(Exception):
    """The run cannot start: `word` is its verdict in the reports (None: write none), `code` the exit."""

    def __init__(self, word: str | None, message: str, code: int) -> None:
        super().__init__(message)
        self.word, self.message, self.code = word, message, code


@dataclass(frozen=True)
class Outcome:
    """One phase of one test, as the run needs it."""

    nodeid: str
    when: str  # "setup", "call" or "teardown"
    outcome: str  # "passed", "failed" or "skipped"
    waived: bool = False  # an expected failure: a waiver's (xfail)
    message: str = ""  # a failure's or a skip's text
    findings: tuple[Finding, ...] = ()
    error: str = ""  # a failure without findings: its exception's line (the cause's key)
    reason: str = ""  # a cause waiver's words, when `add()` waived the failure


def _connect(settings: Settings, shared: dict[str, Any] | None) -> tuple[Route, Target, Callable[[], None]]:
    """How requests reach the target, the target (the embedded server started now, a token command
    run now) and how to release it. RunAborted for a setting that cannot work; RunStopped when a
    signal came meanwhile, saying during what."""
    try:
        auth = open_tokens(settings, shared)
    except TokenError as exc:
        raise RunAborted("usage error", f"chaser settings: {exc}", USAGE) from None
    except RunStopped as stop:  # a signal while the first token command ran
        raise RunStopped(f"{stop} while the token command ran", INTERRUPTED) from None
    way = Route(None, DIRECT_WHY)  # the embedded server is the suite's own: never through a proxy
    try:
        if settings.base_url is not None:
            way = route(settings.base_url, settings.proxy, str(settings.source_of("proxy")))
    except ValueError as exc:
        raise RunAborted("usage error", f"chaser settings: {exc}", USAGE) from None
    try:
        target, release = open_target(
            settings.base_url,
            auth.secrets()[-1] if auth else None,
            settings.session_id,
            settings.foreign_session_id,
            embedded_url=shared["base_url"] if shared and settings.embedded else None,
            auth=auth,
            proxy=way.proxy,
        )
    except ServerStartError as exc:
        raise RunAborted(None, f"chaser: the embedded reference server did not start: {exc}", INTERNAL_ERROR) from None
    except RunStopped as stop:
        raise RunStopped(f"{stop} while the run started", INTERRUPTED) from None
    return way, target, release


class Run:
    def __init__(
        self,
        settings: Settings,
        waivers: list[Waiver],
        invocation_dir: Path | None = None,
        shared: dict[str, Any] | None = None,
    ) -> None:
        """`shared`: under pytest -n, a worker's share of the controller's run (seed, target, budget)."""
        self.settings = settings
        self.shared = shared
        self.profile = PROFILES[settings.profile]
        # A seed on every run, so any run can be replayed exactly.
        self.seed: int = (
            shared["seed"]
            if shared
            else settings.seed
            if settings.seed is not None
            else random.SystemRandom().randrange(2**32)
        )
        # Relative to where the run was started: a checkout's root, or any directory for the installed command.
        self.reports_dir: Path = settings.reports_dir or Path(invocation_dir or Path.cwd()) / "reports"
        self.waiving = Waiving(waivers, dt.date.today())
        self.limits: RunLimits | RemoteLimits = (
            RemoteLimits(**shared["limits"])
            if shared
            else RunLimits(
                settings.max_requests or self.profile.max_requests,
                settings.rate_limit,
                settings.exchange_deadline,
                settings.retry_after_total or self.profile.retry_after_total,
            )
        )
        self.stopped: RunStopped | None = None
        # The signal that ended the run ("SIGTERM"; "SIGTERM while the token command ran" before it was open)
        self.signal: str | None = None
        self.contract = load_contract()
        tracked = tuple(f.pointer for f in self.contract.fields() if f.nullable or not f.required)
        self.record = RunRecord(tracked=tracked)
        self.ledger = Ledger()
        self.levels = Levels(settings.strict, dict(item.rsplit("=", 1) for item in settings.rules))
        self.collected: list[str] = []  # every test of the run, to list those that never ran
        self.preflight: Diagnosis | None = None
        self.route = Route(None, DIRECT_WHY)  # how requests reach the target (open())
        self._release: Any = lambda: None
        self._resent_by_workers = 0  # pytest -n: the requests the workers' clients sent again

    def open(self) -> None:
        """The token (its command run now) and the target (the embedded server started now). A signal
        meanwhile, before the run's own handlers are in place, ends the run as interrupted at once:
        its target is then the settings' and nothing is sent; every test is reported as not run."""
        try:
            with ended_by_signals() as arm:
                arm()
                self.route, self.target, self._release = _connect(self.settings, self.shared)
        except RunStopped as stop:
            self.signal = str(stop).removeprefix("interrupted by ")
            self.limits.interrupt(str(stop))
            s = self.settings
            self.target = unopened_target(s.base_url, s.api_token, s.session_id, s.foreign_session_id)
        self.judge = Judge(self.contract, self.target, self.record, levels=self.levels, ledger=self.ledger)
        self.model = RunModel(self.target, self.profile.name, self.seed, [], record=self.record, levels=self.levels)
        source = lambda name: f"{name} from {self.settings.source_of(name)}"  # noqa: E731
        self.diagnostician = Diagnostician(self.target, self.api_client, source, self.witness)

    def close(self) -> None:
        self._release()
        end_running_commands()  # a renewal a signal or a stop left running

    def check_target(self) -> None:
        """Before any test, against a configured target: one read says whether it answers at all
        (else RunAborted, exit 69), then one read of each known session names a setup mistake."""
        if self.target.embedded or self.signal is not None:
            return
        unreachable = check_reachable(self.target, self.settings, self.limits, self.witness)  # type: ignore[arg-type]
        if unreachable:
            raise RunAborted("unreachable", unreachable, UNREACHABLE)
        self.preflight = self.diagnostician.preflight()

    def api_client(self, with_token: bool = True) -> ApiClient:
        """A client of the target within the run's limits: the fixtures', the diagnosis'."""
        s = self.settings
        return ApiClient(
            self.target.base_url,
            self.target.token if with_token else None,
            limits=self.limits,  # type: ignore[arg-type]
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            ca_bundle=s.ca_bundle,
            witness=self.witness,
            auth=self.target.auth,
            proxy=self.target.proxy,
        )

    def witness(self, check: str, answer: Any) -> None:
        """Judge an answer no test asked for, or its absence (NoAnswer, BrokenAnswer): its findings
        are the running test's, or the run's own."""
        if isinstance(answer, (NoAnswer, BrokenAnswer)):
            self.ledger.add(Finding.unanswered(answer, self.target.secrets))
            return
        try:
            self.judge(check, answer)
        except ContractViolation:
            pass  # kept in the ledger; the read that saw it goes on

    def add(self, outcome: Outcome) -> Outcome:
        """One phase of a test: its cause waiver applied (a failure all of whose findings are waived
        causes is waived), its outcome tallied, its findings grouped into causes. Returns the
        outcome as the run counts it, for the adapter to tell every channel the same."""
        outcome = replace(outcome, findings=tuple(replace(f, test=outcome.nodeid) for f in outcome.findings))
        if outcome.outcome == "failed" and not outcome.waived and outcome.findings:
            waiver = self.waiving.by_cause(list(outcome.findings))
            if waiver is not None:
                outcome = replace(outcome, outcome="skipped", waived=True, reason=Waiving.said(waiver))
        self.model.tally.add(outcome.nodeid, outcome.when, outcome.outcome, outcome.waived, outcome.message)
        for finding in outcome.findings:
            if outcome.waived:
                self.model.findings.append(finding)  # recorded, but a waived test is no cause
            else:
                self.model.add_finding(finding)
        if outcome.outcome == "failed" and not outcome.waived and not outcome.findings:
            self.model.causes.add_error(outcome.nodeid, outcome.error, outcome.message)
        return outcome

    def collect(self, nodeids: list[str]) -> None:
        """The tests of the run (the first list: under -n every worker collects the same)."""
        if not self.collected:
            self.collected = list(nodeids)

    def stop(self, stop: RunStopped) -> bool:
        """A stop seen by a test (a reached cap, a target that stopped answering): the first one
        ends the run; True when it is that first one."""
        if self.stopped is not None:
            return False
        self.stopped = stop
        return True

    def interrupt(self, signal_name: str) -> bool:
        """A signal: the run stops at its next request, and what it waits on now is abandoned
        (RunLimits.interrupt raises RunStopped there); the controller's pytest -n workers are told
        (WORKER_SIGNAL), as they wait on exchanges of their own. False for a second one (stop at once)."""
        if self.signal is not None:
            return False
        self.signal = signal_name
        end_running_commands(f"interrupted by {signal_name}")  # a renewal's token command ends at once
        if isinstance(self.limits, RunLimits) and hasattr(signal, WORKER_SIGNAL):
            for pid in self.limits.workers():
                with contextlib.suppress(OSError):  # a worker that has ended
                    os.kill(pid, getattr(signal, WORKER_SIGNAL))
        self.limits.interrupt(f"interrupted by {signal_name}")
        return True

    def worker_output(self) -> dict[str, Any]:
        """What a pytest -n worker's run saw beyond its tests' reports, for the controller's `merge()`."""
        if isinstance(self.limits, RemoteLimits):
            self.limits.release_unused()  # the run's count of requests sent stays exact
        return {
            "record": self.record.to_dict(),
            "base_url": self.target.base_url,
            "waived": self.waiving.worker_output(),
            "stopped": [self.stopped.message, self.stopped.exit_code] if self.stopped else None,
            "resent": self.limits.resent,
        }

    def merge(self, worker: str, data: dict[str, Any]) -> None:
        self.record.merge(data["record"])
        self.model.worker(worker, data["base_url"])
        self.waiving.merge(data["waived"])
        self._resent_by_workers += data["resent"]
        if data["stopped"]:
            self.stop(RunStopped(*data["stopped"]))

    def finish(self, interrupted: bool = False) -> None:
        """The end, decided here only: a stop, how the run ended, the diagnosis, the waivers' notes,
        the token's part. `interrupted`: the test runner was (Ctrl-C)."""
        if self.stopped is None and isinstance(self.limits, RunLimits):
            down = self.limits.totals()[2]
            if down:
                self.stopped = RunStopped(down, UNREACHABLE)  # seen by a worker of pytest -n
        diagnosis = None
        if self.model.causes and self.stopped is None:
            diagnosis = self.diagnostician.after_run(self.record)
        finished = self.stopped is None and not self.signal
        ending = None
        if self.signal is not None or (self.stopped is None and interrupted):
            ending = "interrupted"
        elif self.stopped is not None:
            # A stop ends the test runner as an interruption; the stop's reason is the verdict.
            ending = "unreachable" if self.stopped.exit_code == UNREACHABLE else None
        auth = self.target.auth
        token = auth.tokens.report() if auth is not None else None
        if token and token["expired"]:  # a fixed token that expired explains the 401s to it
            diagnosis = Diagnosis(token["expired"], frozenset({401}))
            ending = "token expired" if ending == "unreachable" else ending
        self.model.conclude(
            stopped=self.stopped,
            configuration=used_settings(self),
            sent=self.limits.sent,
            resent=self.limits.resent + self._resent_by_workers,
            cap=self.limits.max_requests,
            diagnosis=diagnosis,
            notes=self.waiving.notes(self.model, finished),
            ending=ending,
            token=token,
        )

    def not_run(self) -> list[tuple[str, str]]:
        """Every collected test that never reported (a stop, an interruption, -x), with why."""
        why = (
            f"did not run: the run was interrupted{' by ' + self.signal if self.signal else ''}"
            if self.model.ending == "interrupted"
            else f"did not run: the run stopped ({self.stopped})"
            if self.stopped
            else "did not run: the run ended before it (-x, --maxfail or a stop)"
        )
        ran = self.model.tally.outcomes
        return [(nodeid, why) for nodeid in self.collected if nodeid not in ran]

    def write_reports(self, also: list[Path], unwritten: tuple[str, ...] = ()) -> int | None:
        """Every report of the model, then the scan for the token in them and in `also` (JUnit,
        HTML, written by their plugins; `unwritten` says why they were not): the files of this run,
        and only those. Returns the run's own exit status when it is not the tests' (the token in a
        report, a report not written, a stop, an interruption)."""
        files, errors = write_artifacts(self.reports_dir, self.model, also)
        # Only what this run wrote: another run's files in the same directory (the selftests', an
        # older run's) are neither this run's leak nor its to judge.
        leaks = find_secret([p for p in [*files, *also] if p.exists()], *self.target.secrets)
        self.model.written(files, leaks, [*unwritten, *errors])
        if leaks:
            return SECRET_LEAKED
        if self.model.unwritten:
            return REPORTS_UNWRITTEN
        if self.stopped is not None:
            return self.stopped.exit_code
        return INTERRUPTED if self.model.ending == "interrupted" else None


def used_settings(run: Run) -> list[str]:
    """The settings the run used, each with its source (token masked): header, HTML and JSON."""
    used: dict[str, tuple[Any, str]] = {}
    if run.target.embedded:
        t = run.target
        for name, value in (
            ("base_url", t.base_url),
            ("api_token", t.token),
            ("session_id", t.session_ids),
            ("foreign_session_id", t.foreign_session_id),
        ):
            used[name] = (value, "embedded server")
    if run.settings.seed is None:
        used["seed"] = (run.seed, "random; replay with CHASER_SEED")
    if run.settings.reports_dir is None:
        used["reports_dir"] = (run.reports_dir, "default")
    if run.settings.max_requests is None:
        used["max_requests"] = (run.limits.max_requests, f"profile {run.profile.name}")
    if run.settings.retry_after_total is None:
        used["retry_after_total"] = (run.profile.retry_after_total, f"profile {run.profile.name}")
    if run.route.proxy or run.route.why != DIRECT_WHY:  # a proxy, or one in the environment not taken
        used["proxy"] = (run.route.shown, run.route.why)
    return run.settings.describe(used)

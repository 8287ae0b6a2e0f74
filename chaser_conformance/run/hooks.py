"""One conformance run in this process: its settings, target, budget, Judge and run model, and the
pytest hooks that fill the model (outcomes, findings) and hand it to the renderers at the end.

The path of one exchange: a test sends it through the `api` client (or Schemathesis through the
same requests.Session), `Judge` applies the rules and, on a failure, raises a `ContractViolation`
carrying a `Finding`, which `on_finding` keeps on the running test; `pytest_runtest_makereport`
puts the test's findings on its report (they cross to the controller under -n), and
`pytest_runtest_logreport` adds the outcome to the tally and the findings to the model, which
groups them into causes. At the end the model is rendered: terminal, summary.json, summary.md,
failures.jsonl, report.html, and JUnit through pytest's own report of each test.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import signal
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..checks import ContractViolation, Finding, Judge, RunRecord
from ..checks.diagnosis import Diagnostician
from ..contract.exitcodes import INTERNAL_ERROR, INTERRUPTED, SECRET_LEAKED, UNREACHABLE, USAGE
from ..contract.rules import Levels
from ..contract.spec import load_contract
from ..reports import RunModel, find_secret, junit, terminal, write_artifacts
from ..reports import html as html_report
from ..reports.files import clear_stale, write_verdict_only
from ..server.process import ServerStartError
from ..settings import Settings
from ..settings.profiles import PROFILES
from ..settings.secret import mask
from ..transport.client import ApiClient, BrokenAnswer, NoAnswer, RunLimits, RunStopped, open_target
from ..transport.stops import find_error, run_stopped
from . import synthetic
from .tokens import open_tokens, report_tokens
from .waivers import Waiver, waiver_notes
from .xdist import INPUT_KEY, RemoteLimits

FINDINGS = pytest.StashKey[list[Finding]]()
REPORT_ATTRIBUTE = synthetic.REPORT_ATTRIBUTE


class ConformanceSession:
    def __init__(self, config: pytest.Config, settings: Settings, waivers: list[Waiver], conformance_run: bool) -> None:
        self.config = config
        self.settings = settings
        self.conformance_run = conformance_run
        self.profile = PROFILES[settings.profile]
        # Under pytest -n, a worker gets the controller's seed, target and request budget.
        shared = getattr(config, "workerinput", {}).get(INPUT_KEY)
        # A seed on every run, so any run can be replayed exactly.
        self.seed: int = (
            shared["seed"]
            if shared
            else settings.seed
            if settings.seed is not None
            else random.SystemRandom().randrange(2**32)
        )
        # Relative to where the run was started: a checkout's root, or any directory for the installed command.
        self.reports_dir: Path = settings.reports_dir or Path(config.invocation_params.dir) / "reports"
        today = dt.date.today()
        self.waivers = [w for w in waivers if not w.expired(today)]
        self.expired_waivers = [w for w in waivers if w.expired(today)]
        self.waived: dict[str, Waiver] = {}  # nodeid -> waiver applied
        self.limits: RunLimits | RemoteLimits = (
            RemoteLimits(**shared["limits"])
            if shared
            else RunLimits(settings.max_requests or self.profile.max_requests, settings.rate_limit)
        )
        self.stopped: RunStopped | None = None
        contract = load_contract()
        tracked = tuple(f.pointer for f in contract.fields() if f.nullable or not f.required)
        self.record = RunRecord(tracked=tracked)
        auth = open_tokens(settings, shared, failed=lambda message: self.abort("usage error", message, USAGE))
        try:
            self.target, self._release = open_target(
                settings.base_url,
                auth.secrets()[-1] if auth else None,
                settings.session_id,
                settings.foreign_session_id,
                embedded_url=shared["base_url"] if shared and settings.embedded else None,
                auth=auth,
            )
        except ServerStartError as exc:
            pytest.exit(f"chaser: the embedded reference server did not start: {exc}", returncode=INTERNAL_ERROR)
        levels = Levels(settings.strict, dict(item.rsplit("=", 1) for item in settings.rules))
        self.judge = Judge(contract, self.target, self.record, levels=levels)
        self.model = RunModel(self.target, self.profile.name, self.seed, [], record=self.record, levels=levels)
        self.diagnostician = Diagnostician(self.target, self.api_client, self._source, self.witness)
        self.outside: list[Finding] = []  # findings of reads no test made (pre-flight, probes)
        self.preflight = None
        self.collected: list[str] = []  # every test of the run, to list those that never ran
        self.signal: str | None = None  # "SIGINT" or "SIGTERM" when one ended the run
        self.session: pytest.Session | None = None
        self.last_reports: dict[str, pytest.TestReport] = {}  # the last report of each test
        self._previous_handlers: dict[int, Any] = {}  # signal -> its handler before start()
        # Failures in the suite's own words, grouped by cause in the terminal, unless a traceback
        # style was asked for (--tb=long, --tb=short...): then pytest's own, test by test.
        self.compact = conformance_run and config.option.tbstyle == "auto"
        if self.compact:
            config.option.tbstyle = "short"  # for errors that are not contract violations

    def close(self) -> None:
        self._release()
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers = {}

    def start(self) -> None:
        """The controller's start: no earlier run's reports survive, and SIGTERM (a CI job cancelled,
        a container stopped) ends the run as Ctrl-C does, so that its reports are still written.
        Both are remembered: Hypothesis may swallow the KeyboardInterrupt they raise inside a
        generated test, and the run must still stop and say why, not fail that test."""
        clear_stale(self.reports_dir, self.report_paths())
        if threading.current_thread() is threading.main_thread():
            self._previous_handlers = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def _on_signal(self, signum: int, frame: Any) -> None:
        # The first signal stops the run at its next request (a point where every report is
        # consistent; an exception raised anywhere could cut a plugin's report of a test in half,
        # and Hypothesis may swallow it); a second one stops it at once, as Ctrl-C always does.
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name
        self.limits.interrupt(f"interrupted by {self.signal}")
        if self.session is not None:
            self.session.shouldstop = f"chaser: interrupted by {self.signal}"

    def abort(self, word: str, message: str, code: int) -> None:
        """End the run before any test: its verdict in the reports that can be written, no earlier run's."""
        clear_stale(self.reports_dir, [])
        write_verdict_only(self.reports_dir, word, message)
        pytest.exit(message, returncode=code)

    def api_client(self, with_token: bool = True) -> ApiClient:
        """A client of the target within the run's limits: the fixtures', the diagnosis'."""
        return ApiClient(
            self.target.base_url,
            self.target.token if with_token else None,
            limits=self.limits,  # type: ignore[arg-type]
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            ca_bundle=self.settings.ca_bundle,
            witness=self.witness,
            auth=self.target.auth,
        )

    def witness(self, check: str, response: Any) -> None:
        """Judge an answer no test asked for: its findings go to the running test, or, outside any
        test, to the run's own report of them (OUTSIDE_TEST)."""
        try:
            self.judge(check, response, record=False)
        except ContractViolation as violation:
            (self.judge.on_finding or self.outside.append)(violation.finding)

    def _source(self, name: str) -> str:
        return f"{name} from {self.settings.source_of(name)}"

    def configuration(self) -> list[str]:
        """The settings the run used, each with its source (token masked): header, HTML and JSON."""
        used: dict[str, tuple[Any, str]] = {}
        if self.target.embedded:
            t = self.target
            for name, value in (
                ("base_url", t.base_url),
                ("api_token", t.token),
                ("session_id", t.session_ids),
                ("foreign_session_id", t.foreign_session_id),
            ):
                used[name] = (value, "embedded server")
        if self.settings.seed is None:
            used["seed"] = (self.seed, "random; replay with CHASER_SEED")
        if self.settings.reports_dir is None:
            used["reports_dir"] = (self.reports_dir, "default")
        if self.settings.max_requests is None:
            used["max_requests"] = (self.limits.max_requests, f"profile {self.profile.name}")
        return self.settings.describe(used)

    def report_paths(self) -> list[Path]:
        paths = [getattr(self.config.option, "xmlpath", None), getattr(self.config.option, "htmlpath", None)]
        return [Path(p).resolve() for p in paths if p]

    # --- collection ---------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [f"chaser target: {self.target.label}"]
        if self.preflight is not None:
            lines.append(f"chaser DIAGNOSIS (a first read of each session): {self.preflight.message}")
        # The settings that were set (or decided by the run); with -v all of them. Every artifact has all.
        at_default = tuple(f"[{s}]" for s in ("default", *(f"profile {p}" for p in PROFILES)))
        shown = [line for line in self.configuration() if config.option.verbose > 0 or not line.endswith(at_default)]
        lines += [f"  {line}" for line in shown]
        if self.settings.empty:
            lines.append(f"  set but empty, so read as unset: {', '.join(self.settings.empty)}")
        if self.settings.ignored:
            lines.append(
                f"  ignored (this run tests the embedded reference server): {', '.join(self.settings.ignored)}"
            )
        lines.append(f"chaser profile {self.profile.describe()}; seed {self.seed} (replay: CHASER_SEED={self.seed})")
        for w in self.expired_waivers:
            lines.append(f"chaser waiver EXPIRED, not applied: {w.label()}: {w.reason}")
        return lines

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Known sessions are test parameters, so each one is its own named test.
        if "known_session_id" in metafunc.fixturenames:
            metafunc.parametrize("known_session_id", self.target.session_ids, ids=list(self.target.session_ids))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            for waiver in self.waivers:
                if waiver.matches(item.nodeid, item.name):
                    item.add_marker(pytest.mark.xfail(reason=f"waived: {waiver.reason}", strict=False))
                    self.waived[item.nodeid] = waiver
                    break

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [item.nodeid for item in session.items]

    # --- each test: its findings onto its report, its report into the model -------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        found = item.stash.setdefault(FINDINGS, [])
        self.judge.on_finding = found.append
        try:
            return (yield)
        finally:
            self.judge.on_finding = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        report = yield
        error = call.excinfo.value if call.excinfo is not None else None
        inner = find_error(error, (ContractViolation, NoAnswer, BrokenAnswer, RunStopped))
        interrupted = isinstance(inner, RunStopped) and inner.exit_code == INTERRUPTED
        if report.failed and (self.signal is not None or interrupted):
            # A failure while a signal stopped the run (here, or on the controller of a pytest -n
            # worker) is the interruption's, not the target's: the test did not finish.
            path, _, name = item.nodeid.partition("::")
            report.outcome = "skipped"
            why = str(inner) if interrupted else f"interrupted by {self.signal}"
            report.longrepr = (path, 0, f"Skipped: did not run: the run was {why}")
            return report
        found = item.stash.setdefault(FINDINGS, [])
        if isinstance(inner, ContractViolation) and inner.finding not in found:
            found.append(inner.finding)
        elif isinstance(inner, (NoAnswer, BrokenAnswer)):
            found.append(Finding.unanswered(inner, self.target.secrets))
        elif isinstance(inner, RunStopped) and report.failed:
            report.longrepr = f"run stopped: {inner}"  # the reason, not a traceback
        # One finding per rule broken: Hypothesis runs a failing generated case again to report it.
        distinct = {(f.check, tuple(p.key for p in f.problems)): f for f in reversed(found)}
        findings = [replace(f, test=item.nodeid) for f in reversed(distinct.values())]
        found.clear()  # each finding on the report of the phase that made it
        setattr(report, REPORT_ATTRIBUTE, [f.to_dict() for f in findings])
        if report.failed and findings and not hasattr(report, "wasxfail"):
            text = "\n\n".join(f.text() for f in findings)
            if self.compact or not isinstance(error, (ContractViolation, NoAnswer, BrokenAnswer)):
                # The violation, not the code that found it (and, for the generated tests, not
                # Schemathesis' own group, which would repeat it).
                report.longrepr = mask(text, *self.target.secrets)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        tally = self.model.tally
        if report.when == "teardown" and report.nodeid not in tally.outcomes and self.conformance_run:
            # Set up, never called: the run ended around it (Ctrl-C, SIGTERM, a stop under -n). Said
            # before its teardown reaches JUnit, which closes the test case there.
            synthetic.not_run(self.config, report.nodeid, "did not run: the run ended while it was set up", report)
        self.tally_report(report)

    def tally_report(self, report: pytest.TestReport) -> None:
        self.last_reports[report.nodeid] = report
        wasxfail = hasattr(report, "wasxfail")
        # The text itself: longreprtext would start with pytest-xdist's "[gw0] linux -- Python ..." line.
        message = report.longrepr if isinstance(report.longrepr, str) else report.longreprtext
        message = re.sub(r"^\[gw\d+\] .*\n", "", message)
        if report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")  # (path, line, reason)
        self.model.tally.add(report.nodeid, report.when, report.outcome, wasxfail, message)
        findings = [Finding.from_dict(f) for f in getattr(report, REPORT_ATTRIBUTE, None) or []]
        for finding in findings:
            if wasxfail:
                self.model.findings.append(finding)  # recorded, but a waived test is no cause
            else:
                self.model.add_finding(finding)
        if report.failed and not wasxfail and not findings:
            self.model.causes.add_error(report.nodeid, message)

    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        stop = run_stopped(call.excinfo.value if call.excinfo else None)
        if stop is not None and self.stopped is None:
            self.stopped = stop
            node.session.shouldstop = f"chaser: {stop}"

    # --- the end: diagnosis, reports, leak scan -----------------------------------------------

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        # Innermost wrapper: the JUnit and HTML reports are written when this resumes, and the
        # terminal summary (an outer wrapper) is printed after it. The model is complete before
        # them, so that every channel renders the same one.
        if not self.conformance_run or hasattr(self.config, "workerinput"):
            return (yield)  # a pytest -n worker: the controller reports for the whole run
        if self.stopped is None and isinstance(self.limits, RunLimits):
            down = self.limits.totals()[2]
            if down:
                self.stopped = RunStopped(down, UNREACHABLE)  # seen by a worker of pytest -n
        model = self.model
        model.stopped = self.stopped
        model.configuration = self.configuration()
        model.sent, model.cap = self.limits.sent, self.limits.max_requests
        if model.causes and self.stopped is None:
            model.diagnosis = self.diagnostician.after_run(self.record)
        finished = self.stopped is None and not self.signal
        model.notes = waiver_notes(model, self.waived, self.waivers, self.expired_waivers, finished)
        if self.signal is not None or (self.stopped is None and exitstatus == pytest.ExitCode.INTERRUPTED):
            model.ending = "interrupted"
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif self.stopped is not None:
            # A stop ends pytest's session as an interruption; the stop's reason is the verdict.
            model.ending = "unreachable" if self.stopped.exit_code == UNREACHABLE else None
        if self.outside:  # findings of the reads no test made (the pre-flight, the diagnosis' probe)
            synthetic.report_outside(self.config, session, self.outside, self.target.secrets, self.waivers)
        report_tokens(model, self.target.auth)
        self.report_not_run(session)
        junit.add_verdict(self.config, self.model)
        result = yield
        if self.stopped is not None:
            session.exitstatus = self.stopped.exit_code
        model.files = write_artifacts(self.reports_dir, model, self.report_paths())
        scanned = [self.reports_dir, *self.report_paths()]
        model.leaks = find_secret([p for p in scanned if p.exists()], *self.target.secrets)
        if model.leaks:
            session.exitstatus = SECRET_LEAKED
        return result

    def report_not_run(self, session: pytest.Session) -> None:
        """Every collected test that never reported (a stop, an interruption, -x) is reported as not
        run, with why, to every channel at once: pytest's summary, JUnit, HTML and the model."""
        ran = self.model.tally.outcomes
        why = (
            f"did not run: the run was interrupted{' by ' + self.signal if self.signal else ''}"
            if self.model.ending == "interrupted"
            else f"did not run: the run stopped ({self.stopped})"
            if self.stopped
            else "did not run: the run ended before it (-x, --maxfail or a stop)"
        )
        for nodeid in self.collected:
            if nodeid not in ran:
                synthetic.not_run(self.config, nodeid, why, self.last_reports.get(nodeid))

    # --- terminal and HTML renderers of the model ---------------------------------------------

    # (pytest reads hook implementations only from names that start with "pytest_".)
    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_terminal_summary")
    def pytest_terminal_summary_failures(self, terminalreporter: Any) -> Any:
        # Outermost: before pytest prints its FAILURES section, which the compact mode replaces with
        # the failures grouped by cause, the diagnosis first; and after its short test summary
        # (-rsxX), so that the diagnosis is the last thing said.
        ours = self.conformance_run and not hasattr(self.config, "workerinput")
        compact = ours and self.compact and bool(self.model.causes or self.model.diagnosis)
        if compact:
            terminal.write_causes(terminalreporter, self.model)
            self.config.option.tbstyle = "no"
        try:
            return (yield)
        finally:
            if compact:
                self.config.option.tbstyle = "short"
            if ours:
                terminal.write_diagnosis(terminalreporter, self.model)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.conformance_run and not hasattr(self.config, "workerinput"):
            terminal.write_summary(terminalreporter, self.model, self.report_paths())

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        if self.conformance_run:
            report.title = html_report.title(self.model)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        if self.conformance_run:
            prefix.extend(html_report.prefix(self.model))

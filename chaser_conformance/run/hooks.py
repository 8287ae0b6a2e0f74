"""The pytest adapter of a run (run.Run): pytest's hooks, which feed the run what each test did
and render its model through pytest's channels. It decides nothing; the Run does.

Each test: the Ledger starts the test's findings (`pytest_runtest_protocol`); its report gets the
findings the Judge kept and the line of an error that is not a finding (`pytest_runtest_makereport`,
on the worker under -n); the report becomes an `Outcome` the Run adds (`pytest_runtest_logreport`,
on the controller), and a failure the Run waived by cause is told as waived to every channel.
At the end the Run finishes, the reports are written, and the terminal renders the same model.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..checks import ContractViolation, Finding
from ..checks.diagnosis import PREFLIGHT_SHARE
from ..contract.exitcodes import INTERRUPTED, UNREACHABLE, on_interrupting_signals
from ..generators.jwt import describe as token_format
from ..reports import html as html_report
from ..reports import junit, terminal
from ..reports.files import clear_stale, remove_cut_short, write_verdict_only
from ..settings.paths import from_here
from ..settings.profiles import PROFILES
from ..settings.secret import mask
from ..transport.client import BrokenAnswer, NoAnswer, RunStopped
from ..transport.stops import find_error, run_stopped
from . import synthetic
from .run import CONTROLLER_INTERRUPTED, WORKER_SIGNAL, Outcome, Run, RunAborted, used_settings

REPORT_ATTRIBUTE = synthetic.REPORT_ATTRIBUTE
ERROR_ATTRIBUTE = "chaser_error"  # on a TestReport: a failure's exception line, when it is no finding


def _UNFORMATTED(*args: Any, **kwargs: Any) -> str:  # noqa: N802 - stands in for pytest's two methods
    return "(told by the test's findings)"


def abort(reports_dir: Path, aborted: RunAborted) -> None:
    """End the run before any test: its verdict in the reports that can be written, no earlier run's."""
    if aborted.word is not None:
        clear_stale(reports_dir, [])
        write_verdict_only(reports_dir, aborted.word, aborted.message)
    pytest.exit(aborted.message, returncode=aborted.code)


def report_paths(config: pytest.Config) -> list[Path]:
    """The reports pytest's plugins write (JUnit, HTML)."""
    paths = [getattr(config.option, "xmlpath", None), getattr(config.option, "htmlpath", None)]
    return [Path(p).resolve() for p in paths if p]


def start(hooks: RunHooks) -> Callable[[], None]:
    """A process of the run starts: in the controller, no earlier run's reports survive; in every
    process (the controller and each pytest -n worker), SIGTERM (a CI job cancelled, a container
    stopped), SIGHUP and SIGQUIT end the run as Ctrl-C does, so that its reports are still written.
    Returns what puts the previous signal handlers back."""
    if hooks.controller:
        clear_stale(hooks.run.reports_dir, report_paths(hooks.config))
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: Any) -> None:
        # The first signal stops the run at its next request (a point where every report is
        # consistent; an exception raised anywhere could cut a plugin's report of a test in half,
        # and Hypothesis may swallow it), or abandons the exchange or pause the run waits on (a
        # server that trickles must not hold the run past CI's SIGKILL); a second one stops it at
        # once, as Ctrl-C always does. The controller tells its workers (Run.interrupt).
        name = signal.Signals(signum).name
        if hooks.session is not None:
            hooks.session.shouldstop = f"chaser: interrupted by {name}"
        if not hooks.run.interrupt(name):  # may raise RunStopped where the run waits
            raise KeyboardInterrupt

    def on_controller_interrupted(signum: int, frame: Any) -> None:
        # A worker: the controller was interrupted and tells it so (several times, or after the
        # signal itself reached the whole process group: it is never a second signal).
        if hooks.session is not None:
            hooks.session.shouldstop = "chaser: interrupted"
        hooks.run.interrupt(CONTROLLER_INTERRUPTED)

    restore = on_interrupting_signals(on_signal)
    if hooks.controller or not hasattr(signal, WORKER_SIGNAL):
        return restore
    previous = signal.signal(getattr(signal, WORKER_SIGNAL), on_controller_interrupted)

    def restore_both() -> None:
        restore()
        signal.signal(getattr(signal, WORKER_SIGNAL), previous)

    return restore_both


def outcome_of(report: pytest.TestReport) -> Outcome:
    """A test report as the run reads it: its findings (Finding.to_dict, as they crossed from a
    worker), and the text of a failure or a skip."""
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")  # (path, line, reason)
    elif isinstance(report.longrepr, str):
        message = report.longrepr
    else:
        message = str(report.longrepr or "")  # its text, without pytest-xdist's "[gw0] linux ..." line
    findings = tuple(Finding.from_dict(f) for f in getattr(report, REPORT_ATTRIBUTE, None) or [])
    waived = hasattr(report, "wasxfail")
    return Outcome(
        report.nodeid, report.when, report.outcome, waived, message, findings, getattr(report, ERROR_ATTRIBUTE, "")
    )


def compact_failures(config: pytest.Config, conformance_run: bool) -> bool:
    """Failures in the suite's own words, grouped by cause in the terminal, unless a traceback
    style was asked for (--tb=long, --tb=short...): then pytest's own, test by test."""
    if not (conformance_run and config.option.tbstyle == "auto"):
        return False
    config.option.tbstyle = "short"  # for errors that are not contract violations
    return True


def register(config: pytest.Config, run: Run, conformance_run: bool, name: str) -> None:
    """The run's adapters: `name` for the run's hooks, `name-reports` for its renderers."""
    compact = compact_failures(config, conformance_run)
    config.pluginmanager.register(RunHooks(config, run, conformance_run, compact), name)
    config.pluginmanager.register(ReportHooks(config, run, conformance_run, compact), f"{name}-reports")


class RunHooks:
    """Feeds the run what each test did; decides nothing."""

    def __init__(self, config: pytest.Config, run: Run, conformance_run: bool, compact: bool) -> None:
        self.config = config
        self.run = run
        self.conformance_run = conformance_run
        self.controller = conformance_run and not hasattr(config, "workerinput")
        self.session: pytest.Session | None = None
        self.last_reports: dict[str, pytest.TestReport] = {}  # the last report of each test
        self.restore_signals: Callable[[], None] = lambda: None
        self.compact = compact

    def pytest_configure(self, config: pytest.Config) -> None:
        # Called as the plugin registers it (pytest_configure is historic): before the pre-flight,
        # so that a signal during it ends the run as well.
        if self.conformance_run:
            self.restore_signals = start(self)

    # --- collection ---------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        run, settings = self.run, self.run.settings
        lines = [f"chaser target: {run.target.label}"]
        if run.preflight is not None:
            lines.append(f"chaser DIAGNOSIS (a first read of each session): {run.preflight.message}")
        if run.diagnostician.not_read:
            read = len(run.target.session_ids) - run.diagnostician.not_read
            lines.append(
                f"chaser pre-flight: read the first {read} of {len(run.target.session_ids)} sessions "
                f"(its share of the request cap is {PREFLIGHT_SHARE:.0%}); the tests read them all"
            )
        # The settings that were set (or decided by the run); with -v all of them. Every artifact has all.
        at_default = tuple(f"[{s}]" for s in ("default", *(f"profile {p}" for p in PROFILES)))
        shown = [line for line in used_settings(run) if config.option.verbose > 0 or not line.endswith(at_default)]
        lines += [f"  {line}" for line in shown]
        if settings.empty:
            lines.append(f"  set but empty, so read as unset: {', '.join(settings.empty)}")
        if settings.ignored:
            lines.append(f"  ignored (this run tests the embedded reference server): {', '.join(settings.ignored)}")
        lines.append(f"chaser profile {run.profile.describe()}; seed {run.seed} (replay: CHASER_SEED={run.seed})")
        if str(run.target.token):
            lines.append(f"chaser token: {token_format(str(run.target.secrets[-1]))}")
        for w in run.waiving.expired:
            lines.append(f"chaser waiver EXPIRED, not applied: {w.label()}: {w.reason}")
        return lines

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Known sessions are test parameters, so each one is its own named test.
        if "known_session_id" in metafunc.fixturenames:
            ids = self.run.target.session_ids
            metafunc.parametrize("known_session_id", ids, ids=list(ids))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if self.run.signal is not None:  # interrupted before any test (while the run started)
                item.add_marker(pytest.mark.skip(reason=f"did not run: the run was interrupted by {self.run.signal}"))
            waiver = self.run.waiving.by_name(item.nodeid, item.name)
            if waiver is not None:
                item.add_marker(pytest.mark.xfail(reason=self.run.waiving.said(waiver), strict=False))

    @pytest.hookimpl(tryfirst=True)  # before the terminal writes its header
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        if self.controller:
            terminal.keep_writing_when_the_reader_goes(session.config)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.run.collect([item.nodeid for item in session.items])

    # --- each test: its findings onto its report, its report into the run ----------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        self.run.ledger.begin()
        try:
            return (yield)
        finally:
            self.run.ledger.end()

    def _told_by_findings(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> bool:
        """Whether this phase's failure will be told by its findings' text alone (below): then
        pytest need not format its traceback, which it does, source lines and all, for every
        failure whatever --tb says, and a broken server's run has dozens."""
        if not self.compact or call.excinfo is None or item.get_closest_marker("xfail") is not None:
            return False
        error = call.excinfo.value
        if isinstance(error, (pytest.skip.Exception, pytest.xfail.Exception)) or self.run.signal is not None:
            return False
        return self.run.ledger.pending or find_error(error, (NoAnswer, BrokenAnswer)) is not None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        told = self._told_by_findings(item, call)
        if told:  # pytest's text of the failure is replaced below: not formatted at all
            item.repr_failure = item._repr_failure_py = _UNFORMATTED  # type: ignore[method-assign]
        try:
            report = yield
        finally:
            if told:
                del item.repr_failure, item._repr_failure_py
        run = self.run
        error = call.excinfo.value if call.excinfo is not None else None
        inner = find_error(error, (ContractViolation, NoAnswer, BrokenAnswer, RunStopped))
        interrupted = isinstance(inner, RunStopped) and inner.exit_code == INTERRUPTED
        if report.failed and (run.signal is not None or interrupted):
            # A failure while a signal stopped the run (here, or on the controller of a pytest -n
            # worker) is the interruption's, not the target's: the test did not finish.
            path = item.nodeid.partition("::")[0]
            why = str(inner) if interrupted else f"interrupted by {run.signal}"
            report.outcome = "skipped"
            report.longrepr = (path, 0, f"Skipped: did not run: the run was {why}")
            return report
        findings = run.ledger.take()  # each finding on the report of the phase that made it
        if report.failed and not findings and isinstance(inner, RunStopped) and inner.exit_code != UNREACHABLE:
            # The request cap stopped the run inside this test before it found anything: it did not
            # finish, as the tests after it did not run (a conformant server's capped run is
            # "incomplete", not "not conformant"). A target that stopped answering is its failure.
            report.outcome = "skipped"
            report.longrepr = (item.nodeid.partition("::")[0], 0, f"Skipped: did not run: the run stopped ({inner})")
            return report
        if isinstance(inner, (NoAnswer, BrokenAnswer)):
            findings.append(Finding.unanswered(inner, run.target.secrets))
        elif isinstance(inner, RunStopped) and report.failed:
            report.longrepr = f"run stopped: {inner}"  # the reason, not a traceback
        findings = [replace(f, test=item.nodeid) for f in findings]  # the test that found each, in every channel
        setattr(report, REPORT_ATTRIBUTE, [f.to_dict() for f in findings])
        if report.failed and not findings and call.excinfo is not None:
            setattr(report, ERROR_ATTRIBUTE, call.excinfo.exconly().strip().partition("\n")[0])
        if report.failed and findings and not hasattr(report, "wasxfail"):
            text = "\n\n".join(f.text() for f in findings)
            if self.compact or not isinstance(error, (ContractViolation, NoAnswer, BrokenAnswer)):
                # The violation, not the code that found it (and, for the generated tests, not
                # Schemathesis' own group, which would repeat it).
                report.longrepr = mask(text, *run.target.secrets)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown" and report.nodeid not in self.run.model.tally.outcomes and self.conformance_run:
            # Set up, never called: the run ended around it (Ctrl-C, SIGTERM, a stop under -n). Said
            # before its teardown reaches JUnit, which closes the test case there.
            synthetic.not_run(self.config, report.nodeid, "did not run: the run ended while it was set up", report)
        self.last_reports[report.nodeid] = report
        counted = self.run.add(outcome_of(report))
        if counted.reason:  # waived by its causes: told so to every plugin after this one
            report.outcome = "skipped"
            report.wasxfail = counted.reason  # type: ignore[attr-defined]

    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        stop = run_stopped(call.excinfo.value if call.excinfo else None)
        if stop is not None and self.run.stop(stop):
            node.session.shouldstop = f"chaser: {stop}"

    # --- the end: the run finishes, the reports are written ----------------------------------

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        # Innermost wrapper: the JUnit and HTML reports are written when this resumes, and the
        # terminal summary (an outer wrapper) is printed after it. The model is complete before
        # them, so that every channel renders the same one.
        if not self.controller:
            return (yield)  # a pytest -n worker: the controller reports for the whole run
        run = self.run
        run.finish(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        if run.model.ending == "interrupted":
            session.exitstatus = INTERRUPTED
        outside = run.ledger.take_outside()  # the findings of the reads no test made (pre-flight, probes)
        if outside:
            synthetic.report_outside(self.config, session, outside, run.target.secrets)
        for nodeid, why in run.not_run():
            synthetic.not_run(self.config, nodeid, why, self.last_reports.get(nodeid))
        junit.add_verdict(self.config, run.model)
        unwritten: tuple[str, ...] = ()
        try:
            result = yield
        except OSError as exc:  # JUnit's or HTML's writer failed (a full disk): the others are still written
            result, others = None, report_paths(self.config)
            unwritten = (f"{', '.join(from_here(p).name for p in others)}: {exc.strerror or exc}",)
            for path in others:
                remove_cut_short(path)  # which of them was cut short is not known
        status = run.write_reports(report_paths(self.config), unwritten)
        if status is not None:
            session.exitstatus = status
        return result

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.run.close()
        self.restore_signals()


class ReportHooks:
    """pytest's terminal and pytest-html render the run's model (what `Run.finish()` decided)."""

    def __init__(self, config: pytest.Config, run: Run, conformance_run: bool, compact: bool) -> None:
        self.config = config
        self.run = run
        self.conformance_run = conformance_run
        self.controller = conformance_run and not hasattr(config, "workerinput")
        # Failures in the suite's own words, grouped by cause in the terminal, unless a traceback
        # style was asked for (--tb=long, --tb=short...): then pytest's own, test by test.
        self.compact = compact

    # (pytest reads hook implementations only from names that start with "pytest_".)
    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_terminal_summary")
    def pytest_terminal_summary_failures(self, terminalreporter: Any) -> Any:
        # Outermost: before pytest prints its FAILURES section, which the compact mode replaces with
        # the failures grouped by cause, the diagnosis first; and after its short test summary
        # (-rsxX), so that the diagnosis is the last thing said.
        model = self.run.model
        compact = self.controller and self.compact and bool(model.causes or model.diagnosis)
        if compact:
            terminal.write_causes(terminalreporter, model)
            self.config.option.tbstyle = "no"
        try:
            return (yield)
        finally:
            if compact:
                self.config.option.tbstyle = "short"
            if self.controller:
                terminal.write_diagnosis(terminalreporter, model)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.controller:
            terminal.write_summary(terminalreporter, self.run.model, report_paths(self.config))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        if self.conformance_run:
            report.title = html_report.title(self.run.model)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        if self.conformance_run:
            prefix.extend(html_report.prefix(self.run.model))

"""The pytest plugin: options, settings resolution, the target, fixtures, header, summary, reports.

Config flows one way: settings are resolved once in pytest_configure (a bad value
stops the run with a usage error naming the setting and its source), the embedded
reference server is started when no base URL is set, and fixtures hand out
read-only objects. At the end, the run's artifacts are written and searched for the token.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from .checks import ContractViolation, Exchange, Judge, RunRecord
from .client import EXIT_UNREACHABLE, SESSION_PATH, ApiClient, NoAnswer, RunLimits, RunStopped, Target, http_session
from .diagnosis import Diagnosis, diagnose
from .generated import build_schema
from .layout import SUITE_DIR
from .parallel import (
    INPUT_KEY,
    OUTPUT_KEY,
    LimitsServer,
    RemoteLimits,
    merge_record,
    record_out,
    schedule_one_at_a_time,
)
from .profiles import PROFILES, Profile
from .reports import Causes, Tally, cause_lines, coverage_lines, find_secret, summary, verdict, write_artifacts
from .secret import mask
from .server import RunningServer, Store, serve_in_thread
from .settings import CONFIG_CLI, CONFIG_ENV, EMBEDDED_CLI, FIELDS, Settings, SettingsError, resolve
from .spec import Contract, load_contract
from .waivers import Waiver, WaiverError, load_waivers

PLUGIN_NAME = "chaser-conformance"
# The generated test's failure in the suite's own words: Schemathesis reports its own group instead.
VIOLATION = pytest.StashKey[str]()
REPORT_CSS = Path(__file__).with_name("report.css")
# Exit codes beyond pytest's own (0 conformant, 1 failures, 4 usage error), from sysexits.h;
# EXIT_UNREACHABLE (69) lives with RunStopped in client.py.
EXIT_SECRET_LEAKED = 70  # EX_SOFTWARE: the run wrote the token somewhere


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaser", "Chaser conformance target (each also CHASER_<NAME> and a chaser.toml key)")
    for f in FIELDS:
        try:
            # The target options also answer to --chaser-<name>, so `--help | grep chaser` finds them all.
            names = [f.option] + ([f.alias] if f.alias != f.option else [])
            group.addoption(
                *names, dest=f.dest, default=None, metavar=f.name.upper(), help=f"chaser: {f.help} [{f.env}]"
            )
        except (ValueError, argparse.ArgumentError):
            # Already registered by another plugin (pytest-base-url owns --base-url with the
            # same dest): share it, so the two cannot disagree about the target.
            pass
    group.addoption(
        CONFIG_CLI,
        dest="chaser_config",
        default=None,
        metavar="PATH",
        help=f"chaser: config file (TOML) [{CONFIG_ENV}; default: ./chaser.toml if present]",
    )
    group.addoption(
        EMBEDDED_CLI,
        dest="chaser_embedded",
        action="store_true",
        default=False,
        help="chaser: test the embedded reference server, whatever CHASER_* or a config file name as target",
    )


class ChaserPlugin:
    def __init__(self, config: pytest.Config, settings: Settings, waivers: list[Waiver]) -> None:
        self.config = config
        self.settings = settings
        self.profile: Profile = PROFILES[settings.profile]
        # Under pytest -n, a worker gets the controller's seed, target and request budget.
        shared = getattr(config, "workerinput", {}).get(INPUT_KEY)
        self.worker = shared is not None
        self.limits_server: LimitsServer | None = None
        self.worker_targets: dict[str, str] = {}
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
        self.today = dt.date.today()
        self.waivers = [w for w in waivers if not w.expired(self.today)]
        self.expired_waivers = [w for w in waivers if w.expired(self.today)]
        self.waived: dict[str, Waiver] = {}  # nodeid -> waiver applied
        contract = load_contract()
        self.record = RunRecord(tracked=tuple(f.pointer for f in contract.fields() if f.nullable or not f.required))
        self.tally = Tally()
        self.conformance_run = is_conformance_run(config)
        self.limits: RunLimits | RemoteLimits = (
            RemoteLimits(**shared["limits"])
            if shared
            else RunLimits(settings.max_requests or self.profile.max_requests, settings.rate_limit)
        )
        self.stopped: RunStopped | None = None
        self.artifacts: list[Path] = []
        self.leaks: list[Path] = []
        self.causes = Causes()
        self.diagnosis: Diagnosis | None = None
        self.preflight: Diagnosis | None = None  # from one read of each known session, before the tests
        # Failures in the suite's own words, grouped by cause in the terminal, unless a traceback
        # style was asked for (--tb=long, --tb=short...): then pytest's own, test by test.
        self.compact = self.conformance_run and config.option.tbstyle == "auto"
        if self.compact:
            config.option.tbstyle = "short"  # for errors that are not contract violations
        self.server: RunningServer | None = None
        if settings.embedded:
            # One embedded server for the run: the controller's, when this is a worker.
            self.server = None if shared else serve_in_thread(quiet=True)
            store = self.server.app.store if self.server else Store()
            self.target = Target(
                base_url=self.server.base_url if self.server else shared["base_url"],
                token=store.primary.token,
                session_ids=tuple(store.primary.sessions),
                foreign_session_id=next(iter(store.other.sessions)),
                embedded=True,
            )
        else:
            assert settings.base_url and settings.api_token  # guaranteed by resolve()
            self.target = Target(
                base_url=settings.base_url,
                token=settings.api_token,
                session_ids=settings.session_id,
                foreign_session_id=settings.foreign_session_id,
                embedded=False,
            )

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.limits_server is not None:
            self.limits_server.stop()

    # --- pytest -n: the controller shares its target, seed and budget, and merges what workers saw ---

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if not self.conformance_run:
            return
        if self.limits_server is None:
            self.limits_server = LimitsServer(self.limits)  # type: ignore[arg-type]
        node.workerinput[INPUT_KEY] = {
            "seed": self.seed,
            "base_url": self.target.base_url,
            "limits": self.limits_server.workerinput(),
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
        if not data:
            return
        merge_record(self.record, data["record"])
        self.worker_targets[str(node.gateway.id)] = data["base_url"]
        for nodeid, index in data["waived"].items():
            self.waived[nodeid] = self.waivers[index]
        if data["stopped"] and self.stopped is None:
            self.stopped = RunStopped(*data["stopped"])

    def _worker_output(self) -> dict[str, Any]:
        return {
            "record": record_out(self.record),
            "base_url": self.target.base_url,
            "waived": {nodeid: self.waivers.index(w) for nodeid, w in self.waived.items()},
            "stopped": [self.stopped.message, self.stopped.exit_code] if self.stopped else None,
        }

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

    def preflight_diagnosis(self) -> Diagnosis | None:
        """One read of each known session with the token before any test: a wrong token, session
        ids or base path is said at the top of the run, not only after dozens of failures."""
        record = RunRecord()
        with closing(self.api_client()) as client:
            try:
                for sid in self.target.session_ids:
                    record.saw(Exchange.of(client.get_session(sid)), valid=True, known=True)
            except (NoAnswer, RunStopped):
                return None
        return diagnose(record, self.target, self._source, self._probe, min_refused=1)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [f"chaser target: {self.target.label}"]
        if self.preflight is not None:
            lines.append(f"chaser DIAGNOSIS (a first read of each session): {self.preflight.message}")
        # The settings that were set (or decided by the run); with -v all of them. Every artifact has all.
        shown = [line for line in self.configuration() if config.option.verbose > 0 or not _at_default(line)]
        lines += [f"  {line}" for line in shown]
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

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        report = yield
        if report.failed and call.excinfo is not None and not hasattr(report, "wasxfail"):
            error = call.excinfo.value
            kept = item.stash.get(VIOLATION, None)  # the generated test's, under Schemathesis' group
            text = kept or (str(error) if isinstance(error, (ContractViolation, NoAnswer)) else None)
            if text is not None and (self.compact or kept):
                report.longrepr = mask(text, self.target.token)  # the violation, not the code that found it
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        wasxfail = hasattr(report, "wasxfail")
        # The text itself: longreprtext would start with pytest-xdist's "[gw0] linux -- Python ..." line.
        message = report.longrepr if isinstance(report.longrepr, str) else report.longreprtext
        message = re.sub(r"^\[gw\d+\] .*\n", "", message)
        if report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")  # (path, line, reason)
        self.tally.add(report.nodeid, report.when, report.outcome, wasxfail, message)
        if report.failed and not wasxfail:
            self.causes.add(report.nodeid, message)

    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        stop = _run_stopped(call.excinfo.value if call.excinfo else None)
        if stop is not None and self.stopped is None:
            self.stopped = stop
            node.session.shouldstop = f"chaser: {stop}"

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        # Innermost wrapper: the JUnit and HTML reports are written when this resumes, and the
        # terminal summary (an outer wrapper) is printed after it. The diagnosis is made before
        # them, so that every channel can lead with it.
        if self.worker:
            if isinstance(self.limits, RemoteLimits):
                self.limits.release_unused()  # the run's count of requests sent stays exact
            self.config.workeroutput[OUTPUT_KEY] = self._worker_output()  # type: ignore[attr-defined]
            return (yield)  # the controller reports for the whole run
        if self.conformance_run and self.stopped is None and isinstance(self.limits, RunLimits):
            down = self.limits.totals()[2]
            if down:
                self.stopped = RunStopped(down, EXIT_UNREACHABLE)  # seen by a worker of pytest -n
        if self.conformance_run and self.causes and self.stopped is None:
            self.diagnosis = diagnose(self.record, self.target, self._source, self._probe)
        result = yield
        if not self.conformance_run:
            return result
        if self.stopped is not None:
            session.exitstatus = self.stopped.exit_code
        data = summary(
            self.configuration(),
            self.target,
            self.profile.name,
            self.seed,
            self.tally,
            self.record,
            self.stopped is not None,
            self.causes,
            self.diagnosis,
            self.worker_targets,
        )
        self.artifacts = write_artifacts(self.reports_dir, data, self.record, self._report_paths())
        scanned = [self.reports_dir, *self._report_paths()]
        self.leaks = find_secret([p for p in scanned if p.exists()], str(self.target.token))
        if self.leaks:
            session.exitstatus = EXIT_SECRET_LEAKED
        return result

    def _source(self, name: str) -> str:
        return f"{name} from {self.settings.source_of(name)}"

    def _probe(self, path: str) -> Exchange | None:
        """One GET with the token to a path under the base URL (the diagnosis' unknown-route probe)."""
        with closing(self.api_client()) as client:
            try:
                return Exchange.of(client.request("GET", client.base_url + path))
            except (NoAnswer, RunStopped):
                return None

    def api_client(self, with_token: bool = True) -> ApiClient:
        """A client of the target within the run's limits: the fixtures', the preflight's, the probe's."""
        return ApiClient(
            self.target.base_url,
            self.target.token if with_token else None,
            limits=self.limits,  # type: ignore[arg-type]
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            ca_bundle=self.settings.ca_bundle,
        )

    # (pytest reads hook implementations only from names that start with "pytest_".)
    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_terminal_summary")
    def pytest_terminal_summary_failures(self, terminalreporter: Any) -> Any:
        # Outermost: before pytest prints its FAILURES section, which the compact mode replaces with
        # the failures grouped by cause, the diagnosis first.
        tr = terminalreporter
        if not (self.conformance_run and self.compact and (self.causes or self.diagnosis)):
            return (yield)
        causes = f"{len(self.causes)} cause" + ("s" if len(self.causes) != 1 else "")
        tr.section(f"chaser conformance: failures by cause ({causes}; --tb=long shows each test)", sep="=")
        for line in cause_lines(self.causes, self.diagnosis):
            tr.write_line(line)
        self.config.option.tbstyle = "no"
        try:
            return (yield)
        finally:
            self.config.option.tbstyle = "short"

    def _report_paths(self) -> list[Path]:
        paths = [getattr(self.config.option, "xmlpath", None), getattr(self.config.option, "htmlpath", None)]
        return [Path(p).resolve() for p in paths if p]

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        if not self.conformance_run:
            return
        tr.section("chaser conformance", sep="=")
        tr.write_line(
            f"target: {self.target.label}; profile {self.profile.name}; seed {self.seed}; "
            f"{self.limits.sent} requests sent (cap {self.limits.max_requests})"
        )
        if self.stopped is not None:
            tr.write_line(f"RUN STOPPED: {self.stopped} (exit {self.stopped.exit_code})", red=True)
        word, line = verdict(self.tally.counts(), self.stopped is not None)
        tr.write_line(f"verdict: {line}", bold=True, red=word != "conformant", green=word == "conformant")
        if self.diagnosis is not None:
            tr.write_line(f"DIAGNOSIS: {self.diagnosis.message}", bold=True)
        for nodeid, reason in self.tally.not_run().items():
            tr.write_line(f"  did not run: {nodeid.split('::')[-1]}: {reason}")
        if self.record.advisories:
            tr.write_line(f"advisories ({len(self.record.advisories)}; CHASER_STRICT=1 turns them into failures):")
            items = sorted(self.record.advisories.items(), key=lambda kv: (kv[0].check, kv[0].message))
            for advisory, count in items:
                tr.write_line(f"  [{advisory.check}] {advisory.message} (x{count})")
        else:
            tr.write_line("advisories: none")
        tr.write_line("field coverage of 200 responses (times seen with a value, null, absent):")
        for line in coverage_lines(self.record):
            tr.write_line(line)
        for gap in self.record.coverage_gaps():
            tr.write_line(f"  advisory: {gap}: the schema check passed without ever seeing that state")
        # A waived test whose worst outcome is "xpassed" failed nowhere, its subtests included.
        for nodeid in sorted(n for n in self.waived if self.tally.outcomes.get(n) == "xpassed"):
            tr.write_line(f"waiver no longer needed (the test passed): {self.waived[nodeid].label()} -> {nodeid}")
        used = set(self.waived.values())
        for waiver in self.waivers:
            if waiver not in used:
                tr.write_line(f"waiver matched no test: {waiver.label()}")
        for waiver in self.expired_waivers:
            tr.write_line(f"waiver expired and was not applied: {waiver.label()}")
        reports = [*self._report_paths(), *self.artifacts]
        if reports:
            folders = sorted({str(p.parent) for p in reports})
            shown = ", ".join(p.name if len(folders) == 1 else str(p) for p in reports)
            tr.write_line(f"reports{f' (in {folders[0]})' if len(folders) == 1 else ''}: {shown}")
        for path in self.leaks:
            tr.write_line(
                f"SECRET LEAK: the token was written to {path}; the run fails (exit {EXIT_SECRET_LEAKED})", red=True
            )


def is_conformance_run(config: pytest.Config) -> bool:
    """A run of the product (the default testpaths, or paths inside tests/conformance), not of selftests.

    Only such runs write reports, probe the target and scan for the token.
    """
    if not config.args:
        return True
    # The suite of this package (checkout or wheel), or a checkout's tests/conformance when the
    # package imported is another copy (an installed one).
    suites = {SUITE_DIR, config.rootpath.joinpath("tests", "conformance").resolve()}
    paths = [Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve() for arg in config.args]
    return all(any(path == suite or suite in path.parents for suite in suites) for path in paths)


def _run_stopped(error: BaseException | None) -> RunStopped | None:
    """The RunStopped inside an error, also when Schemathesis wrapped it in a group or a cause."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, RunStopped):
            return error
        nested = getattr(error, "exceptions", None)
        if nested:
            found = [s for s in map(_run_stopped, nested) if s is not None]
            if found:
                return found[0]
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def check_reachable(target: Target, settings: Settings, limits: RunLimits) -> None:
    """One unauthenticated read before any test: an unreachable target is one clear line, not N failures."""
    url = target.base_url + SESSION_PATH + quote(target.session_ids[0], safe="")
    http = http_session(target.base_url, limits, settings.ca_bundle)
    try:
        http.get(url, timeout=(settings.connect_timeout, settings.read_timeout), allow_redirects=False).close()
    except requests.RequestException as exc:
        # urllib3 nests the cause several levels deep; the errno or TLS text is what a person needs.
        found = re.search(r"\[Errno [^\]]+\][^'\")]*|\[SSL[^'\")]*|timed out[^'\")]*", str(exc))
        reason = found.group(0).strip() if found else type(exc).__name__
        pytest.exit(f"chaser: target unreachable: {target.base_url}: {reason}", returncode=EXIT_UNREACHABLE)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help or config.option.version:
        return
    cli = {f.dest: config.getoption(f.dest, None) for f in FIELDS}
    cli["chaser_config"] = config.getoption("chaser_config")
    try:
        settings = resolve(
            cli, rootdir=Path(config.invocation_params.dir), embedded=config.getoption("chaser_embedded")
        )
        waivers = load_waivers(settings.waivers) if settings.waivers else []
    except (SettingsError, WaiverError) as exc:
        raise pytest.UsageError(f"chaser settings: {exc}") from None
    plugin = ChaserPlugin(config, settings, waivers)
    # JUnit XML and the self-contained HTML report of the suite go to the reports directory unless
    # named explicitly; set before the junitxml and pytest-html plugins read them (hence tryfirst).
    if plugin.conformance_run and not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(plugin.reports_dir / "junit.xml")
    if plugin.conformance_run and hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(plugin.reports_dir / "report.html")
        config.option.self_contained_html = True
    if plugin.conformance_run and hasattr(config.option, "css"):
        config.option.css = [*(config.option.css or []), str(REPORT_CSS)]
    config.pluginmanager.register(plugin, PLUGIN_NAME)
    _ACTIVE.append(plugin)
    if plugin.conformance_run:
        schedule_one_at_a_time(config.option)
    if plugin.conformance_run and not plugin.target.embedded and not hasattr(config, "workerinput"):
        check_reachable(plugin.target, settings, plugin.limits)
        plugin.preflight = plugin.preflight_diagnosis()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        plugin.close()
        if plugin in _ACTIVE:
            _ACTIVE.remove(plugin)
    if hasattr(config, "workerinput"):
        # A pytest -n worker's process ends next, and the controller waits for it to end the run.
        # What it leaves in memory (Hypothesis' and Schemathesis' strategies, the schema) needs no
        # collecting, yet the interpreter's final collection of it takes ~0.15 s: frozen, it is
        # skipped. Only in a worker: an in-process pytest.main() caller lives on.
        gc.freeze()


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str], session: Any) -> None:
    plugin = _plugin(session.config)
    if plugin is None or not plugin.conformance_run:
        return
    from html import escape

    rows = "".join(f"<li>{escape(line)}</li>" for line in plugin.configuration())
    word, line = verdict(plugin.tally.counts(), plugin.stopped is not None)
    colour = "#1a7f37" if word == "conformant" else "#cf222e"
    not_run = "".join(f"<li><code>{escape(n)}</code>: {escape(r)}</li>" for n, r in plugin.tally.not_run().items())
    diagnosis = f"<p><strong>Diagnosis:</strong> {escape(plugin.diagnosis.message)}</p>" if plugin.diagnosis else ""
    prefix.append(
        f'<h2>Chaser conformance</h2><p style="color:{colour};font-weight:bold">Verdict: {escape(line)}</p>'
        + diagnosis
        + (f"<p>Did not run:</p><ul>{not_run}</ul>" if not_run else "")
        + f"<p>Target: {escape(plugin.target.label)}; profile {escape(plugin.profile.name)}; "
        f"seed <code>{plugin.seed}</code> (replay: <code>CHASER_SEED={plugin.seed}</code>)</p>"
        f"<p>Configuration (token masked):</p><ul>{rows}</ul>"
    )
    advisories = "".join(
        f"<li>[{escape(a.check)}] {escape(a.message)} (x{n})</li>" for a, n in plugin.record.advisories.items()
    )
    prefix.append(f"<h3>Advisories</h3><ul>{advisories or '<li>none</li>'}</ul>")
    header = "".join(f"<th>{s}</th>" for s in ("field", "value", "null", "absent"))
    body = "".join(
        f"<tr><td><code>{escape(p)}</code></td>"
        + "".join(f"<td>{seen[s]}</td>" for s in ("value", "null", "absent"))
        + "</tr>"
        for p, seen in plugin.record.coverage.items()
    )
    gaps = "".join(f"<li>{escape(g)}</li>" for g in plugin.record.coverage_gaps())
    prefix.append(
        f"<h3>Field coverage of 200 responses</h3><table><tr>{header}</tr>{body}</table>"
        + (f"<p>Advisory, not covered:</p><ul>{gaps}</ul>" if gaps else "")
    )


def _at_default(line: str) -> bool:
    return line.endswith(("[default]", "[profile quick]", "[profile ci]", "[profile deep]"))


def _plugin(config: pytest.Config) -> ChaserPlugin:
    return config.pluginmanager.get_plugin(PLUGIN_NAME)


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return _plugin(pytestconfig).settings


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return _plugin(pytestconfig).profile


@pytest.fixture(scope="session")
def seed(pytestconfig: pytest.Config) -> int:
    return _plugin(pytestconfig).seed


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return _plugin(pytestconfig).target


@pytest.fixture(scope="session")
def judge(pytestconfig: pytest.Config, contract: Contract, target: Target, settings: Settings) -> Judge:
    return Judge(contract, target, _plugin(pytestconfig).record, strict=settings.strict)


@pytest.fixture(scope="session")
def limits(pytestconfig: pytest.Config) -> RunLimits:
    return _plugin(pytestconfig).limits


@pytest.fixture(scope="session")
def api(pytestconfig: pytest.Config) -> Iterator[ApiClient]:
    with closing(_plugin(pytestconfig).api_client(with_token=True)) as client:
        yield client


@pytest.fixture(scope="session")
def anon_api(pytestconfig: pytest.Config) -> Iterator[ApiClient]:
    with closing(_plugin(pytestconfig).api_client(with_token=False)) as client:
        yield client


_ACTIVE: list[ChaserPlugin] = []  # the plugin of the run configured in this process


def generated_schema(shard: int = 0) -> Any:
    """The Schemathesis schema of this run, for `@schema.parametrize()` at a test module's top level.

    Built at collection (settings are resolved by then) rather than through Schemathesis'
    `from_fixture`, which reports each operation as a pytest subtest: a failing subtest under a
    passing test is two outcomes for one test, and the channels (JUnit, HTML) disagreed about it.
    """
    if not _ACTIVE:
        raise RuntimeError("the chaser-conformance plugin is not configured in this process")
    plugin = _ACTIVE[-1]
    return build_schema(
        plugin.target, plugin.profile, plugin.seed, plugin.settings.read_timeout, plugin.settings.ca_bundle, shard
    )


def generated_shards() -> int:
    if not _ACTIVE:
        raise RuntimeError("the chaser-conformance plugin is not configured in this process")
    return _ACTIVE[-1].profile.shards

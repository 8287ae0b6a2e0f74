"""The pytest plugin: options, settings resolution, the target, fixtures, header, summary, reports.

Config flows one way: settings are resolved once in pytest_configure (a bad value
stops the run with a usage error naming the setting and its source), the embedded
reference server is started when no base URL is set, and fixtures hand out
read-only objects. At the end, the run's artifacts are written and searched for the token.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from .checks import Judge, RunRecord
from .client import EXIT_UNREACHABLE, SESSION_PATH, ApiClient, RunLimits, RunStopped, Target, http_session
from .generated import build_schema
from .profiles import PROFILES, Profile
from .reports import Tally, coverage_lines, find_secret, summary, verdict, write_artifacts
from .server import RunningServer, serve_in_thread
from .settings import CONFIG_CLI, CONFIG_ENV, FIELDS, TARGET_FIELDS, Settings, SettingsError, resolve
from .spec import Contract, load_contract
from .waivers import Waiver, WaiverError, load_waivers

PLUGIN_NAME = "chaser-conformance"
# Exit codes beyond pytest's own (0 conformant, 1 failures, 4 usage error), from sysexits.h;
# EXIT_UNREACHABLE (69) lives with RunStopped in client.py.
EXIT_SECRET_LEAKED = 70  # EX_SOFTWARE: the run wrote the token somewhere


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaser", "Chaser conformance target (each also CHASER_<NAME> and a chaser.toml key)")
    for f in FIELDS:
        try:
            group.addoption(f.option, dest=f.dest, default=None, metavar=f.name.upper(), help=f"{f.help} [{f.env}]")
        except (ValueError, argparse.ArgumentError):
            # Already registered by another plugin (pytest-base-url owns --base-url with the
            # same dest): share it, so the two cannot disagree about the target.
            pass
    group.addoption(
        CONFIG_CLI,
        dest="chaser_config",
        default=None,
        metavar="PATH",
        help=f"config file (TOML) [{CONFIG_ENV}; default: ./chaser.toml if present]",
    )


class ChaserPlugin:
    def __init__(self, config: pytest.Config, settings: Settings, waivers: list[Waiver]) -> None:
        self.config = config
        self.settings = settings
        self.profile: Profile = PROFILES[settings.profile]
        # A seed on every run, so any run can be replayed exactly.
        self.seed: int = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        self.reports_dir: Path = settings.reports_dir or config.rootpath / "reports"
        self.today = dt.date.today()
        self.waivers = [w for w in waivers if not w.expired(self.today)]
        self.expired_waivers = [w for w in waivers if w.expired(self.today)]
        self.waived: dict[str, Waiver] = {}  # nodeid -> waiver applied
        contract = load_contract()
        self.record = RunRecord(tracked=tuple(f.pointer for f in contract.fields() if f.nullable or not f.required))
        self.tally = Tally()
        self.conformance_run = is_conformance_run(config)
        self.limits = RunLimits(settings.max_requests or self.profile.max_requests, settings.rate_limit)
        self.stopped: RunStopped | None = None
        self.artifacts: list[Path] = []
        self.leaks: list[Path] = []
        self.server: RunningServer | None = None
        if settings.embedded:
            self.server = serve_in_thread(quiet=True)
            store = self.server.app.store
            self.target = Target(
                base_url=self.server.base_url,
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

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [f"chaser target: {self.target.label}"]
        skip: tuple[str, ...] = ()
        if self.target.embedded:
            t = self.target
            lines.append(
                f"  token {t.token.masked}, sessions {','.join(t.session_ids)}, "
                f"foreign session {t.foreign_session_id}  [embedded server seed]"
            )
            skip = ("base_url", *TARGET_FIELDS)
        lines += [f"  {line}" for line in self.settings.describe(skip)]
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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        wasxfail = hasattr(report, "wasxfail")
        message = report.longreprtext
        if report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")  # (path, line, reason)
        self.tally.add(report.nodeid, report.when, report.outcome, wasxfail, message)

    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        stop = _run_stopped(call.excinfo.value if call.excinfo else None)
        if stop is not None and self.stopped is None:
            self.stopped = stop
            node.session.shouldstop = f"chaser: {stop}"

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        # Innermost wrapper: the JUnit and HTML reports are written when this resumes, and the
        # terminal summary (an outer wrapper) is printed after it.
        result = yield
        if not self.conformance_run:
            return result
        if self.stopped is not None:
            session.exitstatus = self.stopped.exit_code
        data = summary(
            self.settings, self.target, self.profile.name, self.seed, self.tally, self.record, self.stopped is not None
        )
        self.artifacts = write_artifacts(self.reports_dir, data, self.record)
        scanned = [self.reports_dir, *self._report_paths()]
        self.leaks = find_secret([p for p in scanned if p.exists()], str(self.target.token))
        if self.leaks:
            session.exitstatus = EXIT_SECRET_LEAKED
        return result

    def _report_paths(self) -> list[Path]:
        paths = [getattr(self.config.option, "xmlpath", None), getattr(self.config.option, "htmlpath", None)]
        return [Path(p).resolve() for p in paths if p]

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
            tr.write_line("reports: " + ", ".join(str(p) for p in reports))
        for path in self.leaks:
            tr.write_line(
                f"SECRET LEAK: the token was written to {path}; the run fails (exit {EXIT_SECRET_LEAKED})", red=True
            )


CONFORMANCE_DIR = ("tests", "conformance")


def is_conformance_run(config: pytest.Config) -> bool:
    """A run of the product (the default testpaths, or paths inside tests/conformance), not of selftests.

    Only such runs write reports, probe the target and scan for the token.
    """
    suite = config.rootpath.joinpath(*CONFORMANCE_DIR).resolve()
    if not config.args:
        return True
    paths = [Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve() for arg in config.args]
    return all(path == suite or suite in path.parents for path in paths)


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
        settings = resolve(cli, rootdir=config.rootpath)
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
    config.pluginmanager.register(plugin, PLUGIN_NAME)
    _ACTIVE.append(plugin)
    if plugin.conformance_run and not plugin.target.embedded and not hasattr(config, "workerinput"):
        check_reachable(plugin.target, settings, plugin.limits)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        plugin.close()
        if plugin in _ACTIVE:
            _ACTIVE.remove(plugin)


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str], session: Any) -> None:
    plugin = _plugin(session.config)
    if plugin is None or not plugin.conformance_run:
        return
    from html import escape

    rows = "".join(f"<li>{escape(line)}</li>" for line in plugin.settings.describe())
    word, line = verdict(plugin.tally.counts(), plugin.stopped is not None)
    colour = "#1a7f37" if word == "conformant" else "#cf222e"
    not_run = "".join(f"<li><code>{escape(n)}</code>: {escape(r)}</li>" for n, r in plugin.tally.not_run().items())
    prefix.append(
        f'<h2>Chaser conformance</h2><p style="color:{colour};font-weight:bold">Verdict: {escape(line)}</p>'
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


def _client(settings: Settings, target: Target, limits: RunLimits, with_token: bool) -> Iterator[ApiClient]:
    client = ApiClient(
        target.base_url,
        target.token if with_token else None,
        limits=limits,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        ca_bundle=settings.ca_bundle,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def api(settings: Settings, target: Target, limits: RunLimits) -> Iterator[ApiClient]:
    yield from _client(settings, target, limits, with_token=True)


@pytest.fixture(scope="session")
def anon_api(settings: Settings, target: Target, limits: RunLimits) -> Iterator[ApiClient]:
    yield from _client(settings, target, limits, with_token=False)


_ACTIVE: list[ChaserPlugin] = []  # the plugin of the run configured in this process


def generated_schema() -> Any:
    """The Schemathesis schema of this run, for `@schema.parametrize()` at a test module's top level.

    Built at collection (settings are resolved by then) rather than through Schemathesis'
    `from_fixture`, which reports each operation as a pytest subtest: a failing subtest under a
    passing test is two outcomes for one test, and the channels (JUnit, HTML) disagreed about it.
    """
    if not _ACTIVE:
        raise RuntimeError("the chaser-conformance plugin is not configured in this process")
    plugin = _ACTIVE[-1]
    return build_schema(
        plugin.target, plugin.profile, plugin.seed, plugin.settings.read_timeout, plugin.settings.ca_bundle
    )

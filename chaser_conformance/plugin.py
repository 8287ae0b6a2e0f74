"""The pytest plugin: options, settings resolution, the target, fixtures, header and summary.

Config flows one way: settings are resolved once in pytest_configure (a bad value
stops the run with a usage error naming the setting and its source), the embedded
reference server is started when no base URL is set, and fixtures hand out
read-only objects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest

from .checks import Advisories, Judge
from .client import ApiClient, Pacer, Target
from .generated import build_schema
from .profiles import PROFILES, Profile
from .server import RunningServer, serve_in_thread
from .settings import CONFIG_CLI, CONFIG_ENV, FIELDS, TARGET_FIELDS, Settings, SettingsError, resolve
from .spec import Contract, load_contract
from .waivers import Waiver, WaiverError, load_waivers

PLUGIN_NAME = "chaser-conformance"


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
    def __init__(self, settings: Settings, waivers: list[Waiver]) -> None:
        self.settings = settings
        self.profile: Profile = PROFILES[settings.profile]
        # A seed on every run, so any run can be replayed exactly.
        self.seed: int = settings.seed if settings.seed is not None else random.SystemRandom().randrange(2**32)
        self.today = dt.date.today()
        self.waivers = [w for w in waivers if not w.expired(self.today)]
        self.expired_waivers = [w for w in waivers if w.expired(self.today)]
        self.waived: dict[str, Waiver] = {}  # nodeid -> waiver applied
        self.waived_outcomes: dict[str, set[str]] = {}  # nodeid -> outcomes of its call reports
        self.advisories = Advisories()
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
        # Every call-phase report counts, subtests included: Schemathesis reports its failures as
        # subtests whose node id is the test's plus a "[GET /path]" suffix.
        if report.when != "call" or not hasattr(report, "wasxfail"):
            return
        nodeid = next((n for n in self.waived if report.nodeid == n or report.nodeid.startswith(n + "[")), None)
        if nodeid is not None:
            self.waived_outcomes.setdefault(nodeid, set()).add("failed" if report.skipped else report.outcome)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        tr.section("chaser conformance", sep="=")
        tr.write_line(f"target: {self.target.label}; profile {self.profile.name}; seed {self.seed}")
        if self.advisories.items:
            tr.write_line(f"advisories ({len(self.advisories.items)}; CHASER_STRICT=1 turns them into failures):")
            for advisory, count in sorted(self.advisories.items.items(), key=lambda kv: (kv[0].check, kv[0].message)):
                tr.write_line(f"  [{advisory.check}] {advisory.message} (x{count})")
        else:
            tr.write_line("advisories: none")
        for nodeid in sorted(n for n, outcomes in self.waived_outcomes.items() if outcomes == {"passed"}):
            tr.write_line(f"waiver no longer needed (the test passed): {self.waived[nodeid].label()} -> {nodeid}")
        used = set(self.waived.values())
        for waiver in self.waivers:
            if waiver not in used:
                tr.write_line(f"waiver matched no test: {waiver.label()}")
        for waiver in self.expired_waivers:
            tr.write_line(f"waiver expired and was not applied: {waiver.label()}")


@pytest.hookimpl(trylast=True)
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
    config.pluginmanager.register(ChaserPlugin(settings, waivers), PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is not None:
        plugin.close()


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
    return Judge(contract, target, _plugin(pytestconfig).advisories, strict=settings.strict)


@pytest.fixture(scope="session")
def pacer(settings: Settings) -> Pacer:
    return Pacer(settings.rate_limit)


def _client(settings: Settings, target: Target, pacer: Pacer, with_token: bool) -> Iterator[ApiClient]:
    client = ApiClient(
        target.base_url,
        target.token if with_token else None,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        pacer=pacer,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def api(settings: Settings, target: Target, pacer: Pacer) -> Iterator[ApiClient]:
    yield from _client(settings, target, pacer, with_token=True)


@pytest.fixture(scope="session")
def anon_api(settings: Settings, target: Target, pacer: Pacer) -> Iterator[ApiClient]:
    yield from _client(settings, target, pacer, with_token=False)


@pytest.fixture(scope="session")
def generated_schema(target: Target, profile: Profile, seed: int, settings: Settings) -> Any:
    return build_schema(target, profile, seed, settings.read_timeout)

"""The pytest plugin: options, configuration and fixtures.

Config flows one way: settings are resolved once in pytest_configure (a bad value stops the run
with a usage error naming the setting and its source), the run (`run.Run`: target, Judge, run
model, the end) is opened and its pytest adapter (`run.hooks.RunHooks`) registered, the pytest -n
exchange too when there are workers, and fixtures hand out read-only objects of the run.
"""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import hypothesis.configuration
import pytest

from .checks import Judge
from .checks.generated import build_schema
from .contract import exitcodes
from .contract.layout import SUITE_DIR
from .contract.spec import Contract, load_contract
from .reports.files import clear_stale, unwritable, write_verdict_only
from .reports.html import CSS
from .run.hooks import abort, report_paths
from .run.hooks import register as register_hooks
from .run.run import Run, RunAborted
from .run.shared import INPUT_KEY
from .run.waivers import WaiverError, load_waivers
from .run.xdist import XdistExchange, schedule_one_at_a_time
from .settings import CONFIG_CLI, CONFIG_ENV, EMBEDDED_CLI, FIELDS, FIELDS_BY_NAME, Settings, SettingsError, resolve
from .settings.fields import SHARED_OPTIONS
from .settings.paths import cache_dir
from .settings.profiles import Profile
from .transport.client import ApiClient, RunLimits, Target

PLUGIN_NAME = "chaser-conformance"
XDIST_PLUGIN_NAME = "chaser-conformance-xdist"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "chaser",
        "Chaser conformance (each option also CHASER_<NAME> and a chaser.toml key; "
        f"exit codes: {exitcodes.describe()})",
    )
    for f in FIELDS:
        text = f"chaser: {f.described}"
        if f.alias:
            text += f" ({f.option} is shared with {SHARED_OPTIONS[f.option]}; {f.alias} is the suite's alone)"
        how: dict[str, Any] = {"dest": f.dest, "default": None, "metavar": f.metavar}
        if f.is_flag:  # bare is true; =false, =0, =no say no
            how |= {"nargs": "?", "const": "true"}
        names = [f.option, *([f.alias] if f.alias else [])]
        try:
            group.addoption(*names, help=text, **how)
        except (ValueError, argparse.ArgumentError):
            # The short name is another plugin's (pytest-base-url owns --base-url with the same
            # dest): share it, so the two cannot disagree about the target, and keep the alias.
            if f.alias:
                group.addoption(f.alias, help=text, **how)
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


def _report_usage_error(config: pytest.Config, cli: dict[str, Any], message: str) -> None:
    """A usage error still leaves its verdict where the reports go, and no earlier run's reports."""
    field = FIELDS_BY_NAME["reports_dir"]
    raw = cli.get(field.dest) or os.environ.get(field.env, "").strip()
    directory = Path(raw).expanduser() if raw else Path(config.invocation_params.dir) / "reports"
    if unwritable(directory, []) is not None:
        return  # the reports directory is itself the bad setting: nothing is written anywhere else
    try:
        clear_stale(directory, [])
        write_verdict_only(directory, "usage error", message)
    except OSError:
        pass  # the usage error itself is what the user needs


def _parallel(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput") or bool(getattr(config.option, "numprocesses", None))


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
        if is_conformance_run(config) and not hasattr(config, "workerinput"):
            _report_usage_error(config, cli, f"chaser settings: {exc}")
        raise pytest.UsageError(f"chaser settings: {exc}") from None
    conformance_run = is_conformance_run(config)
    # Under pytest -n, a worker's run gets the controller's seed, target and request budget.
    shared = getattr(config, "workerinput", {}).get(INPUT_KEY)
    run = Run(settings, waivers, Path(config.invocation_params.dir), shared)
    unusable = unwritable(run.reports_dir, report_paths(config)) if conformance_run and not shared else None
    if unusable is not None:  # before anything starts (a token command, a server): one line, and the
        # verdict in what can be written (nothing when the reports directory is not one)
        word = "usage error" if run.reports_dir.is_dir() else None
        abort(run.reports_dir, RunAborted(word, f"chaser settings: {unusable}", exitcodes.USAGE))
    try:
        run.open()
    except RunAborted as aborted:
        abort(run.reports_dir, aborted)
    if run.signal is not None and conformance_run and not shared:
        # Interrupted while it started: each test is reported as not run, serially (no worker starts).
        config.option.dist, config.option.tx, config.option.numprocesses = "no", [], 0
    if conformance_run:  # Hypothesis' tables go to the user's cache, not into the directory the run is started in
        hypothesis.configuration.set_hypothesis_home_dir(cache_dir() / "hypothesis")
    if conformance_run and not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(run.reports_dir / "junit.xml")
    if conformance_run and hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(run.reports_dir / "report.html")
        config.option.self_contained_html = True
    if conformance_run and hasattr(config.option, "css"):
        config.option.css = [*(config.option.css or []), str(CSS)]
    register_hooks(config, run, conformance_run, PLUGIN_NAME)
    if _parallel(config):
        config.pluginmanager.register(XdistExchange(config, run, conformance_run), XDIST_PLUGIN_NAME)
    _ACTIVE.append(run)
    if conformance_run:
        schedule_one_at_a_time(config.option)
    if conformance_run and not hasattr(config, "workerinput"):
        try:
            run.check_target()
        except RunAborted as aborted:
            abort(run.reports_dir, aborted)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is not None and plugin.run in _ACTIVE:
        _ACTIVE.remove(plugin.run)
    if hasattr(config, "workerinput"):
        gc.freeze()


def run_of(config: pytest.Config) -> Run:
    """The run of this pytest process (its target, Judge, limits), for fixtures and conftest hooks."""
    return config.pluginmanager.get_plugin(PLUGIN_NAME).run


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return run_of(pytestconfig).settings


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return run_of(pytestconfig).profile


@pytest.fixture(scope="session")
def seed(pytestconfig: pytest.Config) -> int:
    return run_of(pytestconfig).seed


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return run_of(pytestconfig).target


@pytest.fixture(scope="session")
def judge(pytestconfig: pytest.Config) -> Judge:
    return run_of(pytestconfig).judge


@pytest.fixture(scope="session")
def limits(pytestconfig: pytest.Config) -> RunLimits:
    return run_of(pytestconfig).limits  # type: ignore[return-value]


@pytest.fixture(scope="session")
def api(pytestconfig: pytest.Config) -> Iterator[ApiClient]:
    with closing(run_of(pytestconfig).api_client(with_token=True)) as client:
        yield client


@pytest.fixture(scope="session")
def anon_api(pytestconfig: pytest.Config) -> Iterator[ApiClient]:
    with closing(run_of(pytestconfig).api_client(with_token=False)) as client:
        yield client


_ACTIVE: list[Run] = []  # the run configured in this process


def _active() -> Run:
    if not _ACTIVE:
        raise RuntimeError("the chaser-conformance plugin is not configured in this process")
    return _ACTIVE[-1]


def generated_schema(shard: int = 0) -> Any:
    """The Schemathesis schema of this run, for `@schema.parametrize()` at a test module's top level.

    Built at collection (settings are resolved by then) rather than through Schemathesis'
    `from_fixture`, which reports each operation as a pytest subtest: a failing subtest under a
    passing test is two outcomes for one test, and the channels (JUnit, HTML) disagreed about it.
    """
    run = _active()
    return build_schema(run.target, run.profile, run.seed, run.settings.read_timeout, run.settings.ca_bundle, shard)


def generated_shards() -> int:
    return _active().profile.shards

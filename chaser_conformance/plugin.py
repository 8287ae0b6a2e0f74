"""The pytest plugin: options, settings resolution, the target, fixtures, report header.

Config flows one way: settings are resolved once in pytest_configure (a bad value
stops the run with a usage error naming the setting and its source), the embedded
reference server is started when no base URL is set, and fixtures hand out
read-only objects.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from .client import ApiClient, Pacer, Target
from .server import RunningServer, serve_in_thread
from .settings import CONFIG_CLI, CONFIG_ENV, FIELDS, TARGET_FIELDS, Settings, SettingsError, resolve
from .spec import Contract, load_contract


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
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: RunningServer | None = None
        if settings.embedded:
            self.server = serve_in_thread()
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
        return lines + [f"  {line}" for line in self.settings.describe(skip)]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Known sessions are test parameters, so each one is its own named test.
        if "known_session_id" in metafunc.fixturenames:
            metafunc.parametrize("known_session_id", self.target.session_ids, ids=list(self.target.session_ids))


PLUGIN_NAME = "chaser-conformance"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help or config.option.version:
        return
    cli = {f.dest: config.getoption(f.dest, None) for f in FIELDS}
    cli["chaser_config"] = config.getoption("chaser_config")
    try:
        settings = resolve(cli, rootdir=config.rootpath)
    except SettingsError as exc:
        raise pytest.UsageError(f"chaser settings: {exc}") from None
    config.pluginmanager.register(ChaserPlugin(settings), PLUGIN_NAME)


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
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return _plugin(pytestconfig).target


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
def pacer(settings: Settings) -> Pacer:
    return Pacer(settings.rate_limit)


@pytest.fixture(scope="session")
def api(settings: Settings, target: Target, pacer: Pacer) -> Iterator[ApiClient]:
    yield from _client(settings, target, pacer, with_token=True)


@pytest.fixture(scope="session")
def anon_api(settings: Settings, target: Target, pacer: Pacer) -> Iterator[ApiClient]:
    yield from _client(settings, target, pacer, with_token=False)

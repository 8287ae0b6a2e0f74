"""Resolution: each field's value from the command line, the environment, a config file or its
default, with its source; then the checks that need several settings at once."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .fields import FIELDS, FIELDS_BY_NAME, REQUIRED_FIELDS, TARGET_FIELDS, Field, SettingsError, Source
from .paths import from_here
from .redact import redact, shown
from .secret import Secret
from .urls import is_loopback

CONFIG_FILE_NAME = "chaser.toml"
CONFIG_ENV = "CHASER_CONFIG"
CONFIG_CLI = "--chaser-config"
# Command line only: the run tests the embedded reference server whatever the environment or a
# config file names (what `tox -e suite` and `chaser-conformance --embedded` promise).
EMBEDDED_CLI = "--embedded"


@dataclass(frozen=True)
class Settings:
    """The resolved values; each field's default lives in FIELDS alone (resolve() passes them all)."""

    base_url: str | None
    api_token: Secret | None
    token_command: Secret | None
    token_command_timeout: float
    session_id: tuple[str, ...]
    foreign_session_id: str | None
    profile: str
    connect_timeout: float
    read_timeout: float
    exchange_deadline: float
    retry_after_total: float | None
    proxy: str | None
    rate_limit: float
    waivers: Path | None
    strict: bool
    seed: int | None
    reports_dir: Path | None
    max_requests: int | None
    ca_bundle: Path | None
    allow_insecure_http: bool
    rules: tuple[str, ...]  # per-rule levels, "rule=level" (rules.py)
    config_file: Path | None = None
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    ignored: tuple[str, ...] = ()  # target settings set but not used (an embedded-only run)
    # Optional variables set but empty, read as unset (the header names them).
    empty: tuple[str, ...] = field(default=(), compare=False)

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    def source_of(self, name: str) -> Source:
        return self.sources.get(name, Source("default", ""))

    def describe(self, used: Mapping[str, tuple[Any, str]] | None = None) -> list[str]:
        """One line per setting with the value the run used and where it came from, token masked.

        `used` gives values the run decided itself (the embedded server's token and sessions, a
        random seed) as (value, source), so no line says '-' for a value that was in fact used.
        """
        lines = []
        for f in FIELDS:
            value, source = getattr(self, f.name), str(self.source_of(f.name))
            if used and f.name in used:
                value, source = used[f.name]
            if isinstance(value, Secret):
                shown = value.masked
            elif isinstance(value, tuple):
                shown = ",".join(value) or "-"
            elif isinstance(value, Path):
                shown = str(from_here(value))
            else:
                shown = "-" if value is None else str(value)
            lines.append(f"{f.name} = {shown}  [{source}]")
        return lines


def _label(f: Field, source: Source) -> str:
    if source.kind == "cli":
        return f"{f.option} (command line)"
    if source.kind == "env":
        return f"{f.env} (environment)"
    return f"{f.name!r} in {_path_text(source.where)}"


def _path_text(path: Path | str) -> str:
    # Bare when it reads well; quoted (on one line, redacted) when it holds anything odd.
    text = str(path)
    return text if text.isprintable() and shown(text) == repr(text) else shown(text)


def read_toml(path: Path) -> dict[str, Any]:
    """The table in a TOML file. ValueError says why not, in words that follow the file's name
    ("... does not exist"), on one line, and never quotes the file's text (it may hold a token)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError("does not exist") from None
    except IsADirectoryError:
        raise ValueError("is a directory, not a file") from None
    except (OSError, ValueError) as exc:  # no permission, a NUL in the name, ...
        raise ValueError(f"cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})") from None
    try:
        text = data.decode("utf-8-sig")  # a leading BOM, as some Windows editors write, is accepted
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); TOML files are UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not valid TOML: {exc}") from None
    except (ValueError, RecursionError):  # tomllib's int() past 4300 digits, or arrays nested thousands deep
        raise ValueError("is not valid TOML: a number too long or arrays nested too deeply") from None


def _empty_is_unset(name: str, env: Mapping[str, str]) -> bool:
    """An optional variable set to nothing is read as unset: a CI secret store gives an empty string
    for a secret that does not exist. The ones that choose the target (REQUIRED_FIELDS) stay errors,
    since reading them as unset could switch a run to the embedded server and pass having tested nothing."""
    return name not in REQUIRED_FIELDS and name in env and not env[name].strip()


def _config_path(raw: str, named_by: str) -> Path:
    if not raw.strip():
        raise SettingsError(f"{named_by} is set but empty; unset it to use ./{CONFIG_FILE_NAME} if present")
    text = raw.strip()
    if not text.isprintable():
        raise SettingsError(f"{named_by}: {shown(text)} contains control characters or other unprintable ones")
    try:
        return Path(text).expanduser()
    except RuntimeError:  # '~user' of no such user
        raise SettingsError(f"{named_by}: {shown(text)}: '~' cannot be expanded here") from None


def _find_config(cli: Mapping[str, Any], env: Mapping[str, str], rootdir: Path) -> tuple[Path | None, str]:
    if cli.get("chaser_config") is not None:
        named_by = f"{CONFIG_CLI} (command line)"
        return _config_path(str(cli["chaser_config"]), named_by), named_by
    if env.get(CONFIG_ENV) is not None and env[CONFIG_ENV].strip():
        named_by = f"{CONFIG_ENV} (environment)"
        return _config_path(env[CONFIG_ENV], named_by), named_by
    default = rootdir / CONFIG_FILE_NAME
    return (default, "") if default.is_file() else (None, "")


def _read_config(path: Path, named_by: str) -> dict[str, Any]:
    try:
        data = read_toml(path)
    except ValueError as exc:
        raise SettingsError(f"{named_by + ': ' if named_by else ''}config file {shown(path)} {exc}") from None
    for key in data:
        if key not in FIELDS_BY_NAME:
            close = difflib.get_close_matches(key, FIELDS_BY_NAME, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(FIELDS_BY_NAME)
            raise SettingsError(f"config file {shown(path)}: unknown setting {shown(key)}{hint}; known: {known}")
    return data


def resolve(
    cli: Mapping[str, Any], env: Mapping[str, str] | None = None, rootdir: Path | None = None, embedded: bool = False
) -> Settings:
    """Resolve settings from command-line values (by option dest), environment and config file.

    `embedded`: the run tests the embedded reference server. No config file is read, and target
    settings from the environment are listed as ignored; the others (seed, profile, strict,
    reports directory, ...) apply as usual. A target on the command line contradicts it.
    """
    env = os.environ if env is None else env
    rootdir = Path.cwd() if rootdir is None else rootdir
    ignored: list[str] = []
    empty = sorted(name for name in (CONFIG_ENV, *(f.env for f in FIELDS)) if _empty_is_unset(name, env))
    env = {k: v for k, v in env.items() if k not in empty}
    if embedded:
        given = [FIELDS_BY_NAME[n].option for n in ("base_url", *TARGET_FIELDS) if cli.get(FIELDS_BY_NAME[n].dest)]
        if given:
            raise SettingsError(f"{EMBEDDED_CLI} tests the embedded reference server; drop {', '.join(given)}")
        targeting = {FIELDS_BY_NAME[n].env for n in ("base_url", *TARGET_FIELDS)}
        ignored = sorted(k for k in targeting | {CONFIG_ENV} if k in env)
        env = {k: v for k, v in env.items() if k not in targeting}
        config_path, file_values = None, {}
    else:
        config_path, named_by = _find_config(cli, env, rootdir)
        file_values = _read_config(config_path, named_by) if config_path else {}

    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    blank: dict[str, str] = {}  # set but empty where that is not read as unset (name: label), named together
    for f in FIELDS:
        candidates = (
            (cli.get(f.dest), Source("cli", f.option)),
            (env.get(f.env), Source("env", f.env)),
            (file_values.get(f.name), Source("file", str(config_path))),
        )
        raw, source = next(((r, s) for r, s in candidates if r is not None), (None, None))
        if source is None:
            values[f.name] = f.default
            continue
        if isinstance(raw, str) and not raw.strip():
            # A target setting that is empty is usually a CI secret that did not resolve; treating
            # it as unset could silently switch the target to the embedded server.
            blank[f.name] = _label(f, source)
            values[f.name] = f.default
            continue
        try:
            values[f.name] = f.parse(raw, source)
        except ValueError as exc:
            raise SettingsError(f"{_label(f, source)}: {exc}") from None
        sources[f.name] = source

    settings = Settings(
        **values,
        config_file=config_path,
        sources=MappingProxyType(sources),
        ignored=tuple(ignored),
        empty=tuple(empty),
    )
    _check_required(settings, blank)
    _check_combination(settings)
    return settings


def _check_required(s: Settings, blank: dict[str, str]) -> None:
    """Every required setting that is set but empty or missing, named in one error: a CI job whose
    secrets did not arrive is fixed in one round trip, not one per setting."""
    problems, missing = [], []
    if blank:
        ci = any(label.endswith("(environment)") for label in blank.values())
        problems.append(
            f"{', '.join(blank.values())} {'is' if len(blank) == 1 else 'are'} set but empty"
            + (
                " (a CI secret the job cannot see arrives empty: check its name, and that the job names "
                "the environment of an environment secret)"
                if ci
                else ""
            )
        )
    if s.base_url is not None:
        needs = []
        if s.api_token is None and s.token_command is None and not {"api_token", "token_command"} & set(blank):
            missing.append("api_token")
            needs.append(
                "a token: set CHASER_API_TOKEN (or --token), or CHASER_TOKEN_COMMAND (or --token-command) "
                "to a command that prints one"
            )
        if not s.session_id and "session_id" not in blank:
            missing.append("session_id")
            needs.append(
                "at least one session that exists in the token's account: set CHASER_SESSION_ID "
                "(or --session-id), comma-separated"
            )
        if needs:
            label = _label(FIELDS_BY_NAME["base_url"], s.source_of("base_url"))
            problems.append(f"base URL {redact(s.base_url)} from {label} needs " + "; and ".join(needs))
    if problems:
        raise SettingsError("; ".join(problems), tuple(missing))


def _check_combination(s: Settings) -> None:
    def label(name: str) -> str:
        return _label(FIELDS_BY_NAME[name], s.source_of(name))

    if s.embedded:
        # A token or ids without a base URL almost always means the URL variable was
        # misnamed or empty; running the embedded server then would be a green build
        # that tested nothing of the user's.
        stray = [label(n) for n in TARGET_FIELDS if n in s.sources]
        if stray:
            raise SettingsError(
                f"{', '.join(stray)} given but no base URL: set CHASER_BASE_URL (or --base-url) "
                "to test a deployment, or unset them to test the embedded reference server"
            )
        return
    target = f"base URL {redact(s.base_url or '')} from {label('base_url')}"
    if s.api_token is not None and s.token_command is not None:
        raise SettingsError(
            f"{label('api_token')} and {label('token_command')} are both set: give one, a fixed token or "
            "the command that prints one"
        )
    host = urlsplit(s.base_url).hostname or ""
    if urlsplit(s.base_url).scheme == "http" and not is_loopback(host) and not s.allow_insecure_http:
        raise SettingsError(
            f"{target} is plain http:// to a host that is not loopback: the token would cross the network "
            "unencrypted. Use https://, or set CHASER_ALLOW_INSECURE_HTTP=1 if you mean it"
        )
    if s.foreign_session_id is not None and s.foreign_session_id in s.session_id:
        raise SettingsError(
            f"{label('foreign_session_id')}: {shown(s.foreign_session_id)} is also listed as a session "
            f"of the account under test in {label('session_id')}"
        )

"""One Settings object, resolved once: CLI > environment > config file > default.

Every setting is a field, a config-file key and an environment variable at once
(`FIELDS`), and every resolved value remembers where it came from, so a usage
error and the report header can both name the source.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .secret import Secret

CONFIG_FILE_NAME = "chaser.toml"
CONFIG_ENV = "CHASER_CONFIG"
CONFIG_CLI = "--chaser-config"
# Command line only: the run tests the embedded reference server whatever the environment or a
# config file names (what `tox -e suite` and `chaser-conformance --embedded` promise).
EMBEDDED_CLI = "--chaser-embedded"
PROFILES = ("quick", "ci", "deep", "soak")


class SettingsError(ValueError):
    """A bad setting; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Source:
    kind: str  # "cli", "env", "file", "default"
    where: str  # the option, variable or file that gave the value

    def __str__(self) -> str:
        return self.kind if self.kind == "default" else f"{self.kind} {self.where}"


# --- parsers: (raw value, source) -> value; raise ValueError with a short reason ---


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected a string, got {type(raw).__name__}")
    return raw.strip()


def _base_url(raw: Any, _: Source) -> str:
    text = _text(raw)
    if any(ch.isspace() for ch in text):
        raise ValueError(f"{text!r} contains white space")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError(f"{text!r} has no host")
    try:
        port_zero = parts.port == 0
    except ValueError:
        port_zero = True
    if port_zero:
        raise ValueError(f"{text!r} has an invalid port")
    if parts.query or parts.fragment:
        raise ValueError(f"{text!r} must not have a query or a fragment")
    if parts.username or parts.password:
        raise ValueError("credentials belong in the token setting, not in the URL")
    return text.rstrip("/")


def _token(raw: Any, _: Source) -> Secret:
    text = _text(raw)
    if text.lower().startswith("bearer "):
        raise ValueError("give the token alone; the suite adds the 'Bearer ' scheme itself")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        # Never echo the value: it is a secret even when it is malformed.
        raise ValueError("the token contains white space or control characters")
    return Secret(text)


def _one_id(text: str) -> str:
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"session id {text!r} contains control characters")
    return text


def _session_ids(raw: Any, _: Source) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else _text(raw).split(",")
    ids = tuple(_one_id(text) for text in map(_text, items) if text)
    if not ids:
        raise ValueError("no session id given")
    if len(set(ids)) != len(ids):
        raise ValueError("the same session id is listed twice")
    return ids


def _one_session_id(raw: Any, _: Source) -> str:
    return _one_id(_text(raw))


def _profile(raw: Any, _: Source) -> str:
    text = _text(raw)
    if text not in PROFILES:
        raise ValueError(f"{text!r} is not one of {', '.join(PROFILES)}")
    return text


def _number(raw: Any, *, positive: bool) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"expected a number, got {type(raw).__name__}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{raw!r} must be a {'positive' if positive else 'non-negative'} number")
    return value


def _seconds(raw: Any, _: Source) -> float:
    return _number(raw, positive=True)


def _rate(raw: Any, _: Source) -> float:
    return _number(raw, positive=False)


def _flag(raw: Any, _: Source) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{raw!r} is not one of true, false, 1, 0, yes, no")


def _seed(raw: Any, _: Source) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError(f"expected a whole number, got {type(raw).__name__}")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{raw!r} must not be negative")
    return value


def _count(raw: Any, source: Source) -> int:
    value = _seed(raw, source)
    if value < 1:
        raise ValueError(f"{raw!r} must be at least 1")
    return value


def _directory(raw: Any, source: Source) -> Path:
    path = Path(_text(raw)).expanduser()
    if source.kind == "file" and not path.is_absolute():
        path = Path(source.where).parent / path
    if path.exists() and not path.is_dir():
        raise ValueError(f"{str(path)!r} exists and is not a directory")
    return path.resolve()


def _file(raw: Any, source: Source) -> Path:
    path = Path(_text(raw)).expanduser()
    if source.kind == "file" and not path.is_absolute():
        path = Path(source.where).parent / path  # relative to the config file that names it
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a file")
    return path.resolve()


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[Any, Source], Any]
    default: Any
    help: str
    cli: str = ""  # defaults to --chaser-<name>

    @property
    def env(self) -> str:
        return f"CHASER_{self.name.upper()}"

    @property
    def option(self) -> str:
        return self.cli or "--chaser-" + self.name.replace("_", "-")

    @property
    def alias(self) -> str:
        return "--chaser-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return self.option.lstrip("-").replace("-", "_")


FIELDS: tuple[Field, ...] = (
    # --base-url is also pytest-base-url's option; the plugin shares its dest (see plugin.py).
    Field("base_url", _base_url, None, "target base URL; unset = embedded reference server", "--base-url"),
    Field("api_token", _token, None, "bearer token of the account under test", "--token"),
    Field("session_id", _session_ids, (), "comma-separated ids of sessions that exist in that account", "--session-id"),
    Field(
        "foreign_session_id",
        _one_session_id,
        None,
        "id of a session that exists in a different account",
        "--foreign-session-id",
    ),
    Field("profile", _profile, "quick", f"test depth: {', '.join(PROFILES)}"),
    Field("connect_timeout", _seconds, 5.0, "seconds to wait for a connection"),
    Field("read_timeout", _seconds, 10.0, "seconds to wait for a response"),
    Field("rate_limit", _rate, 0.0, "maximum requests per second; 0 = unlimited"),
    Field("waivers", _file, None, "file of known deviations (TOML, see README)"),
    Field("strict", _flag, False, "treat advisories (spec gaps such as an undocumented 401) as failures"),
    Field("seed", _seed, None, "seed for generated cases; printed on every run so a run can be replayed"),
    Field("reports_dir", _directory, None, "where a run writes its reports (default: reports/ in the project)"),
    Field("max_requests", _count, None, "cap on requests per run (default: per profile)"),
    Field("ca_bundle", _file, None, "CA bundle (PEM) to verify the target's TLS certificate with"),
    Field("allow_insecure_http", _flag, False, "allow sending the token over plain http:// to a non-loopback host"),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
TARGET_FIELDS = ("api_token", "session_id", "foreign_session_id")


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    api_token: Secret | None = None
    session_id: tuple[str, ...] = ()
    foreign_session_id: str | None = None
    profile: str = "quick"
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    rate_limit: float = 0.0
    waivers: Path | None = None
    strict: bool = False
    seed: int | None = None
    reports_dir: Path | None = None
    max_requests: int | None = None
    ca_bundle: Path | None = None
    allow_insecure_http: bool = False
    config_file: Path | None = None
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)
    ignored: tuple[str, ...] = ()  # target settings set but not used (an embedded-only run)

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
            else:
                shown = "-" if value is None else str(value)
            lines.append(f"{f.name} = {shown}  [{source}]")
        return lines


def _label(f: Field, source: Source) -> str:
    if source.kind == "cli":
        return f"{f.option} (command line)"
    if source.kind == "env":
        return f"{f.env} (environment)"
    return f"{f.name!r} in {source.where}"


def _find_config(cli: Mapping[str, Any], env: Mapping[str, str], rootdir: Path) -> tuple[Path | None, str]:
    if cli.get("chaser_config"):
        return Path(cli["chaser_config"]).expanduser(), f"{CONFIG_CLI} (command line)"
    if env.get(CONFIG_ENV, "").strip():
        return Path(env[CONFIG_ENV].strip()).expanduser(), f"{CONFIG_ENV} (environment)"
    default = rootdir / CONFIG_FILE_NAME
    return (default, "") if default.is_file() else (None, "")


def _read_config(path: Path, named_by: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"{named_by}: config file {str(path)!r} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {str(path)!r}: {exc}") from None
    for key in data:
        if key not in FIELDS_BY_NAME:
            close = difflib.get_close_matches(key, FIELDS_BY_NAME, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(FIELDS_BY_NAME)
            raise SettingsError(f"config file {str(path)!r}: unknown setting {key!r}{hint}; known: {known}")
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
            # An empty variable is usually a CI secret that did not resolve; treating it
            # as unset could silently switch the target to the embedded server.
            raise SettingsError(f"{_label(f, source)} is set but empty; unset it to use the default")
        try:
            values[f.name] = f.parse(raw, source)
        except ValueError as exc:
            raise SettingsError(f"{_label(f, source)}: {exc}") from None
        sources[f.name] = source

    settings = Settings(**values, config_file=config_path, sources=MappingProxyType(sources), ignored=tuple(ignored))
    _check_combination(settings)
    return settings


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    target = f"base URL {s.base_url} from {label('base_url')}"
    if s.api_token is None:
        raise SettingsError(f"{target} needs a token: set CHASER_API_TOKEN (or --token)")
    if not s.session_id:
        raise SettingsError(
            f"{target} needs at least one session that exists in the token's account: "
            "set CHASER_SESSION_ID (or --session-id), comma-separated"
        )
    host = urlsplit(s.base_url).hostname or ""
    if urlsplit(s.base_url).scheme == "http" and not _is_loopback(host) and not s.allow_insecure_http:
        raise SettingsError(
            f"{target} is plain http:// to a host that is not loopback: the token would cross the network "
            "unencrypted. Use https://, or set CHASER_ALLOW_INSECURE_HTTP=1 if you mean it"
        )
    if s.foreign_session_id is not None and s.foreign_session_id in s.session_id:
        raise SettingsError(
            f"{label('foreign_session_id')}: {s.foreign_session_id!r} is also listed as a session "
            f"of the account under test in {label('session_id')}"
        )

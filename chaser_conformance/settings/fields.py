"""Every setting as one `Field`: its name, config-file key, environment variable, command-line
option, parser and default, in one place. A parser takes (raw value, source) and raises ValueError
with a short reason; it never echoes a secret."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..profiles import PROFILES
from ..secret import Secret


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
    Field(
        "profile",
        _profile,
        next(iter(PROFILES)),
        f"test depth: {', '.join(PROFILES)} (default: {next(iter(PROFILES))})",
    ),
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

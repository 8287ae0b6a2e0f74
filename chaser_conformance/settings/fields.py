"""Every setting as one `Field`: its name, config-file key, environment variable, command-line
option, parser and default, in one place. A parser takes (raw value, source) and raises ValueError
with a short reason on one line; it never echoes a secret: the token is never shown, and any other
value is shown through `shown()`, which hides URL credentials, query values and fragments."""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..contract import rules as rules_table
from .paths import _ca_bundle, _directory, _file
from .profiles import PROFILES
from .redact import shown, unprintable
from .secret import Secret
from .source import SettingsError as SettingsError
from .source import Source, _longer, _text
from .urls import _base_url, _proxy

# Options another pytest plugin also registers: pytest-base-url (used by pytest-playwright and
# others) owns --base-url; the suite shares it (same dest) and also answers to --chaser-base-url.
SHARED_OPTIONS = {"--base-url": "pytest-base-url"}


# --- parsers: (raw value, source) -> value; raise ValueError with a short reason ---


# Bounds of what a target's settings can be, with room to spare: each is sent in every request (the
# base URL, the token) or read by the pre-flight and each test of a known session (the ids).
TOKEN_MAX_CHARS = 16384  # servers refuse a header field past 8 to 16 KiB (Apache, nginx, Node.js)
ID_MAX_CHARS = 1000
IDS_MAX = 100


# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token. Every real bearer token (a JWT, opaque hex,
# base64 or base64url) fits; anything else either cannot go in a header at all (non-Latin-1 text
# crashes the HTTP stack) or would be sent and then blamed on the server as "wrong or expired".
_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*", re.ASCII)
TOKEN_ALPHABET = "A-Z a-z 0-9 - . _ ~ + / and '=' at the end (RFC 6750 b64token)"


def _token_problem(text: str) -> str:
    """What is wrong with a token, never what it is: the kind and position of the first bad character."""
    for index, ch in enumerate(text, start=1):
        at = f"(character {index} of {len(text)})"
        if ch.isspace():
            return f"the token contains white space {at}"
        if "\udc80" <= ch <= "\udcff":  # how Python reads bytes in the environment that are not UTF-8
            return f"the token contains a byte that is not UTF-8 {at}"
        if unprintable(ch):
            return f"the token contains a control or invisible character {at}"
        if not ch.isascii():
            return f"the token contains a non-ASCII character {at}; a bearer token is made of {TOKEN_ALPHABET}"
        if ch == "=" and text[index - 1 :].strip("="):
            return f"the token has '=' before its end {at}; only trailing padding may be '='"
        if not _B64TOKEN.fullmatch(ch) and ch != "=":
            # One punctuation character of a token that cannot be sent anyway: a quote or a comma
            # is the usual paste mistake, and naming it is what lets the user fix it.
            return f"the token contains {ch!r} {at}; a bearer token is made of {TOKEN_ALPHABET}"
    return f"a bearer token is made of {TOKEN_ALPHABET}"  # only '=' characters


def _token(raw: Any, _: Source) -> Secret:
    text = _text(raw)
    _longer(text, "a token", TOKEN_MAX_CHARS)
    if re.match(r"(?i)bearer\s", text):
        raise ValueError("give the token alone; the suite adds the 'Bearer ' scheme itself")
    if not _B64TOKEN.fullmatch(text):
        raise ValueError(_token_problem(text))  # never the value: it is a secret even when malformed
    return Secret(text)


def _command(raw: Any, _: Source) -> Secret:
    # A Secret: a command line may carry a client secret in its arguments, so no report shows it.
    try:
        if not shlex.split(text := _text(raw)) or not text.isprintable():
            raise ValueError("no command given" if text.isprintable() else "control characters in the command")
    except ValueError as exc:  # shlex says what is wrong ("No closing quotation"), never the text
        raise ValueError(f"not a command line: {exc}") from None
    return Secret(text)


def _one_id(text: str, what: str = "session id") -> str:
    # Any printable text can go in the path once percent-encoded; a control character cannot be
    # meant, and a lone surrogate (bytes that were not UTF-8) cannot be encoded at all.
    _longer(text, f"{what} {shown(text)}", ID_MAX_CHARS)
    if any(unprintable(ch) for ch in text):
        raise ValueError(f"{what} {shown(text)} contains control characters or other unprintable ones")
    return text


def _session_ids(raw: Any, _: Source) -> tuple[str, ...]:
    array = isinstance(raw, list)
    items = raw if array else _text(raw).split(",")
    texts = []
    for number, item in enumerate(items, start=1):
        try:
            texts.append(_text(item))
        except ValueError as exc:
            raise ValueError(f"session id #{number}: {exc}") from None
    if not any(texts):
        raise ValueError("no session id given")
    if len(texts) > IDS_MAX:
        raise ValueError(f"{len(texts):,} session ids; at most {IDS_MAX} (the pre-flight reads each one)")
    for number, text in enumerate(texts, start=1):
        if not text:
            hint = "an empty string in the array" if array else "two commas in a row, or one at an end"
            raise ValueError(f"session id #{number} of {len(texts)} is empty ({hint})")
        _one_id(text, f"session id #{number}")
    if len(set(texts)) != len(texts):
        raise ValueError("the same session id is listed twice")
    return tuple(texts)


def _one_session_id(raw: Any, _: Source) -> str:
    return _one_id(_text(raw))


def _profile(raw: Any, _: Source) -> str:
    text = _text(raw)
    if text not in PROFILES:
        raise ValueError(f"{shown(text)} is not one of {', '.join(PROFILES)}")
    return text


# Python's float() and int() also read 'nan', 'inf', '1_000' and digits of other scripts; a setting
# is plain ASCII decimal.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
WHOLE_MAX = 2**63 - 1  # TOML's largest integer, so that a value means the same from any source
SECONDS_MAX = 3600.0  # a socket timeout far beyond this overflows the C types under it
RATE_MIN = 0.001  # requests per second; below it the pause between requests overflows sleep()


def _decimal(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"expected a number, got {type(raw).__name__}")
    if isinstance(raw, str) and not _DECIMAL.fullmatch(raw.strip()):
        raise ValueError(f"{shown(raw)} is not a number")
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond any float
        value = math.inf
    if math.isnan(value):  # TOML has nan
        raise ValueError(f"{shown(raw)} is not a number")
    return value


def _seconds(raw: Any, _: Source) -> float:
    value = _decimal(raw)
    if not 0 < value <= SECONDS_MAX:
        raise ValueError(f"{shown(raw)} must be a positive number of seconds, at most {SECONDS_MAX:g}")
    return value


def _rate(raw: Any, _: Source) -> float:
    value = _decimal(raw)
    if value < 0 or math.isinf(value) or 0 < value < RATE_MIN:
        raise ValueError(
            f"{shown(raw)} must be a non-negative number: 0 (unlimited) or at least {RATE_MIN:g} requests per second"
        )
    return value


def _whole(raw: Any, least: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError(f"expected a whole number, got {type(raw).__name__}")
    value = raw
    if isinstance(raw, str):
        text = raw.strip()
        if not _WHOLE.fullmatch(text):
            raise ValueError(f"{shown(raw)} is not a whole number")
        # Compare lengths first: int() refuses more than 4300 digits with advice meant for programmers.
        digits = text.lstrip("+-").lstrip("0")
        value = int(text) if len(digits) <= 20 else (-WHOLE_MAX if text.startswith("-") else WHOLE_MAX) * 2
    if value < least:
        raise ValueError(f"{shown(raw)} must be at least {least}" if least else f"{shown(raw)} must not be negative")
    if value > WHOLE_MAX:
        raise ValueError(f"{shown(raw)} must be at most {WHOLE_MAX}")
    return value


def _seed(raw: Any, _: Source) -> int:
    return _whole(raw, least=0)


def _count(raw: Any, _: Source) -> int:
    return _whole(raw, least=1)


def _rules(raw: Any, _: Source) -> tuple[str, ...]:
    """Per-rule levels: `rule=level,...` (a variable or option) or a [rules] table in the file."""
    if isinstance(raw, dict):
        pairs = [(str(k), v if isinstance(v, str) else repr(v)) for k, v in raw.items()]
    elif isinstance(raw, str):
        pairs = []
        for item in filter(None, (part.strip() for part in _text(raw).split(","))):
            name, sep, level = item.rpartition("=")
            if not sep:
                raise ValueError(f"{shown(item)} is not rule=level (levels: {', '.join(rules_table.LEVELS)})")
            pairs.append((name, level))
    else:
        raise ValueError(f"expected rule=level,... or a [rules] table, got {type(raw).__name__}")
    levels = rules_table.parse_levels(pairs, show=shown)
    return tuple(f"{name}={level}" for name, level in sorted(levels.items()))


def _flag(raw: Any, _: Source) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in (0, 1):
        return bool(raw)  # `strict = 1` in a file, as the variable is written
    if not isinstance(raw, str):
        raise ValueError(f"expected true or false, got {type(raw).__name__}")
    text = _text(raw).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{shown(raw)} is not one of true, false, 1, 0, yes, no")


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
    def alias(self) -> str | None:
        """A second name only where another plugin claims the first (SHARED_OPTIONS), so that the
        suite's option can always be named without doubt."""
        return "--chaser-" + self.name.replace("_", "-") if self.option in SHARED_OPTIONS else None

    @property
    def dest(self) -> str:
        return self.option.lstrip("-").replace("-", "_")

    @property
    def is_flag(self) -> bool:
        """true or false: its option may be given bare (`--chaser-strict` is `--chaser-strict=true`)."""
        return self.parse is _flag

    @property
    def metavar(self) -> str:
        """What its option takes, as --help shows it."""
        return "true|false" if self.is_flag else self.name.upper()

    @property
    def described(self) -> str:
        """Its --help text, with its variable: the same in pytest's --help and the command's own."""
        return f"{self.help}{'; bare: true' if self.is_flag else ''} [{self.env}]"


FIELDS: tuple[Field, ...] = (
    # --base-url is also pytest-base-url's option; the plugin shares its dest (see plugin.py).
    Field("base_url", _base_url, None, "target base URL; unset = embedded reference server", "--base-url"),
    Field("api_token", _token, None, "bearer token of the account under test", "--token"),
    Field("token_command", _command, None, "command that prints a token (when it expires too)", "--token-command"),
    Field(
        "token_command_timeout",
        _seconds,
        60.0,
        "seconds the token command may take before it is ended, with all it started (default: 60)",
    ),
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
    Field("connect_timeout", _seconds, 5.0, "seconds to wait for a connection (default: 5)"),
    Field("read_timeout", _seconds, 10.0, "seconds to wait for a response (default: 10)"),
    Field(
        "exchange_deadline",
        _seconds,
        30.0,
        "seconds one exchange may take as a whole, connection, answer and body (default: 30); "
        "a server that trickles past it did not answer in time",
    ),
    Field("rate_limit", _rate, 0.0, "maximum requests per second; 0 = unlimited"),
    Field(
        "retry_after_total",
        _seconds,
        None,
        "seconds a run may wait in all for the Retry-After of 429 answers (default: per profile, "
        + ", ".join(f"{name} {profile.retry_after_total:g}" for name, profile in PROFILES.items())
        + ")",
    ),
    Field(
        "proxy",
        _proxy,
        None,
        "http:// proxy to reach the target through (default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY "
        "from the environment; a loopback target goes direct unless the proxy is on loopback too)",
    ),
    Field("waivers", _file, None, "file of known deviations (TOML, see README)"),
    Field(
        "strict",
        _flag,
        False,
        "fail on leniency and hygiene advisories too (an undocumented 401, no HEAD...); inconclusive ones never fail",
    ),
    Field(
        "rules",
        _rules,
        (),
        "per-rule levels, rule=fail|advise|off,... (a [rules] table in chaser.toml); see the README's rule table",
    ),
    Field("seed", _seed, None, "seed for generated cases; printed on every run so a run can be replayed"),
    Field(
        "reports_dir", _directory, None, "where a run writes its reports (default: ./reports, in the current directory)"
    ),
    Field(
        "max_requests",
        _count,
        None,
        "cap on requests per run (default: per profile, "
        + ", ".join(f"{name} {profile.max_requests}" for name, profile in PROFILES.items())
        + ")",
    ),
    Field("ca_bundle", _ca_bundle, None, "CA bundle (PEM) to verify the target's TLS certificate with"),
    Field("allow_insecure_http", _flag, False, "allow sending the token over plain http:// to a non-loopback host"),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
TARGET_FIELDS = ("api_token", "token_command", "session_id", "foreign_session_id")
# The variables a remote target needs: set but empty is an error, never read as unset (resolve.py).
REQUIRED_FIELDS = frozenset(FIELDS_BY_NAME[n].env for n in ("base_url", "api_token", "session_id"))

"""The parsers of settings that name a file or a directory: (raw value, source) -> a resolved path;
a ValueError with a short reason on one line, the path shown through `shown()`."""

from __future__ import annotations

import itertools
import os
import ssl
import stat
from pathlib import Path
from typing import Any

from .redact import shown, unprintable
from .source import Source, _text


def cache_dir() -> Path:
    """Where a run keeps what it may reuse (Hypothesis' Unicode tables): the user's cache
    (XDG_CACHE_HOME, else ~/.cache), never the directory the run is started in."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "chaser-conformance"


def from_here(path: Path) -> Path:
    """A file or folder inside the current directory as seen from it (`reports/junit.xml`), so that a
    run's header, terminal and reports name none of a machine's folders; one outside it as it is."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError, RuntimeError):
        return Path(path)


def _path(raw: Any, source: Source) -> Path:
    text = _text(raw)
    if any(unprintable(ch) for ch in text):
        raise ValueError(f"{shown(text)} contains control characters or other unprintable ones")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # '~user' of no such user, or no home directory
        raise ValueError(f"{shown(text)}: '~' cannot be expanded here") from None
    if source.kind == "file" and not path.is_absolute():
        path = Path(source.where).parent / path  # relative to the config file that names it
    return path


def _absolute(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        raise ValueError(f"{shown(path)} cannot be resolved (a loop of symbolic links?)") from None


def _kind(path: Path) -> str | None:
    """'dir', 'file' or 'other'; None if nothing is there. pathlib's is_file() raises for a name too
    long or a directory that may not be searched: that is a usage error here."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(f"{shown(path)} cannot be looked up ({reason})") from None
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def _directory(raw: Any, source: Source) -> Path:
    path = _path(raw, source)
    # The run creates it; the nearest part that exists says whether it can.
    existing, kind = next(((p, k) for p in itertools.chain([path], path.parents) if (k := _kind(p))), (None, None))
    if existing == path and kind != "dir":
        raise ValueError(f"{shown(path)} exists and is not a directory")
    if existing is not None and kind != "dir":
        raise ValueError(f"{shown(path)} cannot be created: {shown(existing)} is not a directory")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{shown(path)}: {shown(existing)} is not writable")
    return _absolute(path)


def _file(raw: Any, source: Source) -> Path:
    path = _path(raw, source)
    if _kind(path) != "file":
        raise ValueError(f"{shown(path)} is not a file")
    return _absolute(path)


def _ca_bundle(raw: Any, source: Source) -> Path:
    path = _file(raw, source)
    try:
        # What requests will do with it, done now: a bundle it cannot use is a usage error, not
        # an "unreachable target" later.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        raise ValueError(f"{shown(path)} is not a readable PEM bundle of CA certificates") from None
    return path

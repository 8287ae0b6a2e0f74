"""What the suite runs against: a configured target, or the embedded reference server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..settings.secret import Secret


@dataclass(frozen=True)
class Target:
    """What the suite runs against: resolved settings, or the embedded server's seed."""

    base_url: str
    token: Secret
    session_ids: tuple[str, ...]
    foreign_session_id: str | None
    embedded: bool
    auth: Any = None  # tokens.TokenAuth of a configured target: renews an expired token
    proxy: Secret | None = None  # the http:// proxy the requests to it go through (proxies.py), if any

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every token of the run seen here (a token command's change): each is masked everywhere."""
        return self.auth.secrets() if self.auth is not None else (self.token,)

    @property
    def label(self) -> str:
        return f"{self.base_url} ({'embedded reference server' if self.embedded else 'configured'})"


def open_target(
    base_url: str | None,
    token: Secret | None,
    session_ids: tuple[str, ...],
    foreign_session_id: str | None,
    *,
    embedded_url: str | None = None,
    auth: Any = None,
    proxy: Secret | None = None,
) -> tuple[Target, Callable[[], None]]:
    """The target of a run and how to release it: the configured one, or (no base URL) the embedded
    reference server, started here, or the one `embedded_url` names (a pytest -n worker uses the
    controller's). The embedded server runs in a process of its own, so it shares no GIL with a
    serial run; its store is seeded the same way everywhere, so its token and sessions are known
    without asking it. Raises server.process.ServerStartError when it cannot start."""
    if base_url is not None:
        assert token is not None  # guaranteed by settings.resolve()
        target = Target(base_url, token, session_ids, foreign_session_id, embedded=False, auth=auth, proxy=proxy)
        return target, lambda: None
    from ..server import Store
    from ..server.process import serve_in_process

    store = Store()
    server = None if embedded_url else serve_in_process()
    target = Target(
        base_url=embedded_url or server.base_url,
        token=store.primary.token,
        session_ids=tuple(store.primary.sessions),
        foreign_session_id=next(iter(store.other.sessions)),
        embedded=True,
    )
    return target, (server.stop if server else lambda: None)


def unopened_target(
    base_url: str | None, token: Secret | None, session_ids: tuple[str, ...], foreign: str | None
) -> Target:
    """The target a run names when a signal ended it before it was open (during its token command or
    the embedded server's start): nothing is sent to it, and its token may be unknown."""
    if base_url is not None:
        return Target(base_url, token or Secret(""), session_ids, foreign, embedded=False)
    from ..server import Store

    store = Store()
    sessions = tuple(store.primary.sessions)
    # Port 0: no server listens (a URL, as the tests are collected against one)
    return Target("http://127.0.0.1:0", store.primary.token, sessions, next(iter(store.other.sessions)), embedded=True)

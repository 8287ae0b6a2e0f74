"""The reference server's in-memory accounts, tokens and sessions.

The seed covers the schema space of SessionInfo: every field set, every nullable
field null, only the required fields; and a second account whose sessions the
first must never see.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..settings.secret import Secret


@dataclass
class Account:
    name: str
    token: Secret
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)


def _session(sid: str, **fields: Any) -> dict[str, Any]:
    body = {
        "id": sid,
        "created_at": "2026-11-01T09:30:00Z",
        "session_type": "browser",
        "status": "running",
        "endpoints": {"control": f"wss://control.chaser.test/{sid}"},
    }
    body.update(fields)
    return body


def seed() -> dict[str, Account]:
    primary = Account("primary", Secret("demo-token-primary"))
    other = Account("other", Secret("demo-token-other"))
    primary.sessions = {
        s["id"]: s
        for s in (
            _session(
                "ses_full",
                endpoints={
                    "control": "wss://control.chaser.test/ses_full",
                    "video": "https://video.chaser.test/ses_full",
                },
                active_connection_leases=2,
                persistence=True,
                workspace_id="ws_1",
            ),
            _session(
                "ses_nulls",
                status="stopped",
                endpoints={"control": "wss://control.chaser.test/ses_nulls", "video": None},
                active_connection_leases=None,
                persistence=None,
                workspace_id=None,
            ),
            _session("ses_minimal", session_type="headless", status="starting"),
        )
    }
    other.sessions = {
        s["id"]: s
        for s in (_session("ses_other", active_connection_leases=0, persistence=False, workspace_id="ws_other"),)
    }
    return {a.name: a for a in (primary, other)}


def renamed(accounts: dict[str, Account], ids: Mapping[str, str]) -> dict[str, Account]:
    """The accounts with their sessions' ids replaced (`ids`: seed id -> new id), in the bodies
    too, percent-encoded inside the endpoint URLs: a server whose ids have another shape."""

    def rename(value: Any, old: str, new: str) -> Any:
        if isinstance(value, dict):
            return {k: (new if k == "id" else rename(v, old, new)) for k, v in value.items()}
        return value.replace(f"/{old}", f"/{quote(new, safe='')}") if isinstance(value, str) else value

    for account in accounts.values():
        account.sessions = {
            ids.get(sid, sid): rename(body, sid, ids.get(sid, sid)) for sid, body in account.sessions.items()
        }
    return accounts


class Store:
    """`token_ttl`: tokens live that long, by `clock` (seconds; injectable, so that a test can make
    time pass by requests instead of waiting), and only tokens from `issue()` are accepted: a
    staging with short-lived tokens. None: the seeded tokens, forever. `ids`: the seed's session ids
    renamed (see `renamed`); `tokens`: an account's token replaced (account name -> token)."""

    def __init__(
        self,
        accounts: dict[str, Account] | None = None,
        token_ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        ids: Mapping[str, str] | None = None,
        tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.accounts = seed() if accounts is None else accounts
        if ids:
            self.accounts = renamed(self.accounts, ids)
        for name, token in (tokens or {}).items():  # another kind of token (a JWT) for an account
            self.accounts[name].token = Secret(token)
        self.token_ttl = token_ttl
        self.clock = clock
        self._by_token = {str(a.token): a for a in self.accounts.values()} if token_ttl is None else {}
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, account: Account | None = None, token: str | None = None) -> Secret:
        """A new token (random, or `token`) of `account` (the primary one), valid for `token_ttl` from now."""
        token = Secret(token or f"tok-{secrets.token_urlsafe(18)}")
        with self._lock:
            self._by_token[str(token)] = account or self.primary
            if self.token_ttl is not None:
                self._expires[str(token)] = self.clock() + self.token_ttl
        return token

    @property
    def primary(self) -> Account:
        return self.accounts["primary"]

    @property
    def other(self) -> Account:
        return self.accounts["other"]

    def account_for(self, token: str) -> Account | None:
        with self._lock:
            expires = self._expires.get(token)
            if expires is not None and self.clock() >= expires:
                return None  # expired: refused like any unknown token
            return self._by_token.get(token)

    def find(self, account: Account, session_id: str) -> dict[str, Any] | None:
        # A copy: a fault or a response filter must never change the store.
        found = account.sessions.get(session_id)
        return copy.deepcopy(found) if found is not None else None

"""What the reference server and its fault catalogue both need to read requests and write answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from ..contract.spec import SESSION_PATH
from ..settings.secret import bearer_token
from .store import Account, Store

# The reference server's Server header: a name, no product version (Werkzeug/3.1 Python/3.11 would
# tell an attacker what to try: a hygiene advisory, checks/hygiene.py; the server-banners variant
# sends real banners).
SERVER_BANNER = "chaser-reference"
WWW_AUTHENTICATE = 'Bearer realm="chaser"'


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json", headers=dict(headers or {}))


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def session_id(request: Request) -> str:
    """The id the request asks for, percent-decoded; "" off the session path."""
    return request.path[len(SESSION_PATH) :] if request.path.startswith(SESSION_PATH) else ""


def raw_session_segment(request: Request) -> str:
    """The id as the client wrote it, before any decoding (the request line's own bytes)."""
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    path = uri.split("?", 1)[0]
    return path[len(SESSION_PATH) :] if path.startswith(SESSION_PATH) else ""


def caller(request: Request, store: Store) -> Account | None:
    """The account whose bearer token the request carries, if any."""
    return store.account_for(bearer_token(request.headers.get("Authorization")) or "")

"""A switch, and the parts every switch is written with.

A switch sees the request and the conformant response and returns the response to send
instead. It is written as a sentence of three kinds of part, all plain functions:

- edits change a response: `set_field("/id", 1)`, `set_status(203)`, `replace_with(500, body)`;
- selectors choose the responses an edit applies to: `on_200(...)`, `when(foreign_session, ...)`,
  `every(4, ...)`; an edit and a selector have the same signature (`Apply`), so they nest;
- tests ask one question of an exchange: `id_is("ses_minimal")`, `unusual_id`, `has_member("x")`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from ...contract.spec import delete_at, set_at
from ..http import json_response, session_id
from ..store import Store
from ..wire import Wire


class Server(Protocol):
    """What a switch may consult besides the exchange: the server's store, and its own answer for
    a session id with a request's credentials (ReferenceApp is one)."""

    @property
    def store(self) -> Store: ...

    def get_session(self, request: Request, session_id: str) -> Response: ...


Apply = Callable[[Request, Response, Server], Response]
Test = Callable[[Request, Response, Server], bool]


@dataclass(frozen=True)
class Switch:
    name: str
    kind: str  # "fault" or "variant"
    group: str  # schema, protocol, semantics, security, partial; for variants: what is unusual
    description: str
    apply: Apply
    # Outside the contract: found as an advisory, so shown caught (or passed) with CHASER_STRICT=1.
    strict: bool = False
    # The seed's session ids renamed (seed id -> id): a server whose ids have another shape.
    ids: tuple[tuple[str, str], ...] = ()
    # How the server writes answers on its connections (server/wire.py); None: werkzeug's way.
    wire: Wire | None = None
    # The seed's tokens replaced (account name -> token): a server that issues another kind (a JWT).
    tokens: tuple[tuple[str, str], ...] = ()


def _switch(kind: str, doc: str) -> Callable[..., Switch]:
    def make(
        name: str,
        group: str,
        description: str,
        apply: Apply,
        *,
        strict: bool = False,
        ids: Mapping[str, str] | None = None,
        wire: Wire | None = None,
        tokens: Mapping[str, str] | None = None,
    ) -> Switch:
        return Switch(
            name,
            kind,
            group,
            description,
            apply,
            strict,
            ids=tuple((ids or {}).items()),
            wire=wire,
            tokens=tuple((tokens or {}).items()),
        )

    make.__doc__ = doc
    return make


fault = _switch("fault", "A deviation from the contract: the suite must fail against it.")
variant = _switch("variant", "Something unusual that the contract allows: the suite must pass against it.")


def unchanged(request: Request, response: Response, server: Server) -> Response:
    """The conformant response as it is (a variant that changes only the store's ids)."""
    return response


# --- edits -------------------------------------------------------------------------------------


def rewrite_body(change: Callable[[Any], Any]) -> Apply:
    """The JSON body replaced by `change(body)`, written as json.dumps writes it."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        response.set_data(json.dumps(change(json.loads(response.get_data()))))
        return response

    return apply


def rewrite_json(write: Callable[[Any], str | bytes], content_type: str | None = None) -> Apply:
    """The JSON body written anew as `write(body)`: another text of the value, legal or not."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        response.set_data(write(json.loads(response.get_data())))
        if content_type is not None:
            response.headers["Content-Type"] = content_type
        return response

    return apply


def set_field(pointer: str, value: Any) -> Apply:
    """The value at a JSON pointer of the body set (missing parent objects created)."""

    def change(body: Any) -> Any:
        set_at(body, pointer, value)
        return body

    return rewrite_body(change)


def drop_field(pointer: str) -> Apply:
    def change(body: Any) -> Any:
        delete_at(body, pointer)
        return body

    return rewrite_body(change)


def raw_body(data: bytes, content_type: str = "application/json") -> Apply:
    """A new response of the same status with exactly these bytes."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        replaced = Response(data, status=response.status_code)
        replaced.headers["Content-Type"] = content_type
        return replaced

    return apply


def set_status(status: int | str) -> Apply:
    """A new status: a code, or a whole status line such as "404 Owned Elsewhere"."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        response.status = status
        return response

    return apply


def set_headers(headers: Mapping[str, str]) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        for name, value in headers.items():
            response.headers[name] = value
        return response

    return apply


def set_header(name: str, value: str) -> Apply:
    return set_headers({name: value})


def content_type(value: str) -> Apply:
    return set_header("Content-Type", value)


def drop_header(name: str) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        response.headers.pop(name, None)
        return response

    return apply


def replace_with(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Apply:
    """Another answer altogether: `body` as JSON with this status."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        return json_response(status, body, headers)

    return apply


def no_content(headers: Mapping[str, str] | None = None) -> Apply:
    """A 204 with no body."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        return Response(status=204, headers=dict(headers or {}))

    return apply


def pause(seconds: float) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        time.sleep(seconds)  # the switch itself: a slow server
        return response

    return apply


def in_turn(*edits: Apply) -> Apply:
    """Each edit applied to what the one before returned."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        for edit in edits:
            response = edit(request, response, server)
        return response

    return apply


# --- selectors ---------------------------------------------------------------------------------


def on_status(status: int, edit: Apply) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        return edit(request, response, server) if response.status_code == status else response

    return apply


def on_200(edit: Apply) -> Apply:
    return on_status(200, edit)


def when(test: Test, edit: Apply) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        return edit(request, response, server) if test(request, response, server) else response

    return apply


def unless(test: Test, edit: Apply) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        return response if test(request, response, server) else edit(request, response, server)

    return apply


def every(n: int, edit: Apply) -> Apply:
    """The edit on every n-th response that reaches it: wrong only some of the time."""
    counter = itertools.count(1)
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            turn = next(counter)
        return edit(request, response, server) if turn % n == 0 else response

    return apply


# --- tests -------------------------------------------------------------------------------------


def id_is(expected: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return session_id(request) == expected

    return test


def id_longer_than(length: int) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return len(session_id(request)) > length

    return test


def non_ascii_id(request: Request, response: Response, server: Server) -> bool:
    return not session_id(request).isascii()


def unusual_id(request: Request, response: Response, server: Server) -> bool:
    """An id with a character other than ASCII letters, digits, '-' and '_'."""
    return any(not (ch.isalnum() and ch.isascii()) and ch not in "-_" for ch in session_id(request))


def method_is(method: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return request.method == method

    return test


def foreign_session(request: Request, response: Response, server: Server) -> bool:
    """The id names a session of another account than the caller's (the seed's second account)."""
    return session_id(request) in server.store.other.sessions


def has_member(name: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        body = json.loads(response.get_data())
        return isinstance(body, dict) and name in body

    return test


def member_is_null(name: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        body = json.loads(response.get_data())
        return isinstance(body, dict) and name in body and body[name] is None

    return test


def member_is_set(name: str) -> Test:
    """The body has the member, and it is not null."""

    def test(request: Request, response: Response, server: Server) -> bool:
        body = json.loads(response.get_data())
        return isinstance(body, dict) and body.get(name) is not None

    return test


def json_content_type(request: Request, response: Response, server: Server) -> bool:
    return response.headers.get("Content-Type", "").startswith("application/json")


def json_body(request: Request, response: Response, server: Server) -> bool:
    return response.mimetype == "application/json" and bool(response.get_data())

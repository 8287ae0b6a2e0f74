"""Named faults: each switches one deviation from the contract into the reference server.

A fault sees the request and the conformant response and returns the response to
send instead. The suite is proven by running it against each fault (it must fail)
and against the plain server (it must pass).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    apply: Callable[[Request, Response, Store], Response]


def _edit_200_body(edit: Callable[[dict], object]) -> Callable[[Request, Response, Store], Response]:
    """`edit` changes the decoded SessionInfo in place; its return value is ignored."""

    def apply(request: Request, response: Response, store: Store) -> Response:
        if response.status_code != 200:
            return response
        body = json.loads(response.get_data())
        edit(body)
        response.set_data(json.dumps(body))
        return response

    return apply


def _on_status(status: int, make: Callable[[Response], Response]) -> Callable[[Request, Response, Store], Response]:
    def apply(request: Request, response: Response, store: Store) -> Response:
        return make(response) if response.status_code == status else response

    return apply


CATALOGUE: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("drop-id", "200 body lacks the required 'id'", _edit_200_body(lambda b: b.pop("id"))),
        Fault(
            "not-found-as-text",
            "404 answered with a text/plain, non-JSON body",
            _on_status(404, lambda r: Response("session not found", status=404, content_type="text/plain")),
        ),
    )
}


def resolve_faults(faults: Iterable[str | Fault]) -> tuple[Fault, ...]:
    resolved = []
    for fault in faults:
        if isinstance(fault, Fault):
            resolved.append(fault)
        elif fault in CATALOGUE:
            resolved.append(CATALOGUE[fault])
        else:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(CATALOGUE)}")
    return tuple(resolved)

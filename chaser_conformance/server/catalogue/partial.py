"""Partial faults: wrong only for some sessions, some ids, or some of the time, so that a suite
that asks about one session once does not see them."""

from __future__ import annotations

import socket

from werkzeug.wrappers import Request, Response

from .switch import (
    Server,
    drop_field,
    every,
    fault,
    has_member,
    id_longer_than,
    member_is_null,
    non_ascii_id,
    on_200,
    on_status,
    replace_with,
    set_field,
    unless,
    unusual_id,
    when,
)


def drop_connection(request: Request, response: Response, server: Server) -> Response:
    # No answer at all: close the socket under the server; the client sees the connection end.
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=200)


PARTIAL_FAULTS = [
    fault(
        "nulls-only",
        "partial",
        "only sessions whose nullable fields are null lose 'status'",
        on_200(when(member_is_null("workspace_id"), drop_field("/status"))),
    ),
    fault(
        "minimal-only",
        "partial",
        "only sessions without optional fields have a numeric id",
        on_200(unless(has_member("workspace_id"), set_field("/id", 1))),
    ),
    fault(
        "non-ascii-id-500",
        "partial",
        "500 only for ids with non-ASCII characters",
        when(non_ascii_id, on_status(404, replace_with(500, {"error": "codec"}))),
    ),
    fault(
        "unusual-id-no-answer",
        "partial",
        "no answer at all for ids with reserved characters",
        when(unusual_id, drop_connection),
    ),
    fault(
        "long-id-500",
        "partial",
        "500 only for ids longer than 1000 characters",
        when(id_longer_than(1000), on_status(404, replace_with(500, {"error": "too long"}))),
    ),
    fault("flaky-1-in-4", "partial", "every 4th 200 lacks 'created_at'", on_200(every(4, drop_field("/created_at")))),
]

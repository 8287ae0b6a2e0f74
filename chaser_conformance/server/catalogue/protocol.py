"""Protocol faults: the right data with the wrong status, media type or headers."""

from __future__ import annotations

from .switch import (
    content_type,
    drop_header,
    fault,
    method_is,
    no_content,
    on_200,
    on_status,
    raw_body,
    replace_with,
    set_status,
    when,
)

PROTOCOL_FAULTS = [
    fault("200-text-plain", "protocol", "200 JSON served as text/plain", on_200(content_type("text/plain"))),
    fault("200-no-content-type", "protocol", "200 without a Content-Type", on_200(drop_header("Content-Type"))),
    fault("404-text-html", "protocol", "404 served as text/html", on_status(404, content_type("text/html"))),
    fault("404-no-content-type", "protocol", "404 without a Content-Type", on_status(404, drop_header("Content-Type"))),
    fault(
        "404-not-json",
        "protocol",
        "404 with application/json but a text body",
        on_status(404, raw_body(b"session not found")),
    ),
    fault("200-as-203", "protocol", "success answered 203 instead of 200", on_200(set_status(203))),
    fault(
        "unknown-id-500",
        "protocol",
        "500 for ids that do not exist",
        on_status(404, replace_with(500, {"error": "internal"})),
    ),
    fault(
        "unknown-id-400",
        "protocol",
        "undocumented 400 for ids that do not exist",
        on_status(404, replace_with(400, {"error": "bad id"})),
    ),
    fault(
        "401-no-challenge",
        "protocol",
        "401 without WWW-Authenticate",
        on_status(401, replace_with(401, {"error": "unauthorized"})),
    ),
    fault(
        "405-no-allow",
        "protocol",
        "405 without an Allow header",
        on_status(405, replace_with(405, {"error": "method not allowed"})),
    ),
    fault(
        "delete-accepted",
        "protocol",
        "DELETE answered 204 (an undeclared method accepted)",
        on_status(405, when(method_is("DELETE"), no_content())),
    ),
]

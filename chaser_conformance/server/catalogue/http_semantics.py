"""HTTP semantics around the contract: HEAD that disagrees with GET, and a 404 under another JSON
media type (advisories: run with CHASER_STRICT=1), a 200 under one (a failure); and conformant
variants: what HEAD may leave out, headers that vary by themselves, and an inconclusive method
probe, which never fails, not even under strict."""

from __future__ import annotations

import json

from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

from ..http import SERVER_BANNER
from .hostile import head, write_raw
from .switch import (
    Apply,
    Server,
    content_type,
    fault,
    in_turn,
    method_is,
    on_200,
    on_status,
    replace_with,
    set_header,
    unless,
    variant,
    when,
)
from .variants import VARIANTS, tracing_headers

HEAD = method_is("HEAD")


def on_head(edit: Apply) -> Apply:
    return when(HEAD, edit)


def content_length(value: str) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        response.headers["Content-Length"] = value  # werkzeug keeps an explicit one
        return response

    return apply


def without_content_length(request: Request, response: Response, server: Server) -> Response:
    response.automatically_set_content_length = False
    response.headers.pop("Content-Length", None)
    return response


def without(*names: str) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        for name in names:
            response.headers.pop(name, None)
        return response

    return apply


def problem_details(request: Request, response: Response, server: Server) -> Response:
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such session"}
    return Response(json.dumps(body), status=404, content_type="application/problem+json")  # RFC 9457


def with_content(request: Request, response: Response, server: Server) -> Response:
    """GET's content after a HEAD's header fields, on the wire (werkzeug itself never sends it)."""
    body = response.get_data()
    # The fields werkzeug adds as it sends, so that the content is the one difference; and the
    # connection closed after it, so that no client reads it as the next answer.
    fields = (
        f"Server: {SERVER_BANNER}".encode("latin-1"),
        f"Date: {http_date()}".encode("latin-1"),
        b"Connection: close",
    )
    write_raw(request, head(response, len(body), fields) + body)
    return response


HTTP_SEMANTICS_FAULTS = [
    fault(
        "head-with-content",
        "protocol",
        "HEAD answered with GET's content after its header fields",
        on_head(on_200(with_content)),
        strict=True,
    ),
    fault(
        "head-405",
        "protocol",
        "HEAD refused with 405 (RFC 9110 §9.1: every server supports HEAD)",
        on_head(replace_with(405, {"error": "method_not_allowed"}, {"Allow": "GET"})),
        strict=True,
    ),
    fault(
        "head-404",
        "protocol",
        "HEAD answers 404 for sessions that GET returns",
        on_head(on_200(replace_with(404, {"error": "not_found"}))),
        strict=True,
    ),
    fault(
        "head-content-length-zero",
        "protocol",
        "HEAD with Content-Length: 0 (GET's content is longer)",
        on_head(content_length("0")),
        strict=True,
    ),
    fault(
        "head-other-content-type",
        "protocol",
        "HEAD with Content-Type: text/html",
        on_head(content_type("text/html; charset=utf-8")),
        strict=True,
    ),
    fault(
        "head-drops-cache-control",
        "protocol",
        "Cache-Control: no-store on GET, left out on HEAD",
        unless(HEAD, set_header("Cache-Control", "no-store")),
        strict=True,
    ),
    fault(
        "404-problem-json",
        "protocol",
        "404 as application/problem+json (RFC 9457), not application/json",
        on_status(404, problem_details),
        strict=True,
    ),
    fault(
        "404-vendor-json",
        "protocol",
        "404 as application/vnd.chaser.error+json",
        on_status(404, content_type("application/vnd.chaser.error+json")),
        strict=True,
    ),
    fault(
        "200-vendor-json",
        "protocol",
        "200 as application/vnd.chaser.session+json: a failure, strict or not",
        on_200(content_type("application/vnd.chaser.session+json")),
    ),
]

HTTP_SEMANTICS_VARIANTS = [
    variant(
        "head-without-content-length",
        "protocol",
        "HEAD leaves Content-Length out (RFC 9110 §8.6 allows it)",
        on_head(without_content_length),
        strict=True,
    ),
    variant(
        "head-without-validators",
        "protocol",
        "ETag and Last-Modified on GET only (HEAD may omit them)",
        unless(HEAD, in_turn(set_header("ETag", '"v1"'), set_header("Last-Modified", "Mon, 30 Nov 2026 09:30:00 GMT"))),
        strict=True,
    ),
    variant(
        "tracing-on-every-response",
        "protocol",
        "a fresh request id and timing on every response, HEAD included, and X-Cache on one in three",
        tracing_headers,
        strict=True,
    ),
    variant(
        "404-problem-json-advisory",
        "protocol",
        "404 as application/problem+json, run without strict: an advisory, never a failure",
        on_status(404, problem_details),
    ),
    variant(
        "methods-404-strict",
        "protocol",
        "undeclared methods answer 404, run with strict: an inconclusive probe never fails",
        next(v for v in VARIANTS if v.name == "methods-404").apply,
        strict=True,
    ),
]

"""Conformant variants: unusual answers that the contract allows. The suite must pass every one;
a failure is a false alarm."""

from __future__ import annotations

import gzip
import json
import random
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from ...contract.spec import load_contract
from ..http import json_response, session_id
from .json_text import escaped_with_label, exponent_json, spaced_json
from .security import TRUSTED_ORIGIN, cache_control, cors, only, wildcard
from .switch import (
    Server,
    content_type,
    drop_field,
    every,
    has_member,
    in_turn,
    json_body,
    json_content_type,
    member_is_set,
    method_is,
    no_content,
    on_200,
    on_status,
    pause,
    replace_with,
    rewrite_json,
    set_field,
    set_header,
    set_headers,
    variant,
    when,
)

FIELDS = load_contract().fields()


def accepts_gzip(request: Request, response: Response, server: Server) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def compress(request: Request, response: Response, server: Server) -> Response:
    response.set_data(gzip.compress(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def pretty_reversed(value: Any) -> str:
    return json.dumps(dict(reversed(list(value.items()))), indent=2)


def json_value_by_id_length(request: Request, response: Response, server: Server) -> Response:
    return json_response(404, [None, "not found", 404][len(session_id(request)) % 3])


def not_found_with_request_id(request: Request, response: Response, server: Server) -> Response:
    return json_response(
        404, {"error": "not_found", "id": session_id(request), "request_id": f"req-{time.monotonic_ns()}"}
    )


def tracing_headers(request: Request, response: Response, server: Server) -> Response:
    # What gateways and tracing add to every response they pass, HEAD included: fresh values, and a
    # header on some only. Used on 404s (404-per-request-headers) and on all (tracing-on-every-response).
    chance = random.SystemRandom()
    response.headers["X-Request-Id"] = f"{chance.getrandbits(64):016x}"
    response.headers["Server-Timing"] = f"db;dur={chance.uniform(0.1, 9):.2f}"
    if chance.random() < 1 / 3:
        response.headers["X-Cache"] = "HIT"
    return response


NOT_FOUND_BODIES: list[Any] = [
    None,
    "not found",
    404,
    ["not_found"],
    {"error": "not_found"},
    {"error": {"code": 404, "detail": "no such session"}},
    {"errors": [{"status": "404"}], "meta": {"retryable": False}},
]


def random_not_found_body(request: Request, response: Response, server: Server) -> Response:
    # The 404 schema is any JSON value: this one is drawn afresh for every request.
    return json_response(404, random.SystemRandom().choice(NOT_FOUND_BODIES))


VARIANTS = [
    variant(
        "extra-properties",
        "schema",
        "extra properties at both levels",
        on_200(
            in_turn(
                set_field("/x_region", "eu-1"),
                set_field("/tags", ["a", {"b": None}]),
                set_field("/endpoints/debug", "ws://debug.chaser.test"),
            )
        ),
    ),
    variant(
        "all-nullable-null",
        "schema",
        "every nullable field null",
        on_200(in_turn(*(set_field(f.pointer, None) for f in FIELDS if f.nullable))),
    ),
    variant(
        "optional-absent",
        "schema",
        "every optional field absent",
        on_200(in_turn(*(drop_field(f.pointer) for f in FIELDS if not f.required))),
    ),
    variant(
        "integer-valued-float",
        "schema",
        "active_connection_leases as 2.0 (an integer in 2020-12)",
        on_200(when(has_member("active_connection_leases"), set_field("/active_connection_leases", 2.0))),
    ),
    variant(
        "empty-strings",
        "schema",
        "required strings empty",
        on_200(in_turn(set_field("/status", ""), set_field("/session_type", ""), set_field("/created_at", ""))),
    ),
    variant(
        "charset",
        "protocol",
        "Content-Type: application/json; charset=utf-8 everywhere",
        when(json_content_type, content_type("application/json; charset=utf-8")),
    ),
    variant("gzip", "protocol", "gzip-compressed responses", when(accepts_gzip, compress)),
    variant("connection-close", "protocol", "Connection: close after each response", set_header("Connection", "close")),
    # Well inside the suite's timeouts; 25 ms is already some 20 times the reference server's own
    # time, and keeps this one run (some 580 answers, one at a time) from being the selftests' tail.
    variant("slow", "protocol", "25 ms per response", pause(0.025)),
    variant(
        "rate-limited",
        "protocol",
        "429 with Retry-After: 1 on every 150th request",
        every(150, replace_with(429, {"error": "slow down"}, {"Retry-After": "1"})),
    ),
    variant(
        "401-rich-challenge",
        "security",
        "401 with a full RFC 6750 challenge and a second scheme",
        on_status(401, set_header("WWW-Authenticate", 'Basic realm="x", Bearer realm="chaser", error="invalid_token"')),
    ),
    variant(
        "404-for-bad-credentials",
        "security",
        "404 (not 401) for missing or bad credentials",
        on_status(401, replace_with(404, {"error": "not_found"})),
    ),
    variant(
        "404-any-json",
        "protocol",
        "404 bodies that are other JSON values",
        on_status(404, json_value_by_id_length),
    ),
    variant("404-null-body", "protocol", "404 body is JSON null", on_status(404, replace_with(404, None))),
    variant(
        "methods-404",
        "protocol",
        "undeclared methods answer 404 for ids that do not exist",
        on_status(405, replace_with(404, {"error": "not_found"})),
    ),
    variant(
        "options-204",
        "protocol",
        "OPTIONS answered 204 with Allow (as CORS layers do)",
        when(method_is("OPTIONS"), no_content({"Allow": "GET, HEAD, OPTIONS"})),
    ),
    variant(
        "pretty-json", "protocol", "indented JSON with keys in reverse order", on_200(rewrite_json(pretty_reversed))
    ),
    variant(
        "cache-headers",
        "protocol",
        "ETag, Cache-Control and a request id on every response",
        set_headers({"ETag": '"abc"', "Cache-Control": "no-store", "X-Request-Id": "r-1"}),
    ),
    variant(
        "request-id-in-404",
        "security",
        "every 404 body carries a fresh request id and the id asked for",
        on_status(404, not_found_with_request_id),
    ),
    variant(
        "404-per-request-headers",
        "security",
        "404s with a fresh request id and timing on each, and a header on one in three",
        on_status(404, tracing_headers),
    ),
    variant(
        "404-body-shape-per-request",
        "security",
        "404 bodies of a different JSON shape drawn for each request",
        on_status(404, random_not_found_body),
    ),
    variant(
        "cache-private",
        "security",
        "authenticated 200 with Cache-Control: private, max-age=60",
        cache_control("private, max-age=60"),
        strict=True,
    ),
    variant(
        "cors-allowlist",
        "security",
        "credentialed CORS for one trusted origin only",
        cors(only(TRUSTED_ORIGIN)),
        strict=True,
    ),
    variant(
        "cors-public-without-credentials",
        "security",
        "Access-Control-Allow-Origin: * without credentials",
        cors(wildcard, credentials=False),
        strict=True,
    ),
    variant(
        "json-unicode-escapes",
        "strict-json",
        "every string character \\u-escaped, a non-BMP character as an escaped surrogate pair",
        when(json_body, rewrite_json(escaped_with_label)),
    ),
    variant(
        "json-exponent-integers",
        "strict-json",
        "integers written with an exponent (20E-1 for 2)",
        when(json_body, rewrite_json(exponent_json)),
    ),
    variant(
        "json-big-integers",
        "strict-json",
        "integers beyond 64 bits",
        on_200(
            in_turn(
                # no maximum in the schema
                when(member_is_set("active_connection_leases"), set_field("/active_connection_leases", 2**70)),
                set_field("/bytes_sent", 10**30),  # an extra property, well beyond 64 bits
            )
        ),
    ),
    variant(
        "json-any-whitespace",
        "strict-json",
        "space, tab, CR and LF around every token, before and after the value",
        when(json_body, rewrite_json(spaced_json)),
    ),
]

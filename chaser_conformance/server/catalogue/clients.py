"""Client faults: servers that answer the suite's own requests as documented, but not every client.
Each negotiates on a request header that some real client sends another way (Accept, its absence,
Accept-Encoding, User-Agent). And conformant variants that negotiate correctly."""

from __future__ import annotations

import gzip
import zlib

from werkzeug.wrappers import Request, Response

from ..http import json_response, session_id
from .switch import Server, Test, fault, on_200, on_status, replace_with, variant, when


def accept_names(media_type: str) -> Test:
    def test(request: Request, response: Response, server: Server) -> bool:
        return media_type in request.headers.get("Accept", "").lower()

    return test


def no_accept(request: Request, response: Response, server: Server) -> bool:
    return "Accept" not in request.headers


def q_valued_encoding(request: Request, response: Response, server: Server) -> bool:
    return ";q=" in request.headers.get("Accept-Encoding", "").replace(" ", "")


def library_agent(request: Request, response: Response, server: Server) -> bool:
    """User-Agents a bot filter takes for scripts (but not python-requests: the suite's own)."""
    agent = request.headers.get("User-Agent", "")
    return agent.startswith(("Go-http-client", "Ruby", "GuzzleHttp", "unirest-java"))


def gzip_only(request: Request, response: Response, server: Server) -> bool:
    return request.headers.get("Accept-Encoding", "").strip().lower() == "gzip"


def html_page(request: Request, response: Response, server: Server) -> Response:
    page = f"<!doctype html><title>Not Found</title><h1>No session {session_id(request)}</h1>"
    return Response(page, status=response.status_code, content_type="text/html; charset=utf-8")


def as_xml(request: Request, response: Response, server: Server) -> Response:
    session = response.get_json()
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in session.items() if not isinstance(v, dict))
    return Response(f"<session>{fields}</session>", status=200, content_type="application/xml")


def gzip_unlabelled(request: Request, response: Response, server: Server) -> Response:
    response.set_data(gzip.compress(response.get_data()))  # and no Content-Encoding to say so
    return response


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header admits application/json (RFC 9110 §12.5.1), q=0 excluding."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (part.strip().lower() for part in item.split(";"))
        q = next((p.partition("=")[2] for p in params if p.startswith("q=")), "1")
        if media in ("*/*", "application/*", "application/json") and q.strip() not in ("0", "0.0", "0.00", "0.000"):
            return True
    return False


def strict_negotiation(request: Request, response: Response, server: Server) -> Response:
    if _accepts_json(request.headers.get("Accept", "")):
        response.headers["Vary"] = "Accept"
        return response
    return json_response(406, {"error": "not_acceptable"})


def deflate_when_listed(request: Request, response: Response, server: Server) -> Response:
    listed = [c.split(";")[0].strip().lower() for c in request.headers.get("Accept-Encoding", "").split(",")]
    if "deflate" in listed:
        response.set_data(zlib.compress(response.get_data()))
        response.headers["Content-Encoding"] = "deflate"
        response.headers["Vary"] = "Accept-Encoding"
    return response


CLIENT_FAULTS = [
    fault(
        "accept-json-406",
        "protocol",
        "406 to every request whose Accept names application/json, the documented media type",
        when(accept_names("application/json"), replace_with(406, {"error": "not_acceptable"})),
    ),
    fault(
        "no-accept-html-404",
        "protocol",
        "404 as an HTML page when the request has no Accept (Go net/http, Unirest send none)",
        on_status(404, when(no_accept, html_page)),
    ),
    fault(
        "accept-xml-negotiated",
        "protocol",
        "200 as application/xml when Accept lists it (RestSharp's default Accept does)",
        on_200(when(accept_names("application/xml"), as_xml)),
    ),
    fault(
        "accept-encoding-qvalues-400",
        "protocol",
        "400 when Accept-Encoding carries q-values (Ruby Net::HTTP's default)",
        when(q_valued_encoding, replace_with(400, {"error": "bad Accept-Encoding"})),
    ),
    fault(
        "user-agent-blocklist",
        "protocol",
        "403 for the User-Agents of Go, Ruby, Guzzle and Unirest (a bot filter)",
        when(library_agent, replace_with(403, {"error": "forbidden"})),
    ),
    fault(
        "gzip-unlabelled",
        "protocol",
        "a body gzipped without Content-Encoding when Accept-Encoding is exactly gzip (Go, Unirest)",
        when(gzip_only, gzip_unlabelled),
    ),
]

CLIENT_VARIANTS = [
    variant(
        "accept-negotiated",
        "protocol",
        "Accept honoured: 406 unless it admits application/json (q=0 excludes), Vary: Accept",
        strict_negotiation,
    ),
    variant(
        "deflate-encoded",
        "protocol",
        "zlib deflate whenever Accept-Encoding lists deflate, whatever else it prefers",
        deflate_when_listed,
    ),
]

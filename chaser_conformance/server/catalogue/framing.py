"""Framing faults, written on the wire (transport/framing.py judges them on the bytes): a body sent
chunked with a Content-Length too, Content-Length or Content-Type twice and disagreeing, a folded
header line, and an id echoed into a header field with the CR LF it carries (response splitting).
http.client and urllib3 read each of these one way; another client or a proxy reads another."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..http import session_id
from .hostile import head, write_raw
from .switch import Apply, Server, fault, on_200, on_status


def chunked_with_length(request: Request, response: Response, server: Server) -> Response:
    body = response.get_data()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    write_raw(request, head(response, len(body) + 7, [b"Transfer-Encoding: chunked"]) + chunked)
    return response


def with_fields(*fields: bytes) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        body = response.get_data()
        write_raw(request, head(response, len(body), fields) + body)
        return response

    return apply


def id_echoed_raw(request: Request, response: Response, server: Server) -> Response:
    """The 404 names the id it did not find in a header field, its bytes as decoded from the path."""
    body = response.get_data()
    echoed = b"X-Requested-Session: " + session_id(request).encode("utf-8", "replace")
    write_raw(request, head(response, len(body), [echoed]) + body)
    return response


FRAMING_FAULTS = [
    fault(
        "chunked-with-content-length",
        "protocol",
        "a 200 sent chunked with a Content-Length too",
        on_200(chunked_with_length),
    ),
    fault(
        "content-length-twice",
        "protocol",
        "a 200 with a second Content-Length that disagrees",
        on_200(lambda q, r, s: with_fields(b"Content-Length: %d" % (len(r.get_data()) + 5))(q, r, s)),
    ),
    fault(
        "content-type-twice",
        "protocol",
        "a 200 with a second Content-Type, text/html",
        on_200(with_fields(b"Content-Type: text/html")),
    ),
    fault(
        "folded-header-line",
        "protocol",
        "a header field folded onto a second line (obsolete line folding)",
        with_fields(b"X-Note: first part", b" second part"),
    ),
    fault(
        "id-echoed-into-a-header",
        "security",
        "the 404 echoes the id it did not find into a header field, CR LF and all (response splitting)",
        on_status(404, id_echoed_raw),
    ),
]

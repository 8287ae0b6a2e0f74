"""Disclosure faults: answers that hand a client what it must not learn (the request's credential,
stack traces, database errors, filesystem paths, internal addresses) or build the session's URLs
from request headers any client sets. Outside the contract: advisories, so each is run with
CHASER_STRICT=1. And conformant variants that look close (echoed ids, banners, session endpoints
on a private network, a token hint) but disclose nothing."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..http import json_response, session_id
from .switch import (
    Apply,
    Server,
    fault,
    on_200,
    on_status,
    rewrite_body,
    set_header,
    set_headers,
    unusual_id,
    variant,
    when,
)


def in_body(make: Callable[[Request], dict[str, Any]]) -> Apply:
    """Members added to a JSON object body, made from the request."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        return rewrite_body(lambda body: {**body, **make(request)} if isinstance(body, dict) else body)(
            request, response, server
        )

    return apply


def header_from(name: str, make: Callable[[Request], str | None]) -> Apply:
    def apply(request: Request, response: Response, server: Server) -> Response:
        value = make(request)
        if value:
            response.headers[name] = value
        return response

    return apply


def authorization(request: Request) -> str:
    return request.headers.get("Authorization", "")


def bearer_credential(request: Request) -> str | None:
    return authorization(request).partition(" ")[2].strip() or None


def encoded_authorization(request: Request) -> str | None:
    value = authorization(request)
    return base64.b64encode(value.encode()).decode() if value else None


PYTHON_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/chaser/api/sessions.py", line 88, in get_session\n'
    "    row = store.lookup(account, sid)\n"
    "KeyError: {sid!r}"
)
JAVA_TRACE = (
    "java.lang.IllegalArgumentException: bad session id {sid}\n"
    "\tat com.chaser.api.SessionController.get(SessionController.java:57)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)"
)
NODE_TRACE = (
    "TypeError: Cannot read properties of undefined (reading 'id')\n"
    "    at getSession (/app/src/sessions.js:42:17)\n"
    "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)"
)


def trace(template: str) -> Apply:
    return in_body(lambda request: {"trace": template.format(sid=session_id(request))})


def mysql_error(request: Request) -> dict[str, Any]:
    return {
        "detail": "SQLSTATE[42000]: Syntax error or access violation: 1064 You have an error in your SQL "
        f"syntax; check the manual near '{session_id(request)}' at line 1"
    }


def query_text(request: Request) -> dict[str, Any]:
    return {"query": f"SELECT id, status FROM sessions WHERE account_id = 7 AND id = '{session_id(request)}'"}


def mongo_error(request: Request) -> dict[str, Any]:
    return {"detail": f'MongoServerError: CastError: Cast to ObjectId failed for value "{session_id(request)}"'}


def reflected_host(header: Callable[[Request], str | None]) -> Apply:
    """The session's endpoints built from a host the request names (when it names one)."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        host = header(request)
        if not host:
            return response
        sid = session_id(request)
        return rewrite_body(
            lambda body: {**body, "endpoints": {**body["endpoints"], "control": f"wss://{host}/control/{sid}"}}
        )(request, response, server)

    return on_200(apply)


def forwarded_host(request: Request) -> str | None:
    found = re.search(r'host="?([^";,]+)', request.headers.get("Forwarded", ""))
    return found.group(1) if found else None


def echo_request(request: Request, response: Response, server: Server) -> Response:
    return json_response(
        404,
        {
            "error": "not_found",
            "id": session_id(request),
            "path": request.full_path,
            "client": request.headers.get("User-Agent", ""),
            "type": "https://docs.chaser.sh/errors/not-found",
        },
    )


def private_endpoints(request: Request, response: Response, server: Server) -> Response:
    sid = session_id(request)
    endpoints = {
        "control": f"ws://10.0.5.9:9222/devtools/browser/{sid}",
        "video": f"http://video.chaser.internal/{sid}",
    }
    return rewrite_body(lambda body: {**body, "endpoints": endpoints})(request, response, server)


def token_hint(request: Request, response: Response, server: Server) -> Response:
    credential = bearer_credential(request) or ""
    return in_body(lambda r: {"token_hint": "..." + credential[-4:]} if credential else {})(request, response, server)


def allowlisted_forwarded_host(request: Request) -> str | None:
    host = request.headers.get("X-Forwarded-Host")
    return host if host == "api.chaser.sh" else None


DISCLOSURE_FAULTS = [
    fault(
        "echo-authorization-404",
        "security",
        "404 bodies echo the request's Authorization header",
        on_status(404, in_body(lambda r: {"request": {"authorization": authorization(r)}})),
        strict=True,
    ),
    fault(
        "echo-token-header",
        "security",
        "every response echoes the bearer credential in X-Debug-Token",
        header_from("X-Debug-Token", bearer_credential),
        strict=True,
    ),
    fault(
        "echo-authorization-base64",
        "security",
        "every response carries the Authorization header base64-encoded in X-Auth-Context",
        header_from("X-Auth-Context", encoded_authorization),
        strict=True,
    ),
    fault(
        "404-python-traceback",
        "security",
        "404 bodies for odd ids carry a Python traceback",
        on_status(404, when(unusual_id, trace(PYTHON_TRACE))),
        strict=True,
    ),
    fault(
        "404-java-stack-trace",
        "security",
        "404 bodies for odd ids carry a Java stack trace",
        on_status(404, when(unusual_id, trace(JAVA_TRACE))),
        strict=True,
    ),
    fault(
        "404-node-stack-trace",
        "security",
        "404 bodies for odd ids carry a Node.js stack trace",
        on_status(404, when(unusual_id, trace(NODE_TRACE))),
        strict=True,
    ),
    fault(
        "404-mysql-error",
        "security",
        "404 bodies for odd ids carry MySQL's error text",
        on_status(404, when(unusual_id, in_body(mysql_error))),
        strict=True,
    ),
    fault(
        "404-query-text",
        "security",
        "404 bodies carry the SQL query that found nothing",
        on_status(404, in_body(query_text)),
        strict=True,
    ),
    fault(
        "404-mongo-error",
        "security",
        "404 bodies for odd ids carry MongoDB's error text",
        on_status(404, when(unusual_id, in_body(mongo_error))),
        strict=True,
    ),
    fault(
        "404-file-path",
        "security",
        "404 bodies name the file the session was looked up in",
        on_status(
            404, in_body(lambda r: {"detail": f"open /var/lib/chaser/sessions/{session_id(r)}.json: no such file"})
        ),
        strict=True,
    ),
    fault(
        "404-windows-path",
        "security",
        "404 bodies name a Windows log file",
        on_status(404, in_body(lambda r: {"log": "D:\\chaser\\logs\\api-2026-11-30.log"})),
        strict=True,
    ),
    fault(
        "upstream-address-header",
        "security",
        "every response names its upstream's private address in X-Upstream",
        set_header("X-Upstream", "10.0.3.17:8080"),
        strict=True,
    ),
    fault(
        "404-internal-host",
        "security",
        "404 bodies name the cloud-internal host that served them",
        on_status(404, in_body(lambda r: {"served_by": "ip-172-31-9-14.eu-west-1.compute.internal"})),
        strict=True,
    ),
    fault(
        "via-private-address",
        "security",
        "Via names a proxy by its private address",
        set_header("Via", "1.1 192.168.4.2"),
        strict=True,
    ),
    fault(
        "urls-from-x-forwarded-host",
        "security",
        "the session's control endpoint built from X-Forwarded-Host",
        reflected_host(lambda r: r.headers.get("X-Forwarded-Host")),
        strict=True,
    ),
    fault(
        "urls-from-forwarded",
        "security",
        "the session's control endpoint built from Forwarded: host=",
        reflected_host(forwarded_host),
        strict=True,
    ),
    fault(
        "urls-from-host",
        "security",
        "the session's control endpoint built from the Host header",
        reflected_host(lambda r: r.headers.get("Host")),
        strict=True,
    ),
]

DISCLOSURE_VARIANTS = [
    variant(
        "404-echoes-the-request",
        "security",
        "404 bodies echo the id, the path with its query and the User-Agent, and link the docs",
        on_status(404, echo_request),
        strict=True,
    ),
    variant(
        "server-banners",
        "security",
        # A version in Server or X-Powered-By is hygiene (checks/hygiene.py: the server-version fault);
        # a product's name alone is not, nor a proxy's Via (RFC 9110 §7.6.3).
        "Server and X-Powered-By naming products, a Via with a proxy's version, a request id and timings",
        set_headers(
            {
                "Server": "nginx",
                "X-Powered-By": "Express",
                "Via": "1.1 varnish (Varnish/7.4)",
                "X-Request-Id": "5f0c6a1e-2b7d-4c41-9a43-8d2f0e6b7c10",
                "Server-Timing": "db;dur=2.31, app;dur=10.2",
            }
        ),
        strict=True,
    ),
    variant(
        "endpoints-on-a-private-network",
        "security",
        "a session's endpoints on a private address and an internal host (its data, not a leak)",
        on_200(private_endpoints),
        strict=True,
    ),
    variant(
        "token-hint",
        "security",
        "404 bodies name the last four characters of the token asked with",
        on_status(404, token_hint),
        strict=True,
    ),
    variant(
        "forwarded-host-allowlist",
        "security",
        "URLs from X-Forwarded-Host only for the one trusted host (api.chaser.sh)",
        reflected_host(allowlisted_forwarded_host),
        strict=True,
    ),
]

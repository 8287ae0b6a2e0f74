"""HAR 1.2 files: of real exchanges with a server (`record`: the project's own writer; the
independent one, mitmdump's, wrote data/mitmdump-reference-server.har), or of exchanges no server
would send (`synthetic`), for the inputs `validate` must survive."""

import base64
import json

import requests


def entry(response):
    request = response.request
    return {
        "startedDateTime": "2026-11-30T00:00:00.000Z",
        "time": response.elapsed.total_seconds() * 1000,
        "request": {
            "method": request.method,
            "url": request.url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in request.headers.items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": response.status_code,
            "statusText": response.reason,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in response.headers.items()],
            "cookies": [],
            # base64: the body exactly as it was sent, whatever its encoding
            "content": {
                "size": len(response.content),
                "mimeType": response.headers.get("Content-Type", ""),
                "text": base64.b64encode(response.content).decode(),
                "encoding": "base64",
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response.content),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    }


def synthetic(
    method="GET",
    url="https://api.example.test/v1/sessions/s1",
    request_headers=(),
    status=200,
    response_headers=(("Content-Type", "application/json"),),
    body="",
    base64_body=False,
):
    """A HAR 1.2 entry built by hand: `body` (str or bytes) as text, or in base64."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    content = {"size": len(raw), "mimeType": dict(response_headers).get("Content-Type", "")}
    if base64_body:
        content |= {"text": base64.b64encode(raw).decode(), "encoding": "base64"}
    else:
        content["text"] = raw.decode("utf-8")
    return {
        "startedDateTime": "2026-11-30T00:00:00.000Z",
        "time": 1.5,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in request_headers],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": k, "value": v} for k, v in response_headers],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(raw),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 1, "receive": 0},
    }


def capture(entries):
    """The HAR document around `entries`."""
    return {"log": {"version": "1.2", "creator": {"name": "chaser selftest", "version": "1"}, "entries": list(entries)}}


def record(path, base_url, reads):
    """`reads`: (method, path, headers) sent to base_url; every exchange goes into the HAR at `path`."""
    with requests.Session() as http:
        entries = [
            entry(http.request(method, base_url + where, headers=headers, allow_redirects=False))
            for method, where, headers in reads
        ]
    path.write_text(json.dumps(capture(entries), indent=1), encoding="utf-8")
    return path

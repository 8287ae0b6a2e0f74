"""A HAR 1.2 file of real exchanges with a server: the project's own writer (the independent one,
mitmdump's, wrote data/mitmdump-reference-server.har)."""

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


def record(path, base_url, reads):
    """`reads`: (method, path, headers) sent to base_url; every exchange goes into the HAR at `path`."""
    with requests.Session() as http:
        entries = [
            entry(http.request(method, base_url + where, headers=headers, allow_redirects=False))
            for method, where, headers in reads
        ]
    har = {"log": {"version": "1.2", "creator": {"name": "chaser selftest", "version": "1"}, "entries": entries}}
    path.write_text(json.dumps(har, indent=1), encoding="utf-8")
    return path

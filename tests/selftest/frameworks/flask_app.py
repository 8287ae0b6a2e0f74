"""GET /v1/sessions/<session_id> in Flask, as its documentation teaches: a bearer check written by
hand (`str.split()` of the Authorization value into scheme and token), 404 for an unknown id and
another account's session alike, and errors as JSON with one handler for every HTTPException
(https://flask.palletsprojects.com/en/stable/errorhandling/#returning-api-errors-as-json). It serves
the reference server's seed (chaser_conformance/server/store.py).

    python tests/selftest/frameworks/flask_app.py        # prints its port; or, as the docs run it:
    flask --app tests/selftest/frameworks/flask_app run --port 8000

What Flask does that the reference server does not: `str.split()` splits on any Unicode white space
(so `Bearer <token>` followed by U+00A0 or a vertical tab reads), and Werkzeug's router redirects a
path with merged slashes (an id that starts with `%2F`, decoded before routing) with 308.
"""

from __future__ import annotations

import json

from flask import Flask, abort, request
from werkzeug.exceptions import HTTPException

from chaser_conformance.server.store import Store

STORE = Store()  # the reference server's accounts, tokens and sessions
app = Flask(__name__)


def bearer_token() -> str | None:
    parts = request.headers.get("Authorization", "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


@app.get("/v1/sessions/<session_id>")
def get_session(session_id: str):
    account = STORE.account_for(bearer_token() or "")
    if account is None:
        return {"error": "unauthorized"}, 401, {"WWW-Authenticate": 'Bearer realm="chaser"'}
    session = STORE.find(account, session_id)
    if session is None:  # unknown, or another account's: the same answer
        abort(404)
    return session


@app.errorhandler(HTTPException)
def http_error_as_json(error: HTTPException):
    response = error.get_response()  # keeps the exception's headers (a 405's Allow)
    response.data = json.dumps({"code": error.code, "name": error.name, "description": error.description})
    response.content_type = "application/json"
    return response


if __name__ == "__main__":
    import logging

    from serving import announce
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log
    server = make_server("127.0.0.1", 0, app, threaded=True)  # what app.run() serves with
    announce(server.server_port)
    server.serve_forever()

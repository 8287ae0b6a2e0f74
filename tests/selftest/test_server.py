"""The reference server behaves as a real Chaser deployment would, and never answers 5xx."""

import http.client
import socket
import subprocess
import sys
from urllib.parse import quote

import pytest
import requests

from chaser_conformance.contract.spec import GET_SESSION, SPEC_PATH, load_contract
from chaser_conformance.server import serve_in_thread
from runner import standalone_server

CONTRACT = load_contract()
PATH = "/v1/sessions/"


@pytest.fixture(scope="module")
def server():
    with serve_in_thread() as running:
        yield running


@pytest.fixture(scope="module")
def store(server):
    return server.app.store


def get(server, session_id, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(server.base_url + PATH + quote(session_id, safe=""), headers=headers, timeout=5)


def bearer(account):
    return f"Bearer {account.token}"


def test_the_seed_covers_the_schema_space(store):
    sessions = list(store.primary.sessions.values())
    nullable = [f.pointer for f in CONTRACT.fields() if f.nullable]
    optional = [f.pointer.strip("/").split("/") for f in CONTRACT.fields() if not f.required]

    def value(doc, pointer):
        for part in pointer.strip("/").split("/"):
            doc = doc.get(part, "absent") if isinstance(doc, dict) else "absent"
        return doc

    assert any(all(value(s, p) not in (None, "absent") for p in nullable) for s in sessions), "every field set"
    assert any(all(value(s, p) is None for p in nullable) for s in sessions), "every nullable field null"
    assert any(all(value(s, "/".join(p)) == "absent" for p in optional) for s in sessions), "only required fields"
    assert store.other.sessions and store.other.token != store.primary.token


def test_every_session_of_the_account_is_200_valid_and_itself(server, store):
    validator = CONTRACT.validator(*GET_SESSION, 200)
    for session_id in store.primary.sessions:
        response = get(server, session_id, bearer(store.primary))
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
        assert validator.violations(response.json()) == [] and response.json()["id"] == session_id


def test_another_accounts_session_looks_exactly_like_an_unknown_one(server, store):
    foreign = get(server, next(iter(store.other.sessions)), bearer(store.primary))
    unknown = get(server, "no-such-session", bearer(store.primary))
    assert (foreign.status_code, foreign.headers["Content-Type"], foreign.content) == (
        unknown.status_code,
        unknown.headers["Content-Type"],
        unknown.content,
    )
    assert foreign.status_code == 404 and isinstance(foreign.json(), dict)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "bearer wrong-token",
        "Basic ZGVtbzpkZW1v",
        "demo-token-primary",
        "Bearer demo-token-primary extra",
        "Token demo-token-primary",
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "scheme-space",
        "unknown-token",
        "basic",
        "no-scheme",
        "two-words",
        "other-scheme",
    ],
)
def test_bad_credentials_get_401_with_www_authenticate(server, authorization):
    response = get(server, "ses_full", authorization)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "id" not in response.json()


def test_a_token_in_the_query_string_is_not_a_credential(server, store):
    response = requests.get(
        f"{server.base_url}{PATH}ses_full", params={"access_token": str(store.primary.token)}, timeout=5
    )
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_undeclared_methods_get_405_with_allow(server, store, method):
    response = requests.request(
        method, f"{server.base_url}{PATH}no-such-session", headers={"Authorization": bearer(store.primary)}, timeout=5
    )
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and method not in response.headers["Allow"]


ODD_PATHS = {
    "encoded-slash": PATH + "a%2Fb",
    "raw-slash": PATH + "a/b",
    "dot-dot": PATH + "..",
    "encoded-dot-dot": PATH + "%2e%2e",
    "empty-id": PATH,
    "double-slash": PATH + "/ses_full",
    "nul": PATH + "%00",
    "invalid-utf8": PATH + "%ff%fe",
    "non-ascii": PATH + "caf%C3%A9",
    "query-and-fragment-chars": PATH + "x%3Fy%23z",
    "percent-alone": PATH + "%",
    "very-long": PATH + "x" * 8000,
    "huge": PATH + "x" * 70000,
    "whitespace": PATH + "%20%09",
}


@pytest.mark.parametrize("path", ODD_PATHS.values(), ids=ODD_PATHS.keys())
def test_odd_paths_never_get_a_5xx_or_a_session(server, store, path):
    connection = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]), timeout=5)
    connection.request("GET", path, headers={"Authorization": bearer(store.primary)})
    response = connection.getresponse()
    assert 400 <= response.status < 500
    connection.close()


ODD_HEADERS = {
    "latin1-bytes": b"Bearer \xff\xfe",
    "control-chars": b"Bearer \x01\x02",
    "very-long": b"Bearer " + b"a" * 60000,
    "utf8": "Bearer café".encode(),
}


@pytest.mark.parametrize("value", ODD_HEADERS.values(), ids=ODD_HEADERS.keys())
def test_odd_authorization_headers_never_get_a_5xx(server, value):
    connection = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]), timeout=5)
    connection.putrequest("GET", PATH + "ses_full")
    connection.putheader("Authorization", value)
    connection.endheaders()
    assert 400 <= connection.getresponse().status < 500
    connection.close()


@pytest.mark.parametrize("garbage", [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\r\n\r\n"])
def test_garbage_on_the_socket_does_not_bring_it_down(server, store, garbage):
    host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(garbage)
        answer = raw.recv(64)
    assert not answer.startswith(b"HTTP/1.1 5") and not answer.startswith(b"HTTP/1.0 5")
    assert get(server, "ses_full", bearer(store.primary)).status_code == 200


def test_standalone_prints_credentials_and_serves_them():
    with standalone_server() as (url, text):
        assert url.startswith("http://127.0.0.1:")
        assert "demo-token-primary" in text and "ses_full" in text and "CHASER_BASE_URL=" in text
        # A command that works in the user's shell: in a checkout, run.py's (its venv is not on PATH).
        assert text.split("CHASER_BASE_URL=", 1)[1].splitlines()[0].endswith(" python3 run.py live")
        response = requests.get(
            f"{url}{PATH}ses_full", headers={"Authorization": "Bearer demo-token-primary"}, timeout=5
        )
        assert response.status_code == 200 and response.json()["id"] == "ses_full"


def test_standalone_rejects_an_unknown_fault_without_a_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "chaser_conformance.server", "--switch", "nope"],
        cwd=SPEC_PATH.parent,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "invalid choice: 'nope'" in proc.stderr and "Traceback" not in proc.stderr

"""Findings as data: what was sent reads as sent (credentials masked, absence and emptiness shown as
such), and a finding survives the trip to failures.jsonl and across pytest -n unchanged."""

import json
import subprocess

import pytest
from requests.structures import CaseInsensitiveDict

from chaser_conformance.checks import Exchange, Finding, Problem, curl_line, shown_authorization
from chaser_conformance.checks.exchange import shell_word
from chaser_conformance.settings.secret import Secret

TOKEN = "tok-findings-never-print-me"


@pytest.mark.parametrize(
    "sent,shown",
    [
        (None, "<none>"),
        ("", "<empty>"),
        ("   ", "<empty>"),
        ("Bearer", "Bearer"),
        ("Bearer ", "Bearer"),
        (f"Bearer {TOKEN}", "Bearer ****"),
        (f"bearer {TOKEN}", "bearer ****"),
        (f"Basic {TOKEN}", "Basic ****"),
        (TOKEN, "****"),  # a token without a scheme is still a secret
        (f"Bearer {TOKEN} {TOKEN}", "Bearer ****"),
    ],
)
def test_a_credential_shows_what_was_sent_and_never_the_secret(sent, shown):
    assert shown_authorization(sent) == shown


def exchange(authorization):
    headers = {} if authorization is None else {"Authorization": Secret(authorization)}
    return Exchange(
        "GET",
        "http://127.0.0.1:1/v1/sessions/ses_full",
        CaseInsensitiveDict(headers),
        200,
        "OK",
        CaseInsensitiveDict({"Content-Type": "application/json"}),
        b'{"id": "x"}',
    )


def test_the_reproduction_sends_what_the_suite_sent():
    assert "Authorization" not in curl_line(exchange(None))
    assert curl_line(exchange("")).endswith("-H 'Authorization;'")  # curl's empty header
    assert curl_line(exchange(f"Bearer {TOKEN}")).endswith("-H 'Authorization: Bearer ****'")
    assert TOKEN not in curl_line(exchange(TOKEN))


@pytest.mark.parametrize(
    "sent,shown",
    [
        (f"Bearer {TOKEN}", '-H "Authorization: Bearer $CHASER_API_TOKEN"'),
        (f"bearer {TOKEN}", '-H "Authorization: bearer $CHASER_API_TOKEN"'),
        (f"Bearer {TOKEN}x", '-H "Authorization: Bearer ${CHASER_API_TOKEN}x"'),
        (f"Bearer {TOKEN[:-1]}", "-H 'Authorization: Bearer ****'"),  # not the token: still a secret, masked
    ],
)
def test_the_run_token_is_a_shell_reference_so_the_line_runs(sent, shown):
    line = curl_line(exchange(sent), TOKEN)
    assert line.endswith(shown) and TOKEN not in line


@pytest.mark.parametrize("text", [f"a$`b\\\"c'd!e?access_token={TOKEN}", f"{TOKEN}_x {TOKEN}9", "plain [1]"])
def test_a_shell_word_reads_back_as_the_text_with_the_token_from_the_environment(text):
    word = shell_word(text, TOKEN)
    assert TOKEN not in word
    echoed = subprocess.run(
        ["sh", "-c", f"printf %s {word}"], env={"CHASER_API_TOKEN": TOKEN}, capture_output=True, text=True
    )
    assert echoed.stdout == text


def test_a_url_with_brackets_is_not_a_curl_pattern():
    ex = Exchange("GET", "http://h/v1/sessions/a[1]{2}", CaseInsensitiveDict(), 200, "OK", {}, b"")
    assert curl_line(ex, TOKEN) == "curl -i -X GET 'http://h/v1/sessions/a[1]{2}' --globoff"


def test_a_finding_round_trips_through_json_unchanged_and_masked():
    problems = [Problem("id echo", f"/id: must equal the requested id, got {TOKEN!r}", "/id")]
    finding = Finding.of("known session", exchange(f"Bearer {TOKEN}"), problems, "the token", TOKEN, "ses_full")
    data = json.loads(json.dumps(finding.to_dict()))
    assert Finding.from_dict(data) == finding
    assert TOKEN not in json.dumps(data) and TOKEN not in finding.text()
    assert "  - [id echo at /id] /id: must equal" in finding.text()
    assert data["request"]["headers"]["Authorization"] == "Bearer ****"
    assert data["curl"].endswith('-H "Authorization: Bearer $CHASER_API_TOKEN"')


def test_a_request_body_is_in_the_curl_line_and_crosses_processes():
    ex = Exchange("GET", "http://h/v1/sessions/a", CaseInsensitiveDict(), 200, "OK", {}, b"", b'{"id": "b"}')
    assert curl_line(ex).endswith("""--data-binary '{"id": "b"}'""")
    assert Exchange.from_dict(ex.to_dict()) == ex

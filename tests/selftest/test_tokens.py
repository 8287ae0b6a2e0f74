"""Short-lived tokens: CHASER_TOKEN_COMMAND, a reference server whose tokens expire (--token-ttl),
one refresh per expiry (under -n too), and "token expired during the run" for a fixed token.

The server's clock is injected: it advances by one at every look-up of a token, so a token lives a
number of requests, and a run crosses several expiries without waiting for anything."""

import itertools
import json
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from chaser_conformance.checks import Exchange, Judge, RunRecord
from chaser_conformance.contract.spec import SESSION_PATH, load_contract
from chaser_conformance.reports import find_secret
from chaser_conformance.run.tokens import TokenAuth, TokenError, Tokens, run_token_command
from chaser_conformance.server import Store, serve_in_thread
from chaser_conformance.server.app import TOKEN_PATH
from chaser_conformance.settings import SettingsError, resolve
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport.client import Target
from runner import run_suite_forked, standalone_server

TTL = 100  # token look-ups (requests) a token lives; a ci run sends about 900


class Ticks:
    """The server's clock: one tick per call, so time is counted in requests."""

    def __init__(self):
        self._count = itertools.count()
        self.now = 0

    def __call__(self):
        self.now = next(self._count)
        return self.now


def short_lived_server(ttl=TTL):
    clock = Ticks()
    store = Store(token_ttl=ttl, clock=clock)
    return serve_in_thread(store=store), store, clock


def env_for(server, store, **extra):
    return {
        "CHASER_BASE_URL": server.base_url,
        "CHASER_SESSION_ID": ",".join(store.primary.sessions),
        "CHASER_FOREIGN_SESSION_ID": next(iter(store.other.sessions)),
        "CHASER_SEED": "20261130",
        "CHASER_PROFILE": "ci",
        **extra,
    }


def token_command(server):
    return f"{sys.executable} -m chaser_conformance.server.token {server.base_url}{TOKEN_PATH}"


def summary(tmp_path):
    return json.loads((tmp_path / "reports" / "summary.json").read_text())


def issued(store):
    return [t for t in store._by_token]  # every token the server issued in the run


# --- the server -------------------------------------------------------------------------------


def test_a_token_from_the_token_endpoint_works_until_its_lifetime_ends():
    server, store, clock = short_lived_server(ttl=3)
    with server:
        answer = requests.post(server.base_url + TOKEN_PATH, timeout=5)
        assert answer.status_code == 200 and answer.json()["expires_in"] == 3
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        url = f"{server.base_url}{SESSION_PATH}ses_full"
        assert [requests.get(url, headers=headers, timeout=5).status_code for _ in range(4)] == [200, 200, 401, 401]
        seeded = {"Authorization": f"Bearer {store.primary.token}"}
        assert requests.get(url, headers=seeded, timeout=5).status_code == 401  # only issued tokens


def test_without_a_lifetime_there_is_no_token_endpoint():
    with serve_in_thread() as server:
        assert requests.post(server.base_url + TOKEN_PATH, timeout=5).status_code == 404


def test_standalone_token_ttl_keeps_a_valid_token_in_a_file(tmp_path):
    token_file = tmp_path / "token"
    with standalone_server("--token-ttl", "600", "--token-file", str(token_file)) as (url, text):
        assert "CHASER_TOKEN_COMMAND='cat " in text
        token = token_file.read_text().strip()
        answer = requests.get(f"{url}{SESSION_PATH}ses_full", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200


# --- settings and the command -------------------------------------------------------------------


def test_exactly_one_of_the_token_and_the_token_command(tmp_path):
    base = {"CHASER_BASE_URL": "https://staging.example.test", "CHASER_SESSION_ID": "s1"}
    with pytest.raises(SettingsError, match="CHASER_API_TOKEN .* and CHASER_TOKEN_COMMAND .* are both set"):
        resolve({}, env=base | {"CHASER_API_TOKEN": "t", "CHASER_TOKEN_COMMAND": "vault read x"}, rootdir=tmp_path)
    with pytest.raises(SettingsError, match="needs a token: .*CHASER_TOKEN_COMMAND"):
        resolve({}, env=base, rootdir=tmp_path)
    s = resolve({}, env=base | {"CHASER_TOKEN_COMMAND": "get-token --secret s3cr3t"}, rootdir=tmp_path)
    assert s.api_token is None and str(s.token_command) == "get-token --secret s3cr3t"
    assert "token_command = ****  [env CHASER_TOKEN_COMMAND]" in s.describe()  # it may carry a client secret
    with pytest.raises(SettingsError, match="not a command line: No closing quotation"):
        resolve({}, env=base | {"CHASER_TOKEN_COMMAND": "get-token 'x"}, rootdir=tmp_path)


def script(tmp_path, body, name="token.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return f"{sys.executable} {path}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "import sys; print('tok-printed-then-failed'); "
            "print('vault: tok-printed-then-failed sealed', file=sys.stderr); sys.exit(3)",
            "failed (exit 3): vault: **** sealed",
        ),
        ("print('')", "printed no token (exit 0) (nothing on stderr)"),
        ("print('two words')", "printed something that is not a bearer token: the token contains white space"),
    ],
    ids=["fails", "prints-nothing", "prints-no-token"],
)
def test_a_token_command_that_gives_no_token_is_one_masked_line(tmp_path, body, expected):
    with pytest.raises(TokenError) as caught:
        run_token_command(script(tmp_path, body))
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert "tok-printed-then-failed" not in str(caught.value)


def test_a_failing_token_command_stops_the_run_before_it_with_a_usage_error(tmp_path):
    command = script(tmp_path, "import sys; print('oops: no credentials', file=sys.stderr); sys.exit(7)")
    with serve_in_thread() as server:
        store = server.app.store
        run = run_suite_forked(tmp_path, env_for(server, store, CHASER_TOKEN_COMMAND=command))
    assert run.returncode == 4, run.output[-2000:]
    assert "failed (exit 7): oops: no credentials" in run.output and "Traceback" not in run.output
    assert summary(tmp_path)["verdict"] == "usage error"
    assert [m for m, _, _ in server.app.journal] == []  # not one request was sent


def test_a_token_command_that_hangs_is_ended_at_its_timeout_with_all_it_started(tmp_path):
    command = script(
        tmp_path,
        f"""
        import subprocess, pathlib
        child = subprocess.Popen(["sleep", "300"])
        pathlib.Path({str(tmp_path / "child.pid")!r}).write_text(str(child.pid))
        child.wait()
        """,
    )
    with serve_in_thread() as server:
        store = server.app.store
        env = env_for(server, store, CHASER_TOKEN_COMMAND=command, CHASER_TOKEN_COMMAND_TIMEOUT="1")
        run = run_suite_forked(tmp_path, env)
    assert run.returncode == 4, run.output[-2000:]
    assert "did not finish within 1 s (CHASER_TOKEN_COMMAND_TIMEOUT)" in run.output and "Traceback" not in run.output
    assert summary(tmp_path)["verdict"] == "usage error"
    child = int((tmp_path / "child.pid").read_text())
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "zombie" in status.read_text().lower()


# --- runs across expiries -----------------------------------------------------------------------


@pytest.mark.parametrize("workers", [[], ["-n", "4"]], ids=["serial", "four-workers"])
def test_a_token_command_carries_a_run_across_several_expiries(tmp_path, workers):
    server, store, clock = short_lived_server()
    with server:
        run = run_suite_forked(tmp_path, env_for(server, store, CHASER_TOKEN_COMMAND=token_command(server)), workers)
    assert run.returncode == 0, run.output[-3000:]
    data = summary(tmp_path)
    assert data["verdict"] == "conformant"
    refreshes = data["token"]["refreshes"]
    assert refreshes >= 3 and len(data["token"]["refreshed_at"]) == refreshes
    # One refresh per expiry, not one per worker: every token the server issued lived its lifetime.
    assert len(issued(store)) == refreshes + 1 <= clock.now // TTL + 1
    line = f"token from CHASER_TOKEN_COMMAND: refreshed {refreshes} times during the run"
    assert line in run.output and line in (tmp_path / "reports" / "summary.md").read_text()
    tokens = issued(store)
    assert find_secret([tmp_path / "reports"], *tokens) == []
    assert not any(t in run.output for t in tokens)


@pytest.mark.parametrize("workers", [[], ["-n", "4"]], ids=["serial", "four-workers"])
def test_a_fixed_token_that_expires_is_diagnosed_not_dozens_of_failures(tmp_path, workers):
    server, store, _ = short_lived_server()
    with server:
        run = run_suite_forked(tmp_path, env_for(server, store, CHASER_API_TOKEN=str(store.issue())), workers)
    assert run.returncode == 69, run.output[-3000:]
    data = summary(tmp_path)
    assert data["diagnosis"].startswith("token expired during the run")
    assert data["verdict"] == "token expired" and data["token"]["source"] == "fixed"
    assert data["counts"]["failed"] + data["counts"]["error"] <= (4 if workers else 1)  # a test per worker at most
    assert "DIAGNOSIS: token expired during the run" in run.output


def test_a_token_command_that_fails_during_the_run_stops_it_with_one_line(tmp_path):
    server, store, _ = short_lived_server()
    calls = tmp_path / "calls"
    with server:
        command = script(
            tmp_path,
            f"""
            import pathlib, sys, urllib.request, json
            calls = pathlib.Path({str(calls)!r})
            if calls.exists():
                print("vault is sealed", file=sys.stderr)
                sys.exit(2)
            calls.write_text("1")
            answer = urllib.request.urlopen(urllib.request.Request({server.base_url + TOKEN_PATH!r}, method="POST"))
            print(json.loads(answer.read())["access_token"])
            """,
        )
        run = run_suite_forked(tmp_path, env_for(server, store, CHASER_TOKEN_COMMAND=command))
    assert run.returncode == 69, run.output[-3000:]
    assert "during the run, token command" in run.output and "failed (exit 2): vault is sealed" in run.output
    assert "Traceback" not in run.output
    assert summary(tmp_path)["stopped"].startswith("during the run, token command")


# --- the pieces ---------------------------------------------------------------------------------


def test_every_token_of_the_run_is_valid_credentials_and_masked(tmp_path):
    first, second = Secret("tok-first-aaaa"), Secret("tok-second-bbbb")
    tokens = Tokens(first, command=script(tmp_path, "print('tok-second-bbbb')"))
    auth = TokenAuth(tokens)
    assert tokens.renew(first) == second and tokens.renew(first) == second  # one run of the command
    auth._learn(tokens.current())
    target = Target("http://127.0.0.1:9", first, ("ses_full",), None, embedded=False, auth=auth)
    judge = Judge(load_contract(), target, RunRecord())
    body = f'{{"error": "echo {second}"}}'.encode()
    ex = Exchange(
        "GET",
        "http://127.0.0.1:9/v1/sessions/ses_full",
        {"Authorization": f"Bearer {second}"},
        404,
        "Not Found",
        {"Content-Type": "application/json"},
        body,
    )
    assert judge.assessor.has_valid_credentials(ex)
    finding = judge.finding("known session", ex, ["x"])
    assert str(second) not in json.dumps(finding.to_dict()) and "echo ****" in finding.body
    assert tokens.report()["refreshes"] == 1


def test_the_leak_scan_looks_for_every_token(tmp_path):
    (tmp_path / "a.txt").write_text("nothing")
    (tmp_path / "b.txt").write_text("...tok-second-bbbb...")
    assert find_secret([tmp_path], "tok-first-aaaa", "tok-second-bbbb") == [tmp_path / "b.txt"]


def test_a_refreshed_token_found_in_an_artifact_fails_the_run(tmp_path):
    # The leak scan looks for every token of the run, not only the first: a report of the run holding
    # the token the command gives at its second call fails the run, once that token was in use.
    server, store, _ = short_lived_server(ttl=TTL)
    first, second = "tok-first-distinctive-1", "tok-second-distinctive-2"
    store.issue(token=first)
    counter = tmp_path / "calls"
    command = script(
        tmp_path,
        f"""
        import pathlib
        calls = pathlib.Path({str(counter)!r})
        print({second!r} if calls.exists() else {first!r})
        calls.write_text("1")
        """,
    )
    with server:
        store.token_ttl = 10**9  # the second token outlives the run
        store.issue(token=second)
        store.token_ttl = TTL
        env = env_for(server, store, CHASER_TOKEN_COMMAND=command) | {"LEAKY_TEXT": second}
        run = run_suite_forked(tmp_path, env, ["-p", "leaky_plugin"])  # it writes `second` into JUnit
    assert summary(tmp_path)["token"]["refreshes"] >= 1, run.output[-3000:]
    assert run.returncode == 70, run.output[-3000:]
    assert f"SECRET LEAK: the token was written to {tmp_path / 'reports' / 'junit.xml'}" in run.output
    assert first not in run.output and second not in run.output


class FakeServer:
    """send_once for TokenAuth: answers by (token, path), and keeps what was sent."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    def __call__(self, request, **kwargs):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        path = request.url.rsplit("/", 1)[1]
        self.sent.append((token, path))
        response = requests.Response()
        response.status_code = self.answer(token, path)
        response._content, response._content_consumed = b"", True  # as the GuardedAdapter leaves it
        return response


def get(path, token):
    return requests.Request(
        "GET", f"http://127.0.0.1:9/v1/sessions/{path}", headers={"Authorization": f"Bearer {token}"}
    ).prepare()


def test_a_401_to_one_request_while_the_token_still_works_is_that_requests_answer(tmp_path):
    calls = tmp_path / "calls"
    tokens = Tokens(Secret("tok-a"), command=script(tmp_path, f"open({str(calls)!r}, 'a').write('x'); print('tok-b')"))
    auth = TokenAuth(tokens)
    server = FakeServer(lambda token, path: 401 if path == "odd" else 200)
    assert auth.send(server, get("ses_full", "tok-a"), {}).status_code == 200
    assert auth.send(server, get("odd", "tok-a"), {}).status_code == 401
    assert server.sent == [("tok-a", "ses_full"), ("tok-a", "odd"), ("tok-a", "ses_full")]  # the probe: still 200
    assert not calls.exists() and tokens.report()["refreshes"] == 0


def test_an_expired_token_is_renewed_once_and_the_request_retried_with_the_new_one(tmp_path):
    tokens = Tokens(Secret("tok-a"), command=script(tmp_path, "print('tok-b')"))
    auth = TokenAuth(tokens)
    expired = set()
    server = FakeServer(lambda token, path: 401 if token in expired else 200)
    auth.send(server, get("ses_full", "tok-a"), {})
    expired.add("tok-a")
    answer = auth.send(server, get("ses_nulls", "tok-a"), {})
    assert answer.status_code == 200
    assert server.sent[1:] == [("tok-a", "ses_nulls"), ("tok-a", "ses_full"), ("tok-b", "ses_nulls")]
    assert auth.send(server, get("ses_full", "tok-a"), {}).status_code == 200  # built before: sent with tok-b
    assert server.sent[-1] == ("tok-b", "ses_full") and tokens.report()["refreshes"] == 1


def in_turn(tmp_path, *tokens):
    """A token command that prints `tokens` one per call, in turn."""
    calls = tmp_path / "calls"
    body = f"""
        import pathlib
        calls = pathlib.Path({str(calls)!r})
        n = int(calls.read_text()) if calls.exists() else 0
        calls.write_text(str(n + 1))
        print({list(tokens)!r}[n])
        """
    return script(tmp_path, body)


def test_a_renewed_token_that_expires_before_its_retry_arrives_is_renewed_again(tmp_path):
    # Under load, a short lifetime can end between the renewal and the retry: that 401 is no answer of
    # the server to the request, and a request that worked before, sent with the new token, tells so.
    tokens = Tokens(Secret("tok-a"), command=in_turn(tmp_path, "tok-b", "tok-c"))
    auth = TokenAuth(tokens)
    expired = {"tok-b"}  # tok-b arrives expired
    server = FakeServer(lambda token, path: 401 if token in expired else 200)
    auth.send(server, get("ses_full", "tok-a"), {})
    expired.add("tok-a")
    assert auth.send(server, get("ses_nulls", "tok-a"), {}).status_code == 200
    assert server.sent[1:] == [
        ("tok-a", "ses_nulls"),
        ("tok-a", "ses_full"),  # the probe: tok-a expired
        ("tok-b", "ses_nulls"),
        ("tok-b", "ses_full"),  # the request that worked, with the new token: expired too
        ("tok-c", "ses_nulls"),
    ]
    assert tokens.report()["refreshes"] == 2


def test_a_token_that_never_worked_here_is_probed_with_a_request_that_worked_before(tmp_path):
    # A renewed token whose first answers here proved nothing (a 400) expires before any request
    # works with it (under pytest -n, another worker's requests use up its lifetime): its 401 is no
    # answer of the server to the request. Seen as a false "401 with the valid token" of a near miss.
    tokens = Tokens(Secret("tok-a"), command=in_turn(tmp_path, "tok-b", "tok-c"))
    auth = TokenAuth(tokens)
    expired = set()
    server = FakeServer(lambda token, path: 401 if token in expired else (400 if path == "bad" else 200))
    auth.send(server, get("ses_full", "tok-a"), {})
    expired.add("tok-a")
    assert auth.send(server, get("bad", "tok-a"), {}).status_code == 400  # renewed: tok-b, not yet known to work
    expired.add("tok-b")
    assert auth.send(server, get("ses_nulls", "tok-b"), {}).status_code == 200
    assert server.sent[-3:] == [("tok-b", "ses_nulls"), ("tok-b", "ses_full"), ("tok-c", "ses_nulls")]
    assert tokens.report()["refreshes"] == 2


def test_a_404_proves_nothing_of_a_token_and_is_never_its_probe(tmp_path):
    # A router answers 404 for a path it has no route for (an id with an encoded slash) before
    # anything authenticates: sent again with an expired token, it still gets 404. As the probe, it
    # made an expired token look valid, and every later 401 of that worker a false finding.
    tokens = Tokens(Secret("tok-a"), command=in_turn(tmp_path, "tok-b"))
    auth = TokenAuth(tokens)
    expired = set()
    server = FakeServer(lambda token, path: 404 if path == "unrouted" else 401 if token in expired else 200)
    auth.send(server, get("ses_full", "tok-a"), {})
    auth.send(server, get("unrouted", "tok-a"), {})
    expired.add("tok-a")
    assert auth.send(server, get("ses_nulls", "tok-a"), {}).status_code == 200
    assert server.sent[2:] == [("tok-a", "ses_nulls"), ("tok-a", "ses_full"), ("tok-b", "ses_nulls")]


def test_a_process_where_nothing_worked_yet_probes_a_known_read_once_a_token_worked_elsewhere(tmp_path):
    # Under pytest -n, a worker whose first requests come after the token expired has no request of
    # its own that worked: a known session's read (TokenAuth.probe_urls) tells expiry from the
    # request's own 401. Seen as 15 false "401 with the valid token" of unusual ids in one worker.
    tokens = Tokens(Secret("tok-a"), command=in_turn(tmp_path, "tok-b"))
    elsewhere, here = TokenAuth(tokens), TokenAuth(tokens)
    here.probe_urls = ("http://127.0.0.1:9/v1/sessions/ses_full",)
    expired = set()
    server = FakeServer(lambda token, path: 401 if token in expired else 200)
    elsewhere.send(server, get("ses_full", "tok-a"), {})  # the token works in another process
    expired.add("tok-a")
    assert here.send(server, get("odd", "tok-a"), {}).status_code == 200
    assert server.sent[1:] == [("tok-a", "odd"), ("tok-a", "ses_full"), ("tok-b", "odd")]
    # A token that worked nowhere in the run is not probed, nor renewed: a wrong one.
    (tmp_path / "x").mkdir()
    never = TokenAuth(Tokens(Secret("tok-x"), command=in_turn(tmp_path / "x", "tok-y")))
    never.probe_urls = here.probe_urls
    refused = FakeServer(lambda token, path: 401)
    assert never.send(refused, get("odd", "tok-x"), {}).status_code == 401
    assert refused.sent == [("tok-x", "odd")]


def test_a_renewed_tokens_401_stands_when_a_request_that_worked_works_with_it(tmp_path):
    tokens = Tokens(Secret("tok-a"), command=in_turn(tmp_path, "tok-b", "tok-c"))
    auth = TokenAuth(tokens)
    expired = set()
    server = FakeServer(lambda token, path: 401 if token in expired or path == "odd" else 200)
    auth.send(server, get("ses_full", "tok-a"), {})
    expired.add("tok-a")
    assert auth.send(server, get("odd", "tok-a"), {}).status_code == 401  # odd: 401 with any token
    assert server.sent[1:] == [("tok-a", "odd"), ("tok-a", "ses_full"), ("tok-b", "odd"), ("tok-b", "ses_full")]
    assert tokens.report()["refreshes"] == 1  # tok-b works: not renewed again


def test_a_token_that_never_worked_is_not_renewed_and_a_fixed_one_that_expires_stops_the_run():
    from chaser_conformance.transport.client import RunStopped

    auth = TokenAuth(Tokens(Secret("tok-a")))
    refused = FakeServer(lambda token, path: 401)
    assert auth.send(refused, get("ses_full", "tok-a"), {}).status_code == 401
    assert refused.sent == [("tok-a", "ses_full")]  # no probe: nothing ever succeeded with it
    expired = set()
    server = FakeServer(lambda token, path: 401 if token in expired else 200)
    auth.send(server, get("ses_full", "tok-a"), {})
    expired.add("tok-a")
    with pytest.raises(RunStopped, match="^token expired during the run") as stop:
        auth.send(server, get("ses_nulls", "tok-a"), {})
    assert stop.value.exit_code == 69


def test_replay_uses_a_current_token_from_the_command_never_one_of_the_run(tmp_path):
    from test_workflows import command

    clock = Ticks()
    store = Store(token_ttl=TTL, clock=clock)
    with serve_in_thread(["missing-id"], store=store) as server:
        env = env_for(server, store, CHASER_TOKEN_COMMAND=token_command(server), CHASER_PROFILE="quick")
        run = run_suite_forked(tmp_path, env)
        assert run.returncode == 1, run.output[-3000:]
        of_the_run = set(issued(store))
        for _ in range(TTL):
            clock()  # every token of the run has expired
        replay = command("replay", tmp_path / "reports", env={"CHASER_TOKEN_COMMAND": env["CHASER_TOKEN_COMMAND"]})
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "still failing: GET " in replay.stdout and "[schema required at /id]" in replay.stdout
    assert "-> 401" not in replay.stdout.split("\n")[0]  # (a port may hold the digits 401)
    fresh = set(issued(store)) - of_the_run
    assert len(fresh) == 1 and not any(t in replay.stdout + replay.stderr for t in set(issued(store)))

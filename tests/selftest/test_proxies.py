"""Proxies are honoured and named: the `proxy` setting or the environment's (HTTP_PROXY, NO_PROXY...),
every request through it (the byte-for-byte ones too), its credentials never shown, a failure to
reach it named, and a loopback target direct unless the proxy is on loopback too."""

import json

import pytest

from chaser_conformance.server.app import serve_in_thread
from chaser_conformance.transport.proxies import route
from proxy import ForwardingProxy
from runner import refused_port, run_suite_forked, target_env

PASSWORD = "pw-proxy-Kx71-never-shown"
QUICK = ["-k", "known_session_returns or unknown_id_returns or near_miss or learns_nothing or unusual_id"]


def summary(tmp_path):
    return json.loads((tmp_path / "reports" / "summary.json").read_text())


@pytest.mark.parametrize("given_as", ["CHASER_PROXY", "HTTP_PROXY", "all_proxy"])
def test_a_run_through_a_proxy_passes_names_it_and_sends_every_request_through_it(tmp_path, given_as):
    with serve_in_thread() as server, ForwardingProxy() as proxy:
        url = proxy.url.replace("http://", f"http://user:{PASSWORD}@")
        run = run_suite_forked(tmp_path, target_env(server) | {given_as: url}, QUICK)
        received = len(server.app.journal)
    assert run.returncode == 0, run.output[-3000:]
    source = "env CHASER_PROXY" if given_as == "CHASER_PROXY" else f"env {given_as}"
    assert f"proxy = http://****@127.0.0.1:{url.rsplit(':', 1)[1]}  [{source}" in run.output, run.output[:3000]
    sent = summary(tmp_path)["requests_sent"]
    assert len(proxy.forwarded) == sent == received  # every request, near misses sent byte for byte too
    assert any(" http://127.0.0.1:" in line and "%" in line for line in proxy.forwarded)  # a raw near miss
    assert set(proxy.authorizations) == {"Basic dXNlcjpwdy1wcm94eS1LeDcxLW5ldmVyLXNob3du"}
    assert PASSWORD not in run.output
    assert not any(PASSWORD.encode() in p.read_bytes() for p in (tmp_path / "reports").iterdir() if p.is_file())


def test_an_https_target_goes_through_a_connect_tunnel(tmp_path, certificate):
    with serve_in_thread(tls=certificate) as server, ForwardingProxy() as proxy:
        env = target_env(server) | {"CHASER_PROXY": proxy.url, "CHASER_CA_BUNDLE": certificate[0]}
        run = run_suite_forked(tmp_path, env, QUICK)
    assert run.returncode == 0, run.output[-3000:]
    assert proxy.forwarded and all(line.startswith("CONNECT 127.0.0.1:") for line in proxy.forwarded)


def test_an_unreachable_proxy_is_named_in_one_line_and_exit_69(tmp_path):
    with serve_in_thread() as server, refused_port() as port:
        dead = f"http://127.0.0.1:{port}"
        run = run_suite_forked(tmp_path, target_env(server) | {"HTTP_PROXY": dead})
    assert run.returncode == 69, run.output[-3000:]
    line = f"chaser: target unreachable: {server.base_url} through the proxy {dead}: "
    assert line in run.output and "Traceback" not in run.output, run.output[-3000:]
    assert summary(tmp_path)["verdict"] == "unreachable"


def test_no_proxy_and_a_loopback_target_go_direct_and_say_why(tmp_path):
    with serve_in_thread() as server, refused_port() as port:
        dead = f"http://127.0.0.1:{port}"
        run = run_suite_forked(tmp_path, target_env(server) | {"HTTP_PROXY": dead, "NO_PROXY": "127.0.0.1"}, QUICK)
    assert run.returncode == 0, run.output[-3000:]
    assert "proxy = none  [127.0.0.1 is in NO_PROXY]" in run.output


def test_the_route_to_a_target():
    env = {"HTTPS_PROXY": "http://10.0.0.8:3128", "HTTP_PROXY": "http://10.0.0.9:3128", "no_proxy": ".internal"}
    assert route("https://api.example.test", None, "-", env).proxy == "http://10.0.0.8:3128"
    assert route("http://api.example.test", None, "-", env).proxy == "http://10.0.0.9:3128"
    assert route("https://api.svc.internal", None, "-", env).why == "api.svc.internal is in NO_PROXY"
    direct = route("http://localhost:8080", None, "-", env)
    assert direct.proxy is None and direct.why.startswith("localhost is loopback, which the proxy http://10.0.0.9")
    # A proxy on loopback reaches a loopback target; a configured proxy wins over the environment.
    assert route("http://[::1]:8080", "http://127.0.0.1:3128", "CHASER_PROXY", env).proxy == "http://127.0.0.1:3128"
    assert route("https://api.example.test", "http://p.example:1", "CHASER_PROXY", env).why == "CHASER_PROXY"
    assert route("https://api.example.test", None, "-", {}).proxy is None


@pytest.mark.parametrize(
    "value, why",
    [
        ("socks5://127.0.0.1:1080", "only http:// proxies are supported"),
        ("http://:3128", "has no host"),
        ("http://proxy:port", "is not a valid proxy URL"),
    ],
)
def test_a_proxy_in_the_environment_that_cannot_be_used_is_a_usage_error_naming_it(tmp_path, value, why):
    with pytest.raises(ValueError, match=f"HTTPS_PROXY \\(environment\\): .*{why}"):
        route("https://api.example.test", None, "-", {"HTTPS_PROXY": value})
    with serve_in_thread() as server:
        env = target_env(server) | {"CHASER_BASE_URL": server.base_url.replace("127.0.0.1", "localhost")}
        run = run_suite_forked(tmp_path, env | {"HTTP_PROXY": value})
    assert run.returncode == 4 and "HTTP_PROXY (environment): " in run.output, run.output[-2000:]

"""Settings: precedence, sources, and usage errors that name the setting and its source."""

import pytest

from chaser_conformance.secret import Secret
from chaser_conformance.settings import FIELDS, SettingsError, Source, resolve

REMOTE = {
    "CHASER_BASE_URL": "https://staging.example.test",
    "CHASER_API_TOKEN": "tok-123",
    "CHASER_SESSION_ID": "s1,s2",
}


def write_config(tmp_path, text, name="chaser.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_with_nothing_set_the_target_is_the_embedded_server(tmp_path):
    s = resolve({}, env={}, rootdir=tmp_path)
    assert s.embedded and s.api_token is None and s.session_id == () and s.profile == "quick"
    assert all(s.source_of(f.name) == Source("default", "") for f in FIELDS)


def test_environment_names_a_remote_target(tmp_path):
    s = resolve({}, env=REMOTE | {"CHASER_FOREIGN_SESSION_ID": "other-1"}, rootdir=tmp_path)
    assert (s.base_url, str(s.api_token), s.session_id, s.foreign_session_id) == (
        "https://staging.example.test",
        "tok-123",
        ("s1", "s2"),
        "other-1",
    )
    assert str(s.source_of("base_url")) == "env CHASER_BASE_URL"


def test_precedence_is_cli_then_env_then_file_then_default(tmp_path):
    write_config(tmp_path, 'profile = "deep"\nread_timeout = 30\nconnect_timeout = 2\n')
    s = resolve({"chaser_profile": "ci"}, env={"CHASER_READ_TIMEOUT": "20"}, rootdir=tmp_path)
    assert (s.profile, s.read_timeout, s.connect_timeout, s.rate_limit) == ("ci", 20.0, 2.0, 0.0)
    assert [s.source_of(n).kind for n in ("profile", "read_timeout", "connect_timeout", "rate_limit")] == [
        "cli",
        "env",
        "file",
        "default",
    ]


def test_a_config_file_can_be_named_by_env_and_by_cli(tmp_path):
    by_env = write_config(tmp_path, 'profile = "ci"\n', "env.toml")
    by_cli = write_config(tmp_path, 'profile = "deep"\n', "cli.toml")
    env = {"CHASER_CONFIG": str(by_env)}
    assert resolve({}, env=env, rootdir=tmp_path).profile == "ci"
    assert resolve({"chaser_config": str(by_cli)}, env=env, rootdir=tmp_path).profile == "deep"


def test_a_file_lists_session_ids_as_an_array_and_waivers_relative_to_itself(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "waivers.toml").write_text("")
    path = write_config(
        tmp_path / "conf",
        'base_url = "http://127.0.0.1:8000"\napi_token = "t"\nsession_id = ["a", "b"]\nwaivers = "waivers.toml"\n',
    )
    s = resolve({}, env={"CHASER_CONFIG": str(path)}, rootdir=tmp_path)
    assert s.session_id == ("a", "b") and s.waivers == (tmp_path / "conf" / "waivers.toml").resolve()


def test_the_token_is_a_secret_and_never_in_a_repr(tmp_path):
    s = resolve({}, env=REMOTE, rootdir=tmp_path)
    assert isinstance(s.api_token, Secret)
    assert "tok-123" not in repr(s) and "tok-123" not in "\n".join(s.describe())


@pytest.mark.parametrize(
    ("cli", "env", "message"),
    [
        (
            {},
            {"CHASER_BASE_URL": "ftp://x"},
            "CHASER_BASE_URL (environment): 'ftp://x' is not an http:// or https:// URL",
        ),
        ({"base_url": "http://"}, {}, "--base-url (command line): 'http://' has no host"),
        (
            {},
            {"CHASER_BASE_URL": "http://h:99999"},
            "CHASER_BASE_URL (environment): 'http://h:99999' has an invalid port",
        ),
        ({}, {"CHASER_BASE_URL": "http://h/x?y=1"}, "must not have a query"),
        ({}, {"CHASER_BASE_URL": "http://user:pw@h"}, "credentials belong in the token setting"),
        ({}, {"CHASER_BASE_URL": ""}, "CHASER_BASE_URL (environment) is set but empty"),
        ({}, {"CHASER_BASE_URL": "http://h"}, "needs a token: set CHASER_API_TOKEN"),
        ({}, {"CHASER_BASE_URL": "http://h", "CHASER_API_TOKEN": "t"}, "needs at least one session"),
        ({}, REMOTE | {"CHASER_SESSION_ID": " , "}, "CHASER_SESSION_ID (environment): no session id given"),
        ({}, REMOTE | {"CHASER_SESSION_ID": "a,a"}, "the same session id is listed twice"),
        (
            {},
            REMOTE | {"CHASER_FOREIGN_SESSION_ID": "s2"},
            "'s2' is also listed as a session of the account under test",
        ),
        ({}, REMOTE | {"CHASER_API_TOKEN": "Bearer abc"}, "give the token alone"),
        ({}, {"CHASER_API_TOKEN": "t"}, "CHASER_API_TOKEN (environment) given but no base URL"),
        ({"session_id": "s1"}, {}, "--session-id (command line) given but no base URL"),
        ({}, {"CHASER_PROFILE": "fast"}, "CHASER_PROFILE (environment): 'fast' is not one of quick, ci, deep"),
        ({"chaser_read_timeout": "0"}, {}, "--chaser-read-timeout (command line): '0' must be a positive number"),
        ({}, {"CHASER_CONNECT_TIMEOUT": "soon"}, "'soon' is not a number"),
        ({}, {"CHASER_RATE_LIMIT": "-1"}, "must be a non-negative number"),
        (
            {},
            {"CHASER_WAIVERS": "/nonexistent/waivers.toml"},
            "CHASER_WAIVERS (environment): '/nonexistent/waivers.toml' is not a file",
        ),
        (
            {},
            {"CHASER_CONFIG": "/nonexistent/chaser.toml"},
            "CHASER_CONFIG (environment): config file '/nonexistent/chaser.toml' does not exist",
        ),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_setting_and_source(tmp_path, cli, env, message):
    with pytest.raises(SettingsError) as raised:
        resolve(cli, env=env, rootdir=tmp_path)
    assert message in str(raised.value)


def test_a_malformed_token_is_rejected_without_echoing_it(tmp_path):
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=REMOTE | {"CHASER_API_TOKEN": "sec ret-value"}, rootdir=tmp_path)
    assert "white space" in str(raised.value) and "ret-value" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('profle = "ci"\n', "unknown setting 'profle' (did you mean 'profile'?)"),
        ("profile = 3\n", "'profile' in "),
        ('read_timeout = "x"\n', "'x' is not a number"),
        ("read_timeout = true\n", "expected a number, got bool"),
        ('profile = "ci\n', "chaser.toml"),
    ],
)
def test_a_bad_config_file_is_a_usage_error_naming_the_file(tmp_path, text, message):
    write_config(tmp_path, text)
    with pytest.raises(SettingsError) as raised:
        resolve({}, env={}, rootdir=tmp_path)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("url", "env"),
    [
        ("http://127.0.0.1:8000", {}),
        ("http://localhost:8000", {}),
        ("http://[::1]:8000", {}),
        ("http://127.10.0.1", {}),
        ("https://staging.example.test", {}),
        ("http://staging.example.test", {"CHASER_ALLOW_INSECURE_HTTP": "1"}),
    ],
)
def test_the_token_may_travel_unencrypted_only_on_loopback_or_when_allowed(tmp_path, url, env):
    assert resolve({}, env=REMOTE | {"CHASER_BASE_URL": url} | env, rootdir=tmp_path).base_url == url


def test_embedded_mode_reads_no_target_from_the_environment_or_a_config_file(tmp_path):
    write_config(tmp_path, 'base_url = "https://from-file.example.test"\nprofile = "deep"\n')
    env = REMOTE | {"CHASER_SEED": "42", "CHASER_PROFILE": "ci", "CHASER_STRICT": "1"}
    s = resolve({}, env=env, rootdir=tmp_path, embedded=True)
    assert s.embedded and s.api_token is None and s.session_id == () and s.config_file is None
    assert (s.seed, s.profile, s.strict) == (42, "ci", True)  # settings that do not choose the target apply
    assert s.ignored == ("CHASER_API_TOKEN", "CHASER_BASE_URL", "CHASER_SESSION_ID")


def test_embedded_mode_with_a_target_on_the_command_line_is_a_usage_error(tmp_path):
    with pytest.raises(SettingsError, match="--chaser-embedded tests the embedded reference server; drop --base-url"):
        resolve({"base_url": "https://x.example.test"}, env={}, rootdir=tmp_path, embedded=True)


def test_the_description_shows_the_values_used_with_their_source(tmp_path):
    s = resolve({}, env={"CHASER_PROFILE": "ci"}, rootdir=tmp_path)
    lines = s.describe({"seed": (7, "random; replay with CHASER_SEED"), "api_token": (Secret("t"), "embedded server")})
    assert "seed = 7  [random; replay with CHASER_SEED]" in lines and "api_token = ****  [embedded server]" in lines
    assert "profile = ci  [env CHASER_PROFILE]" in lines

"""Settings: precedence, sources, and usage errors that name the setting and its source."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaser_conformance.run.waivers import WaiverError, load_waivers
from chaser_conformance.settings import FIELDS, SettingsError, Source, resolve
from chaser_conformance.settings.redact import redact, shown
from chaser_conformance.settings.secret import Secret

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


@pytest.mark.parametrize("name", ["CHASER_BASE_URL", "CHASER_API_TOKEN", "CHASER_SESSION_ID"])
def test_an_empty_target_variable_is_still_an_error(tmp_path, name):
    # Read as unset, an empty base URL would test the embedded server and pass: a green build of nothing.
    with pytest.raises(SettingsError, match=f"{name} \\(environment\\) is set but empty"):
        resolve({}, env=REMOTE | {name: " "}, rootdir=tmp_path)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CHASER_BASE_URL": "https://h"}, ["needs a token", "at least one session"]),
        (REMOTE | {"CHASER_API_TOKEN": "", "CHASER_SESSION_ID": " "}, ["CHASER_API_TOKEN", "CHASER_SESSION_ID"]),
        ({"CHASER_BASE_URL": "https://h", "CHASER_API_TOKEN": ""}, ["CHASER_API_TOKEN", "at least one session"]),
        ({"CHASER_BASE_URL": "https://h", "CHASER_SESSION_ID": ""}, ["needs a token", "CHASER_SESSION_ID"]),
    ],
)
def test_every_missing_or_empty_required_setting_is_named_in_one_error(tmp_path, env, named):
    # A CI job whose secrets did not arrive is fixed in one round trip, not one per setting.
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=env, rootdir=tmp_path)
    message = str(raised.value)
    assert all(part in message for part in named), message
    assert "unset it" not in message and "\n" not in message


def test_an_empty_optional_variable_is_read_as_unset_and_named(tmp_path):
    # A CI secret store expands a secret that does not exist to an empty string.
    empty = ["CHASER_CONFIG", "CHASER_FOREIGN_SESSION_ID", "CHASER_PROFILE", "CHASER_SEED", "CHASER_STRICT"]
    s = resolve({}, env=REMOTE | dict.fromkeys(empty, "") | {"CHASER_WAIVERS": " "}, rootdir=tmp_path)
    assert s == resolve({}, env=REMOTE, rootdir=tmp_path)
    assert s.empty == tuple(sorted([*empty, "CHASER_WAIVERS"]))
    assert "foreign_session_id" not in s.sources and s.profile == "quick" and s.seed is None
    # Only the environment: an empty option or config key is still a mistake to report.
    with pytest.raises(SettingsError, match="--chaser-seed \\(command line\\) is set but empty"):
        resolve({"chaser_seed": ""}, env=REMOTE, rootdir=tmp_path)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("sec ret-value", "contains white space (character 4 of 13)"),
        ("secret-valué", "contains a non-ASCII character (character 12 of 12); a bearer token is made of A-Z a-z 0-9"),
        ("secret€value", "contains a non-ASCII character"),
        ('"secret-value"', "contains '\"' (character 1 of 14); a bearer token is made of A-Z a-z 0-9"),
        ("secret=value", "has '=' before its end"),
        ("secret\x01value", "contains a control or invisible character (character 7 of 12)"),
    ],
)
def test_a_token_outside_rfc_6750_b64token_is_rejected_without_echoing_it(tmp_path, token, message):
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=REMOTE | {"CHASER_API_TOKEN": token}, rootdir=tmp_path)
    assert str(raised.value).startswith("CHASER_API_TOKEN (environment): ") and message in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    "token", ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x", "0123abcdef", "YWJj+/==", "a~b.c_d-e"]
)
def test_real_token_shapes_are_accepted(tmp_path, token):
    assert str(resolve({}, env=REMOTE | {"CHASER_API_TOKEN": token}, rootdir=tmp_path).api_token) == token


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://user:secretpass@h.test/x", "'ftp://****@h.test/x' is not an http:// or https:// URL"),
        ("http://user:secretpass@h.test:99999", "'http://****@h.test:99999': credentials belong in the token"),
        ("https://u:pa/secretpass@h.test", "'https://****@h.test' has an invalid port (or credentials"),
        ("https://h.test/api?key=secretpass&x", "'https://h.test/api?key=****&****' must not have a query"),
        ("https://h.test/#secretpass", "'https://h.test/#****' must not have a query or a fragment"),
        ("https://a..b.test", "'a..b.test' is not a valid host name"),
    ],
)
def test_a_bad_base_url_is_shown_redacted_whatever_the_check(tmp_path, url, message):
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=REMOTE | {"CHASER_BASE_URL": url}, rootdir=tmp_path)
    assert message in str(raised.value) and "secretpass" not in str(raised.value)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("a,,b", "session id #2 of 3 is empty (two commas in a row, or one at an end)"),
        ("a,b,", "session id #3 of 3 is empty"),
        ("a,b\x00", "session id #2 'b\\x00' contains control characters"),
    ],
)
def test_an_empty_or_unprintable_session_id_is_named_by_its_position(tmp_path, ids, message):
    with pytest.raises(SettingsError, match="CHASER_SESSION_ID \\(environment\\): ") as raised:
        resolve({}, env=REMOTE | {"CHASER_SESSION_ID": ids}, rootdir=tmp_path)
    assert message in str(raised.value)


def test_any_printable_session_id_is_accepted_since_it_is_percent_encoded(tmp_path):
    s = resolve({}, env=REMOTE | {"CHASER_SESSION_ID": "a/b?c#d, é€ %zz"}, rootdir=tmp_path)
    assert s.session_id == ("a/b?c#d", "é€ %zz")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHASER_SEED": "9" * 5000}, "must be at most 9223372036854775807"),
        ({"CHASER_SEED": "1.5"}, "'1.5' is not a whole number"),
        ({"CHASER_MAX_REQUESTS": "0"}, "'0' must be at least 1"),
        ({"CHASER_READ_TIMEOUT": "nan"}, "'nan' is not a number"),
        ({"CHASER_READ_TIMEOUT": "1e300"}, "must be a positive number of seconds, at most 3600"),
        ({"CHASER_CONNECT_TIMEOUT": "1_0"}, "'1_0' is not a number"),
        ({"CHASER_RATE_LIMIT": "1e-300"}, "0 (unlimited) or at least 0.001 requests per second"),
        ({"CHASER_STRICT": "2"}, "'2' is not one of true, false"),
        ({"CHASER_REPORTS_DIR": "/etc/hostname/reports"}, "cannot be created: '/etc/hostname' is not a directory"),
    ],
)
def test_numbers_flags_and_paths_out_of_range_are_usage_errors(tmp_path, env, message):
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=env, rootdir=tmp_path)
    assert message in str(raised.value) and len(str(raised.value)) < 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('profle = "ci"\n', "unknown setting 'profle' (did you mean 'profile'?)"),
        ("profile = 3\n", "'profile' in "),
        ('read_timeout = "x"\n', "'x' is not a number"),
        ("read_timeout = true\n", "expected a number, got bool"),
        ('profile = "ci\n', "chaser.toml"),
        ("[profile]\nx = 1\n", "'profile' in "),
        ('session_id = ["a", ""]\n', "session id #2 of 2 is empty (an empty string in the array)"),
        (b"profile = '\xe9'\n", "is not UTF-8 text (byte 0xe9 at offset 11)"),
        ("seed = 1" + "0" * 5000, "a number too long or arrays nested too deeply"),
    ],
)
def test_a_bad_config_file_is_a_usage_error_naming_the_file(tmp_path, text, message):
    (tmp_path / "chaser.toml").write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SettingsError) as raised:
        resolve({}, env={}, rootdir=tmp_path)
    assert message in str(raised.value) and str(tmp_path / "chaser.toml") in str(raised.value)


def test_a_config_file_that_is_a_directory_is_a_usage_error_naming_it(tmp_path):
    with pytest.raises(SettingsError, match="config file '.*' is a directory, not a file"):
        resolve({"chaser_config": str(tmp_path)}, env={}, rootdir=tmp_path)


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "chaser.toml").write_bytes(b"\xef\xbb\xbfprofile = 'ci'\n")
    assert resolve({}, env={}, rootdir=tmp_path).profile == "ci"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[[waiver]]\ntest = '\xff'\n", "is not UTF-8 text (byte 0xff at offset 19)"),
        (b"waiver = 'x'\n", "'waiver' must be an array of tables, written [[waiver]]"),
        (b"waiver = [1]\n", "'waiver' must be an array of tables"),
    ],
)
def test_a_bad_waivers_file_is_a_usage_error_naming_it(tmp_path, data, message):
    path = tmp_path / "waivers.toml"
    path.write_bytes(data)
    with pytest.raises(WaiverError) as raised:
        load_waivers(resolve({}, env={"CHASER_WAIVERS": str(path)}, rootdir=tmp_path).waivers)
    assert str(raised.value).startswith(f"waivers file {str(path)!r}") and message in str(raised.value)


def test_redaction_hides_userinfo_query_values_and_fragment_of_anything_shown():
    assert redact("ftp://user:pw@h/x?a=1&b;c#f") == "ftp://****@h/x?a=****&****;****#****"
    assert redact("user:pw@h") == "****@h" and redact("https://u:p/w@h") == "https://****@h"
    # An '@' after a '?' or '#' may end a password holding it, or sit in a query value or the
    # fragment: what follows it is masked too. A port that is not a number is a password cut short.
    assert redact("https://u:p/w?x@h") == "https://****@****" == redact("https://h?q=sec@ret#f")
    assert redact("100?api_key=q@sec") == "****@****" and redact("#access_token@=sec") == "****@****"
    assert redact("https://user:sec") == "https://****" == redact("https://user:sec/ret")
    assert redact("http://[::1]:8080/v1?x=1") == "http://[::1]:8080/v1?x=****"
    assert shown("x" * 500) == repr("x" * 197 + "...") and shown("a\nb") == "'a\\nb'"


# The secrets below are written only with these letters; nothing else in a composed value has them.
SECRET_LETTERS = "QXZ"
_secret = st.text(SECRET_LETTERS + "/?#:@&=;[]%", min_size=1, max_size=8).filter(
    lambda t: any(c in SECRET_LETTERS for c in t)
)
_plain = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", max_size=8)


@st.composite
def urls_with_secrets(draw):
    """A value as a user may paste it: a URL (or a piece of one) whose password, query values and
    fragment are secrets holding any of '/', '?', '#', ':', '@', then perhaps cut anywhere."""
    scheme = draw(st.sampled_from(["", "https://", "http://", "git+ssh://"]))
    password = draw(_secret)
    userinfo = draw(st.sampled_from(["", f"{draw(_plain)}:{password}@", f":{password}@"]))
    host = draw(st.sampled_from([draw(_plain) or "h", "[::1]", "127.0.0.1"]))
    port = draw(st.sampled_from(["", ":8443"]))
    path = draw(st.sampled_from(["", "/", "/v1/sessions"]))
    pairs = draw(st.lists(st.tuples(_plain, _secret), max_size=3))
    query = "?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else ""
    fragment = "#" + draw(_secret) if draw(st.booleans()) else ""
    value = scheme + userinfo + host + port + path + query + fragment
    if "@" not in password and draw(st.booleans()):
        # Cut anywhere. (A value cut inside a password that holds an '@' reads as a whole URL whose
        # host is the password's end: no reading of the text alone can tell, so it is left out.)
        value = value[: draw(st.integers(0, len(value)))]
    return value


@settings(derandomize=True, database=None, max_examples=1000, deadline=None)
@given(value=urls_with_secrets())
def test_no_part_of_a_password_query_value_or_fragment_is_ever_shown(value):
    assert not set(SECRET_LETTERS) & set(shown(value)), (value, shown(value))


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
    with pytest.raises(SettingsError, match="--embedded tests the embedded reference server; drop --base-url"):
        resolve({"base_url": "https://x.example.test"}, env={}, rootdir=tmp_path, embedded=True)


def test_the_description_shows_the_values_used_with_their_source(tmp_path):
    s = resolve({}, env={"CHASER_PROFILE": "ci"}, rootdir=tmp_path)
    lines = s.describe({"seed": (7, "random; replay with CHASER_SEED"), "api_token": (Secret("t"), "embedded server")})
    assert "seed = 7  [random; replay with CHASER_SEED]" in lines and "api_token = ****  [embedded server]" in lines
    assert "profile = ci  [env CHASER_PROFILE]" in lines


def test_a_true_or_false_option_works_bare_and_with_a_value(tmp_path):
    from _pytest.config.argparsing import Parser

    from chaser_conformance.plugin import pytest_addoption

    parser = Parser(_ispytest=True)
    pytest_addoption(parser)
    for argv, strict in ((["--chaser-strict"], True), (["--chaser-strict=false"], False), ([], False)):
        options = parser.parse(argv)
        cli = {"chaser_strict": options.chaser_strict}
        assert resolve({k: v for k, v in cli.items() if v is not None}, env={}, rootdir=tmp_path).strict is strict


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CHASER_SESSION_ID", ",".join(f"ses_{i}" for i in range(101)), "101 session ids; at most 100"),
        ("CHASER_SESSION_ID", "s" * 1001, "of 1,001 characters; at most 1,000"),
        ("CHASER_FOREIGN_SESSION_ID", "s" * 1001, "of 1,001 characters; at most 1,000"),
        ("CHASER_API_TOKEN", "t" * 16385, "a token of 16,385 characters; at most 16,384"),
        ("CHASER_BASE_URL", "https://api.example.test/" + "v" * 2000, "a URL of 2,025 characters; at most 2,000"),
        ("CHASER_TOKEN_COMMAND", "echo " + "x" * 70000, "a value of 70,005 characters; a setting takes at most 65,536"),
    ],
    ids=["ids", "id", "foreign-id", "token", "url", "any"],
)
def test_a_value_past_its_bound_is_one_line_that_shows_no_more_than_a_line(tmp_path, variable, value, said):
    env = {
        "CHASER_BASE_URL": "https://api.example.test",
        "CHASER_API_TOKEN": "tok",
        "CHASER_SESSION_ID": "ses_1",
        variable: value,
    }
    with pytest.raises(SettingsError) as raised:
        resolve({}, env=env, rootdir=tmp_path)
    message = str(raised.value)
    assert said in message and "\n" not in message and len(message) < 500, message


def test_a_value_at_its_bound_is_accepted(tmp_path):
    url = "https://api.example.test/" + "v" * (2000 - len("https://api.example.test/"))
    ids = ["s" * 1000, *(f"ses_{i}" for i in range(99))]
    env = {"CHASER_BASE_URL": url, "CHASER_API_TOKEN": "t" * 16384, "CHASER_SESSION_ID": ",".join(ids)}
    found = resolve({}, env=env | {"CHASER_FOREIGN_SESSION_ID": "f" * 1000}, rootdir=tmp_path)
    assert len(found.session_id) == 100 and found.base_url == url

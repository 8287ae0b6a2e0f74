"""The harm model (chaser_conformance/contract/rules.py): every rule raised has a class, every class row is
raised somewhere, the README's table is the module's, per-rule levels, and the statuses HTTP
prescribes graded as the table says (501 and HEAD, a refusal of a malformed request, a redirect to
the request's own normalised URL), each cause identified by its rule and where it bites."""

import ast
import json
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict

from chaser_conformance.checks import ContractViolation, Exchange, Judge, RunRecord
from chaser_conformance.contract import rules
from chaser_conformance.contract.rules import Levels, parse_levels
from chaser_conformance.contract.spec import load_contract
from chaser_conformance.reports.model import Causes
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport.client import Target

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-rules-never-print-me"
BASE = "http://127.0.0.1:1"
TARGET = Target(BASE, Secret(TOKEN), ("ses_full",), "ses_other", embedded=False)


def _raised_rule_names():
    """Every rule name the package and the conformance tests can raise, read from the source: the
    first argument of each Problem(...) that is a literal, and 'status for <check>' of each
    judge.expect(<check>, ...) whose check is a literal."""
    names = {}
    for path in [*ROOT.joinpath("chaser_conformance").rglob("*.py"), *ROOT.joinpath("tests/conformance").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if called == "Problem" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
            if called == "expect" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.setdefault(f"status for {first.value}", f"{path.relative_to(ROOT)}:{node.lineno}")
    return names


def test_every_rule_raised_has_a_class():
    raised = _raised_rule_names()
    assert len(raised) > 30  # the scan finds the Judge's rules (a scan that finds nothing proves nothing)
    unknown = {name: where for name, where in raised.items() if not rules.known(name)}
    assert not unknown, f"rules without a row in rules.py: {unknown}"


def test_every_row_of_the_table_is_raised_somewhere():
    raised = set(_raised_rule_names())
    source = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.joinpath("chaser_conformance").rglob("*.py"))
    dead = [
        r.name
        for r in rules.RULES
        if not (r.family or r.name in raised or f'"{r.name}"' in source.replace(f'Rule("{r.name}"', ""))
    ]
    assert not dead, f"rows no code raises: {dead}"


def test_the_readme_table_is_the_modules():
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    assert "\n".join(rules.markdown()) in readme, "regenerate it: python -m chaser_conformance.contract.rules"


def test_each_class_has_its_default_and_strict_fails_only_advisories():
    default, strict = Levels(), Levels(strict=True)
    expected = {"contract": "fail", "exposure": "fail", "protocol": "fail", "leniency": "advise", "hygiene": "advise"}
    for r in rules.RULES:
        if r.harm == "inconclusive":
            assert default.of(r.name) == strict.of(r.name) == "advise"
        else:
            assert default.of(r.name) == expected[r.harm]
            assert strict.of(r.name) == "fail"


def test_rule_levels_parse_and_refuse_what_cannot_be_meant():
    assert parse_levels([("401 undocumented", "off"), ("lenient credential", "FAIL")]) == {
        "401 undocumented": "off",
        "lenient credential": "fail",
    }
    assert parse_levels([("schema required", "advise")]) == {"schema required": "advise"}  # a family's member
    with pytest.raises(ValueError, match="unknown rule '401 undocumentd' \\(closest: 401 undocumented.*--help"):
        parse_levels([("401 undocumentd", "fail")])
    with pytest.raises(ValueError, match="not one of fail, advise, off"):
        parse_levels([("cors", "warn")])
    with pytest.raises(ValueError, match="inconclusive: it never fails"):
        parse_levels([("HEAD inconclusive", "fail")])


def judge(**levels):
    return Judge(load_contract(), TARGET, RunRecord(), levels=Levels(overrides=levels))


def exchange(status, sid="ses_full", method="GET", auth=None, body=b"", url=None, **headers):
    return Exchange(
        method,
        url or f"{BASE}/v1/sessions/{sid}",
        CaseInsensitiveDict({"Authorization": Secret(auth or f"Bearer {TOKEN}")}),
        status,
        "",
        CaseInsensitiveDict(headers),
        body,
    )


@pytest.mark.parametrize("status", [405, 501])
def test_head_not_supported_is_leniency(status):
    j = judge()
    ex = exchange(status, method="HEAD", Allow="GET")
    failures, (advisory,) = j.assess(ex)
    assert failures == []
    assert advisory.rule == "HEAD not supported" and rules.rule(advisory.rule).harm == "leniency"
    assert j.settled(ex)
    with pytest.raises(ContractViolation, match=r"HEAD not supported: .* \(leniency: fails under"):
        judge(**{"HEAD not supported": "fail"})("head", ex)


def test_501_is_not_a_server_error_but_a_get_must_be_implemented():
    failures, _ = judge().assess(exchange(501, method="PUT", sid="nope"))
    assert failures == []
    failures, _ = judge().assess(exchange(501))
    assert [p.rule for p in failures] == ["undocumented status"]
    failures, _ = judge().assess(exchange(500, method="HEAD"))
    assert [p.rule for p in failures] == ["server error"]


def test_two_server_errors_of_different_statuses_or_methods_are_two_causes():
    causes = Causes()
    for status, method, sid in [(500, "GET", "x" * 1000), (503, "HEAD", "ses_full"), (500, "GET", "y" * 900)]:
        with pytest.raises(ContractViolation) as raised:
            judge()("probe", exchange(status, method=method, sid=sid))
        causes.add_finding("t", raised.value.finding)
    labels = sorted(c.title.split("]")[0] + "]" for c in causes.ordered())
    assert labels == ["[server error: 500 to GET]", "[server error: 503 to HEAD]"]
    example = next(c for c in causes.ordered() if c.where == "500 to GET")
    assert "y" * 900 in example.example  # the smallest input of that cause, not the HEAD's


@pytest.mark.parametrize(
    "requested, location",
    [
        ("ses_full%2F", "/v1/sessions/ses_full"),  # Starlette: the path decoded, then the slash redirected
        ("%2Fses_full", f"{BASE}/v1/sessions/ses_full"),  # Werkzeug: merged slashes, an absolute Location
        ("ses_full/", "/v1/sessions/ses_full"),
    ],
)
def test_a_redirect_to_the_requests_own_normalised_url_is_leniency(requested, location):
    j = judge()
    ex = exchange(307, sid=requested, Location=location)
    failures, advisories = j.assess(ex)
    assert failures == [] and [a.rule for a in advisories] == ["route normalised"]
    j.expect("near miss", ex, 404, "not found")  # settled: no status expected on top of it


@pytest.mark.parametrize(
    "requested, location",
    [
        ("ses_f%2All%2F", "/v1/sessions/ses_f*ll"),  # Starlette quotes Location with '*' and '%' safe
        ("ses_fu%25%2F", "/v1/sessions/ses_fu%25"),
        ("ses_full%2F", "https://127.0.0.1/v1/sessions/ses_full"),  # behind a TLS proxy: scheme and port differ
    ],
)
def test_a_redirect_is_compared_by_its_decoded_path_on_the_same_host(requested, location):
    failures, advisories = judge().assess(exchange(307, sid=requested, Location=location))
    assert failures == [] and [a.rule for a in advisories] == ["route normalised"]


@pytest.mark.parametrize(
    "requested, location",
    [
        ("ses_full%2F", "/v1/sessions/ses_other"),
        ("ses_full%2F", "https://elsewhere.example/v1/sessions/ses_full"),
        ("ses_full%2F", "/login"),
        ("ses_full%2F", "/v1/sessions/ses_full?id=ses_other"),
        ("x%2F..%2Fses_other", f"{BASE}/v1/sessions/x/../ses_other"),  # a dot segment names another session
        ("ses_full", "/v1/sessions/ses_full/"),  # from the documented spelling itself (a slash added)
        ("ses_full", "/v1//sessions/ses_full"),
    ],
)
def test_a_redirect_anywhere_else_keeps_todays_rules(requested, location):
    failures, advisories = judge().assess(exchange(307, sid=requested, Location=location))
    assert [p.rule for p in failures] == ["undocumented status"] and not advisories


def test_http_refusals_of_a_request_the_suite_made_malformed_are_not_findings():
    vt = exchange(400, auth=f"Bearer {TOKEN}\x0b")
    assert judge().assess(vt) == ([], []) and judge().settled(vt)
    # A refusal of a request too large to read is the server's limit: inconclusive, never a failure.
    big_fields = exchange(431)
    big_fields.request_headers["X-Big"] = "b" * 9000
    for long_request, what in (
        (exchange(414, sid="s" * 9000), "a request target of 9,013 octets"),
        (big_fields, "header fields of 9,"),
    ):
        failures, advisories = judge().assess(long_request)
        assert not failures and [(p.rule, p.inconclusive) for p in advisories] == [("request too large", True)]
        assert what in advisories[0].text and Levels(strict=True).of("request too large") == "advise"
    # The same request answered 200 is judged as ever; a 400 to a well-formed request is a finding.
    assert [p.rule for p in judge().assess(exchange(400))[0]] == ["undocumented status"]


def test_a_rule_set_off_is_not_reported_and_advisories_group_by_cause():
    record = RunRecord()
    j = Judge(load_contract(), TARGET, record, levels=Levels())
    for sid in ("a", "b", "c"):
        j("bad credentials", exchange(401, sid=sid, auth="Bearer wrong", **{"WWW-Authenticate": "Bearer"}))
    j("generated", exchange(401, sid="d", auth="Bearer wrong", **{"WWW-Authenticate": "Bearer"}))
    ((advisory, seen),) = record.advisories.items()
    assert (advisory.rule, advisory.where, advisory.harm) == ("401 undocumented", "401 to GET", "hygiene")
    assert seen.count == 4 and seen.checks == ["bad credentials", "generated"]
    quiet = RunRecord()
    Judge(load_contract(), TARGET, quiet, levels=Levels(overrides={"401 undocumented": "off"}))(
        "bad credentials", exchange(401, auth="Bearer wrong", **{"WWW-Authenticate": "Bearer"})
    )
    assert quiet.advisories == {}


def test_rule_levels_reach_the_run_and_summary(tmp_path):
    from runner import run_suite_forked

    env = {"CHASER_RULES": "401 undocumented=off,cors=fail", "CHASER_PROFILE": "quick"}
    run = run_suite_forked(tmp_path, env, ["-k", "unknown_id"])
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert run.returncode == 0, run.output[-2000:]
    assert summary["rule_levels_changed"] == ["401 undocumented=off", "cors=fail"]
    assert "rules = 401 undocumented=off,cors=fail" in run.output
    bad = run_suite_forked(tmp_path / "bad", {"CHASER_RULES": "no such rule=fail"}, ["-k", "unknown_id"])
    assert bad.returncode == 4 and "unknown rule 'no such rule'" in bad.output and "Traceback" not in bad.output


def test_a_level_holds_wherever_the_rule_is_raised():
    record = RunRecord()
    j = Judge(load_contract(), TARGET, record, levels=Levels(overrides={"status for unknown id": "advise"}))
    j.expect("unknown id", exchange(404, sid="x"), 200, "a test's expectation")  # recorded, not raised
    assert [a.rule for a in record.advisories] == ["status for unknown id"]
    j.fail("anything", exchange(404, sid="x"), [])  # nothing left to fail: no raise
    with pytest.raises(ValueError, match="cannot be moved"):
        parse_levels([("no answer", "off")])


def test_another_accounts_session_returned_for_an_id_is_an_exposure():
    body = json.dumps(
        {
            "id": "ses_other",
            "created_at": "2026-11-01T09:30:00Z",
            "session_type": "browser",
            "status": "running",
            "endpoints": {"control": "wss://example.test/ses_other"},
        }
    ).encode()
    failures, _ = judge().assess(exchange(200, sid="ses_full%20", body=body, **{"Content-Type": "application/json"}))
    assert "foreign session readable" in [p.rule for p in failures]


def test_a_refusal_of_input_openapi_yaml_declares_nowhere_is_not_a_finding():
    with_query = exchange(400, url=f"{BASE}/v1/sessions/ses_full?id=ses_other")
    assert judge().assess(with_query) == ([], [])
    assert judge().assess(exchange(422, url=f"{BASE}/v1/sessions/ses_full?x=1")) == ([], [])
    # Without any such input, a 400 is the undocumented status it always was.
    assert [p.rule for p in judge().assess(exchange(400, url=f"{BASE}/v1/sessions/ses_full"))[0]] == [
        "undocumented status"
    ]


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        ("own-session-id-wins", "id echo"),  # the caller may read both: the contract's exact session
        ("session-header-wins", "read chosen by a parameter"),  # another account's session: exposure
        ("query-id-fallback", "read chosen by a parameter"),  # a session read for an unknown path id
    ],
)
def test_a_parameter_that_chooses_the_session_is_an_exposure_only_beyond_the_callers_own_reads(tmp_path, fault, rule):
    from chaser_conformance.server import serve_in_thread
    from runner import run_suite_forked, target_env

    with serve_in_thread([fault]) as server:
        run = run_suite_forked(tmp_path, target_env(server), ["tests/conformance/test_parameters.py"], html=False)
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert run.returncode == 1, run.output[-2000:]
    assert {cause["rule"] for cause in summary["causes"]} == {rule}, summary["causes"]

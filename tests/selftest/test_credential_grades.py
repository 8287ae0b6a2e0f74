"""Credentials graded by what they prove (issue 24): every transformation of the token says whether
its result still carries the whole token or loses part of it; a composition is lossy when a lossy
step took effect on the token; shrinking keeps the kind; a read with the first is a leniency
advisory that names it, with the second an exposure failure that names it; a 400 to a credential
that breaks HTTP's field syntax is HTTP's answer."""

import pytest

from chaser_conformance.checks import ContractViolation, Judge, RunRecord
from chaser_conformance.checks.credentials import EXPOSURE, LENIENT, graded_read
from chaser_conformance.checks.exchange import Exchange
from chaser_conformance.checks.property import Advice, holds_for_all
from chaser_conformance.checks.statuses import malformed_field_value
from chaser_conformance.contract.spec import load_contract
from chaser_conformance.generators import near_credentials
from chaser_conformance.generators.credentials import holds_the_token, transformations
from chaser_conformance.generators.jwt import FORGERIES
from chaser_conformance.server import serve_in_thread
from chaser_conformance.settings.secret import Secret
from chaser_conformance.transport.client import ApiClient, RunLimits, Target

TOKEN = "demo-token-primary"
STRICT_BASELINE = "404-for-bad-credentials"  # the undocumented 401 off: strict mode fails only what is tested
ORIGIN = f"Bearer {TOKEN}"
CARRIES = {
    "character appended",
    "character prepended",
    "token doubled",
    "space inside",
    "tab inside",
    "no-break space after",
    "no-break space before",
    "NUL-free vertical tab after",
    "token base64-encoded",
    "token percent-encoded",
    "token quoted",
    "token in fullwidth letters",
    "a wrong credential first",
    "a wrong credential after",
    "scheme twice",
    "no scheme",
    "Basic scheme",
    "Token scheme",
    "Basic with the token as user",
    "scheme glued to the token",
    "other scheme name",
}
LOSES = {
    "token upper-cased",
    "token lower-cased",
    "token case swapped",
    "one letter's case changed",
    "last character dropped",
    "first character dropped",
    "prefix only",
    "base64 alphabet swapped",
    "scheme alone",
    "scheme and a space",
    "empty value",
    "a random token",
    "Basic with a random token",
    *FORGERIES,  # a JWT's: none applies to this opaque token
}


def test_every_credential_transformation_says_what_its_result_proves():
    made = transformations()
    assert {t.name for t in made if t.lossy is False} == CARRIES
    assert {t.name for t in made if t.lossy is True} == LOSES
    generator = near_credentials(TOKEN, seed=3)
    for candidate in generator.coverage([ORIGIN]):  # one step: its own kind (lower-casing applies not)
        assert candidate.lossy is (candidate.label in LOSES), candidate


@pytest.mark.parametrize(
    "steps,lossy",
    [
        (("no-break space after", "token upper-cased"), True),  # the more severe kind
        (("a wrong credential first", "token upper-cased"), True),
        (("space inside", "one letter's case changed"), True),
        (("token base64-encoded", "token case swapped"), True),
        (("Basic scheme", "last character dropped"), True),
        (("token lower-cased", "character appended"), False),  # no capital to lower: nothing lost
        (("scheme twice", "first character dropped"), False),  # cut the second scheme, not the token
        (("token doubled", "last character dropped"), False),  # the first copy is whole
        (("token percent-encoded", "token lower-cased"), False),  # %6D is %6d
        (("token quoted", "token base64-encoded", "no-break space before"), False),
    ],
)
def test_a_composition_is_lossy_when_a_lossy_step_took_effect_on_the_token(steps, lossy):
    candidate = near_credentials(TOKEN, seed=3).build(ORIGIN, tuple((name, 0) for name in steps))
    assert candidate is not None and candidate.lossy is lossy, candidate


def test_the_token_is_read_back_only_where_it_is_whole():
    for held in (
        f"Bearer x{TOKEN}",
        "Basic ZGVtby10b2tlbi1wcmltYXJ5Og==",
        "Bearer %64emo-token-primary",
        "B demo-to ken-primary",
    ):
        assert holds_the_token(ORIGIN, held), held
    for lost in ("Bearer DEMO-TOKEN-PRIMARY", "Bearer demo-token-primar", "Bearer demo+token+primary", "Bearer"):
        assert not holds_the_token(ORIGIN, lost), lost
    assert not holds_the_token("Bearer abc", "Bearer abc")  # too short to tell: the steps' kinds decide


def test_shrinking_never_turns_a_lossy_failure_into_one_that_carries_the_token():
    generator = near_credentials(TOKEN, seed=3)
    failing = generator.build(ORIGIN, (("no-break space after", 0), ("a random token", 0)))
    assert failing.lossy
    tried = []

    def still_fails(trial):  # a server that reads with anything
        tried.append(trial)
        return True

    smallest = generator.shrink(failing, still_fails)
    assert smallest.label == "a random token" and smallest.lossy
    assert all(t.lossy for t in tried)  # the shorter "no-break space after" was never even sent


@pytest.mark.parametrize(
    "value,broken",
    [
        (f"Bearer {TOKEN}\x0b", True),
        (f"Bearer {TOKEN}\x7f", True),
        (f"Bearer {TOKEN}\x1f", True),
        ("Bearer de\tmo", False),
        (f"Bearer {TOKEN}\u00a0", False),
        (ORIGIN, False),
    ],
)
def test_a_control_character_but_htab_breaks_a_field_value(value, broken):
    assert malformed_field_value(value) is broken  # RFC 9110 §5.5: obs-text (U+00A0) is legal


def _setup(server, strict=False):
    store = server.app.store
    token = store.primary.token
    target = Target(server.base_url, token, tuple(store.primary.sessions), next(iter(store.other.sessions)), False)
    client = ApiClient(server.base_url, token, limits=RunLimits(10**5), connect_timeout=5, read_timeout=10)
    client.token = None
    return Judge(load_contract(), target, RunRecord(), strict=strict), target, client


def _property(judge, target, client, steps_list):
    generator = near_credentials(target.token, seed=5)
    candidates = [generator.build(f"Bearer {target.token}", tuple((s, 0) for s in steps)) for steps in steps_list]

    def attempt(candidate):
        response = client.get_session(target.session_ids[0], authorization=Secret(candidate.value))
        sent, carries = f"the token + {candidate.label}", not candidate.lossy
        return graded_read(judge, "bad credentials", response, sent, carries=carries, record=False)

    return holds_for_all(judge, generator, candidates, attempt)


def _messages(judge):
    return [seen.message for seen in judge.record.advisories.values()]


def test_a_lenient_read_is_an_advisory_that_names_the_transformation_and_fails_under_strict():
    with serve_in_thread(["token-unicode-trimmed", STRICT_BASELINE]) as server:
        judge, target, client = _setup(server)
        assert _property(judge, target, client, [("no-break space after",), ("token upper-cased",)]) == 2
        assert any("read with the token + no-break space after" in m for m in _messages(judge)), _messages(judge)
        judge, target, client = _setup(server, strict=True)
        with pytest.raises(ContractViolation) as failed:
            _property(judge, target, client, [("no-break space after",)])
    (problem,) = failed.value.finding.problems
    assert LENIENT in problem.rule and "no-break space after" in problem.text


def test_an_exposure_is_shrunk_within_its_kind_names_the_transformation_and_wins_over_leniency():
    # A server that compares str.strip().lower(): the token with a no-break space reads (leniency),
    # and so does the token upper-cased (exposure). Under strict mode, the exposure is raised.
    with serve_in_thread(["token-case-insensitive", STRICT_BASELINE]) as server:
        judge, target, client = _setup(server, strict=True)
        with pytest.raises(ContractViolation) as failed:
            _property(
                judge, target, client, [("no-break space before",), ("no-break space after", "token upper-cased")]
            )
    finding = failed.value.finding
    assert finding.derivation.startswith("token upper-cased of "), finding.derivation
    (problem,) = [p for p in finding.problems if p.rule == EXPOSURE]
    assert "token upper-cased, which does not carry the whole token" in problem.text


def test_a_400_to_a_credential_that_breaks_http_is_its_answer_not_a_finding():
    with serve_in_thread(["control-character-400"]) as server:
        judge, target, client = _setup(server)
        assert _property(judge, target, client, [("NUL-free vertical tab after",)]) == 1
    # The same status to a well-formed request stays a finding: test_rules.py


def test_an_advice_shows_not_the_exchange_whose_url_or_cookie_holds_the_token():
    url = f"http://127.0.0.1:9/v1/sessions/ses_full?access_token={TOKEN}"
    exchange = Exchange("GET", url, {"Cookie": f"token={TOKEN}"}, 200, "OK", {}, b"{}")
    assert TOKEN not in repr(Advice("token in the wrong place", exchange, ()))


# Faults whose only defect is leniency: every credential they take carries the whole token.
ONLY_LENIENT = [
    "token-unicode-trimmed",
    "token-last-word",
    "token-from-a-list",
    "token-base64-decoded",
    "token-extended",
    "token-percent-decoded",
]


@pytest.mark.parametrize("switch", ONLY_LENIENT)
def test_fifty_seeds_of_compositions_find_no_exposure_on_a_server_that_is_only_lenient(switch):
    # A lossy step that cut only what a list or a double put around the token lost nothing of it:
    # graded by its steps alone, such a read would be a false exposure (without reading the token
    # back out of the value, three of these six servers got one).
    alarms, origin = [], [f"Bearer {TOKEN}"]
    with serve_in_thread([switch]) as server:
        judge, target, client = _setup(server)
        for seed in range(50):
            generator = near_credentials(target.token, seed)

            def attempt(candidate):
                response = client.get_session(target.session_ids[0], authorization=Secret(candidate.value))
                carries, sent = not candidate.lossy, candidate.label
                return graded_read(judge, "x", response, sent, carries=carries, record=False)

            try:
                holds_for_all(judge, generator, generator.compositions(origin, 8), attempt)
            except ContractViolation as violation:
                alarms.append(violation.finding.derivation)
    assert alarms == []
    assert any("read with" in seen.message for seen in judge.record.advisories.values())  # it was lenient, and said so

"""No credentials, bad credentials, and another account's session: none may read a session."""

import random

import pytest

from chaser_conformance.checks import Problem, shown_authorization
from chaser_conformance.checks.credentials import WRONG_TOKEN, graded_read
from chaser_conformance.checks.indistinguishable import compare, features, lookalike, shape
from chaser_conformance.checks.property import holds_for_all, report_advice
from chaser_conformance.generators import near_credentials
from chaser_conformance.generators.credentials import derived
from chaser_conformance.settings.secret import Invented, Secret

_DEFAULT = object()


def _read_nothing(anon_api, judge, target, generator):
    def attempt(candidate):
        # Each credential on one known session, the sessions in turn (the token reads them all).
        sid = target.session_ids[sum(map(ord, candidate.value)) % len(target.session_ids)]
        # Beyond Latin-1: as UTF-8 bytes. How it was derived goes into the curl line, never the value.
        response = anon_api.get_session(sid, authorization=derived(generator, candidate))
        return graded_read(
            judge,
            "bad credentials",
            response,
            f"the token + {candidate.label}",
            carries=not candidate.lossy,
            record=False,
        )

    return attempt


def _shown(candidate):
    return f"Authorization: {shown_authorization(candidate.value)}"


@pytest.mark.parametrize("phase", ["coverage", "random"])
def test_no_credential_but_the_token_reads_a_session(anon_api, judge, target, seed, profile, phase):
    # Credentials derived from the real one (case, truncation, extension, inner and outer white
    # space, encodings, empty, a credential list, other schemes), each once, then random
    # compositions from the run's seed; a failure is shrunk to the fewest transformations. The
    # leniency HTTP allows (scheme case, surrounding white space) is never sent as a near miss.
    # Graded by what the credential proves: one that still carries the whole token (white space,
    # an encoding, a list, another scheme) and reads a session is a leniency advisory; one that
    # lost part of it (case, truncation, empty, another token) is an exposure, and is shrunk only
    # to candidates that lost part of it too.
    token = target.secrets[-1]  # the token in use (a token command may have renewed it)
    generator = near_credentials(token, seed)
    origin = [Secret(f"Bearer {token}")]
    candidates = (
        generator.coverage(origin)
        if phase == "coverage"
        else generator.compositions(origin, profile.near_miss_credentials)
    )
    holds_for_all(judge, generator, candidates, _read_nothing(anon_api, judge, target, generator), input_of=_shown)


def test_no_credentials_cannot_read_a_session(anon_api, judge, target):
    for sid in target.session_ids:
        exchange = judge("bad credentials", anon_api.get_session(sid, authorization=None))
        judge.expect("bad credentials", exchange, {401, 404}, "the request carries no credentials")


def _token_elsewhere(token):
    # (query, headers) that carry the real token anywhere but the Authorization header.
    return {
        "query-access-token": ({"access_token": Secret(token)}, {}),
        "cookie": ({}, {"Cookie": Secret(f"token={token}; access_token={token}")}),
        "x-api-key": ({}, {"X-API-Key": Secret(token)}),
        "x-authorization": ({}, {"X-Authorization": Secret(f"Bearer {token}")}),
        "proxy-authorization": ({}, {"Proxy-Authorization": Secret(f"Bearer {token}")}),
    }


@pytest.mark.parametrize("place", list(_token_elsewhere("t")))
def test_a_token_in_the_wrong_place_is_not_a_credential(anon_api, judge, target, place):
    # The whole token in another place reads a session only for a caller who holds it: leniency (an
    # advisory). If it does, the same place with a wrong token tells whether the place proves
    # anything at all: reading with that is an exposure.
    check = "token in the wrong place"
    query, headers = _token_elsewhere(target.secrets[-1])[place]
    wrong_query, wrong_headers = _token_elsewhere(WRONG_TOKEN)[place]
    for sid in target.session_ids:
        url = anon_api.session_url(sid)
        read = anon_api.request("GET", url, params=query, headers=headers)
        advice = graded_read(judge, check, read, f"the token in {place} (no Authorization)", carries=True)
        if advice is not None:
            control = anon_api.request("GET", url, params=wrong_query, headers=wrong_headers)
            graded_read(judge, check, control, f"a wrong token in {place} (no Authorization)", carries=False)
            report_advice(judge, [advice])


@pytest.mark.parametrize("kind", ["another-site", "null"])
def test_an_arbitrary_origin_is_not_trusted_with_credentials(api, judge, target, seed, kind):
    # judge(): an Origin reflected (or *) together with Access-Control-Allow-Credentials: true is a
    # finding (an advisory: CORS is outside the contract; a failure with CHASER_STRICT=1).
    origin = "null" if kind == "null" else f"https://chaser-conformance-{seed:x}.example"
    for sid in target.session_ids:
        exchange = judge("cross-origin read", api.get_session(sid, headers={"Origin": origin}))
        judge.expect("cross-origin read", exchange, 200, "the session exists; an Origin header changes nothing")


# Callers who may not read a session, as the Authorization header they send (None: none at all).
PERSPECTIVES = {
    "no-credentials": None,
    "wrong-token": Invented(f"Bearer {WRONG_TOKEN}"),
    "malformed-authorization": "Bearer",
    "another-account": "the token",  # this account's token, on another account's session
}


@pytest.mark.parametrize("perspective", PERSPECTIVES)
def test_a_caller_who_may_not_read_a_session_learns_nothing(api, anon_api, judge, target, seed, request, perspective):
    # For every caller who may not read a session, the answer for an id that exists (this
    # account's or another's) must be indistinguishable from the answer for an id that does not:
    # status, reason phrase, headers and the body's bytes. What varies by itself is learnt from
    # several unknown ids of the same shape; too much variation is inconclusive, never a failure.
    foreign = target.foreign_session_id
    if perspective == "another-account":
        if foreign is None:
            pytest.skip("CHASER_FOREIGN_SESSION_ID (or --foreign-session-id) is not set: no session of another account")
        client, authorization, existing, allowed = api, _DEFAULT, [foreign], {404}
    else:
        client, existing, allowed = anon_api, [*target.session_ids, *filter(None, [foreign])], {401, 404}
        authorization = None if PERSPECTIVES[perspective] is None else Secret(PERSPECTIVES[perspective])
    rng = random.Random(f"{seed}:{request.node.nodeid}")
    taken = {*target.session_ids, *filter(None, [foreign])}
    check = f"{perspective} perspective"
    first_reads = {}

    def read(sid, expected):
        kwargs = {} if authorization is _DEFAULT else {"authorization": authorization}
        exchange = judge(check, client.get_session(sid, **kwargs))
        judge.expect(check, exchange, expected, f"a caller who may not read {sid!r}")
        first_reads.setdefault(sid, exchange)
        return features(exchange, sid)

    def read_unknown(like):
        sid = lookalike(like, rng)
        while sid in taken:
            sid += rng.choice("0123456789")  # an id with no letters or digits to redraw
        return read(sid, allowed)

    by_shape = {}
    for sid in existing:
        by_shape.setdefault(shape(sid), []).append(sid)
    problems, witness = [], None
    for ids in by_shape.values():
        named = {sid: (lambda sid=sid: read(sid, allowed)) for sid in ids}
        verdict = compare(named, lambda like=ids[0]: read_unknown(like))
        doubts = [
            Problem("existence inconclusive", f"inconclusive (neither passed nor failed on this): {d}")
            for d in verdict.inconclusive
        ]
        if doubts:
            judge.advise(check, first_reads[ids[0]], doubts)
        if verdict.leaks:
            problems += [
                Problem("existence disclosed", f"tells a session that exists apart from an unknown id: {leak}")
                for leak in verdict.leaks
            ]
            witness = witness or first_reads[verdict.leaks[0].split(":", 1)[0]]
    if problems:
        judge.fail(check, witness, problems)


def test_a_valid_read_is_never_served_to_another_caller(api, anon_api, judge, target):
    # A cache keyed by URL alone serves the session just read with the token to the next caller.
    for sid in target.session_ids:
        judge.expect("known session", judge("known session", api.get_session(sid)), 200, "the session exists")
        exchange = judge("after a valid read", anon_api.get_session(sid, authorization=None))
        judge.expect("after a valid read", exchange, {401, 404}, "read at once after a valid read, without credentials")

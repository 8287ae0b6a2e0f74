"""The generators of near misses (ids and credentials): what they make, that a seed replays them,
that shrinking finds the fewest steps, and that none is an input a conformant server may accept."""

from urllib.parse import quote, unquote

import pytest

from chaser_conformance.generators import ID_FAMILIES, malformed, near_credentials, near_misses, same_credential
from chaser_conformance.generators.ids import _RAW

IDS = [
    "ses_full",
    "AbC-123",
    "12345",
    "\u4f1a\u8bdd-x",
    "a",
    "0d9f8e7c-aaaa-4bbb-8ccc-1234567890ab",
    "séance_pleine",
    "ses:full@x+y=z",
]
TOKEN = "demo-token-primary"


@pytest.mark.parametrize("sid", IDS)
def test_every_near_miss_differs_from_every_known_id_on_the_wire_and_after_decoding(sid):
    known = [sid, "ses_other"]
    generator = near_misses(known, seed=7)
    found = [*generator.coverage([sid]), *generator.compositions([sid], 200)]
    values = [c.value for c in found]
    assert len(set(values)) == len(values) and quote(sid, safe="") not in values
    for candidate in found:
        assert _RAW.match(candidate.value), candidate  # sendable as it is
        assert malformed(candidate.value) or unquote(candidate.value) not in known, candidate


def test_percent_encoding_an_unreserved_character_is_the_same_url_never_a_near_miss():
    generator = near_misses(["ses_full"], seed=1)
    assert generator.build("ses_full", (("upper case", 0),)) is not None
    assert not generator.accept("%73es_full") and not generator.accept("ses%5Ffull")


def test_every_family_applies_to_an_ordinary_id_and_numbers_to_ids_with_digits():
    by_family = {f: list(near_misses(["ses_full"], 0).coverage(["ses_full"], f)) for f in ID_FAMILIES}
    assert [f for f, found in by_family.items() if not found] == ["numbers"]
    assert list(near_misses(["ses_0042"], 0).coverage(["ses_0042"], "numbers"))
    uuid = IDS[5]
    labels = {c.label for c in near_misses([uuid], 0).coverage([uuid], "numbers")}
    assert {"UUID without hyphens", "UUID in braces", "UUID as URN"} <= labels


def test_coverage_on_every_id_or_once_in_all_on_the_ids_in_turn():
    ids = ["ses_full", "ses_nulls", "ses_minimal"]
    every = list(near_misses(ids, 3).coverage(ids))
    once = list(near_misses(ids, 3).coverage(ids, every=False))
    assert {c.origin for c in once} == set(ids)
    assert len(once) == len({c.label for c in once}) < len(every)
    assert {c.label for c in every} <= {c.label for c in once}  # duplicates of one id's value differ on another


def test_a_seed_replays_the_same_compositions_and_another_seed_draws_others():
    def draw(seed):
        return [c.value for c in near_misses(["ses_full"], seed).compositions(["ses_full"], 30)]

    assert draw(11) == draw(11) and draw(11) != draw(12)
    assert all(len(c.steps) >= 2 for c in near_misses(["ses_full"], 5).compositions(["ses_full"], 30))


def test_shrinking_keeps_the_fewest_steps_that_still_fail():
    generator = near_misses(["ses_full"], seed=2)
    steps = (("trailing NUL", 0), ("upper case", 0), ("path parameter", 0))
    failing = generator.build("ses_full", steps)
    sent = []

    def still_fails(trial):
        sent.append(trial.value)
        return "SES_FULL" in unquote(trial.value)  # a server that folds case

    smallest = generator.shrink(failing, still_fails)
    assert smallest.label == "upper case" and smallest.value == "SES_FULL"
    assert len(sent) <= 12


@pytest.mark.parametrize(
    "value,same",
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"BEARER   {TOKEN}", True),
        (f" \tBearer {TOKEN} \t", True),
        (f"Bearer {TOKEN}\u00a0", False),
        (f"Bearer {TOKEN.upper()}", False),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer\t{TOKEN}", False),
        (TOKEN, False),
        (f"Basic {TOKEN}", False),
        (None, False),
        ("", False),
    ],
)
def test_the_same_credential_up_to_the_leniency_http_allows(value, same):
    assert same_credential(value, TOKEN) is same


def test_no_near_credential_is_the_token_and_every_one_can_be_sent():
    generator = near_credentials(TOKEN, seed=4)
    origin = [f"Bearer {TOKEN}"]
    found = [*generator.coverage(origin), *generator.compositions(origin, 300)]
    assert len(found) > 250
    for candidate in found:
        assert not same_credential(candidate.value, TOKEN), candidate
        candidate.value.encode("utf-8")  # beyond Latin-1, the client sends its UTF-8 bytes
    labels = {c.label for c in found if len(c.steps) == 1}
    for kind in (
        "token upper-cased",
        "last character dropped",
        "character appended",
        "no scheme",
        "Basic scheme",
        "empty value",
        "scheme alone",
        "a wrong credential first",
        "no-break space after",
    ):
        assert kind in labels


def test_the_reference_server_takes_the_token_exactly():
    from chaser_conformance.settings.secret import bearer_token

    assert bearer_token(f"bearer  {TOKEN} ") == TOKEN
    for loose in (f"Bearer {TOKEN}\u00a0", f"Bearer \u00a0{TOKEN}", f"Bearer {TOKEN}\x0b", f"Bearer\t{TOKEN}x"):
        assert bearer_token(loose) != TOKEN, repr(loose)


def test_compositions_are_spread_over_the_known_ids():
    ids = ["ses_full", "ses_nulls", "ses_minimal"]
    origins = {c.origin for c in near_misses(ids, 9).compositions(ids, 40)}
    assert origins == set(ids)


def test_no_seed_and_no_id_shape_makes_a_generator_fail():
    # A transformation that does not apply says so (None); none may raise, whatever it is composed with.
    for seed in range(60):
        for sid in IDS:
            assert list(near_misses([sid], seed).compositions([sid], 40))
        assert list(near_credentials(f"{TOKEN}-{seed}", seed).compositions([f"Bearer {TOKEN}-{seed}"], 40))


def test_each_request_shape_is_covered_once_and_only_an_id_change_is_lossy():
    from chaser_conformance.generators.shapes import Shape, origin, request_shapes, transformations

    generator = request_shapes(seed=3)
    start = origin("/api", "ses full")
    covered = list(generator.coverage([start]))
    assert [c.label for c in covered] == [t.name for t in transformations()]  # every shape applies once
    assert {c.label for c in covered if c.lossy} == {"matrix parameter", "format suffix"}
    shapes = {c.label: Shape.read(c.value) for c in covered}
    assert shapes["HEAD"] == Shape("HEAD", "/api/v1/sessions/ses%20full", ())
    assert shapes["dot segment"].target == "/api/./v1/sessions/ses%20full"
    assert shapes["fixed segment percent-encoded"].target == "/api/v1/%73essions/ses%20full"
    assert shapes["forwarded from loopback"].headers == (("X-Forwarded-For", "127.0.0.1"),)
    again = [c.value for c in request_shapes(seed=3).compositions([start], 20)]
    assert again == [c.value for c in generator.compositions([start], 20)]  # a seed replays them
    assert all(Shape.read(v).path.startswith("/api/") for v in again)


def test_a_head_curl_line_reads_the_header_alone():
    from requests.structures import CaseInsensitiveDict

    from chaser_conformance.checks.exchange import Exchange, curl_line

    ex = Exchange("HEAD", "http://h/v1/sessions/a", CaseInsensitiveDict(), 200, "OK", {}, b"")
    assert curl_line(ex) == "curl -I http://h/v1/sessions/a"


def test_a_jwt_gets_its_forgeries_and_an_opaque_token_none():
    from chaser_conformance.contract.jwt import parse
    from chaser_conformance.generators.jwt import FORGERIES, describe
    from chaser_conformance.server.catalogue.jwt_tokens import PRIMARY_JWT, verified_properly

    assert verified_properly(PRIMARY_JWT) is not None and describe(PRIMARY_JWT).startswith("a JWT (alg HS256)")
    assert describe(TOKEN).startswith("opaque") and parse(TOKEN) is None and parse("a.b.c") is None
    found = [c for c in near_credentials(PRIMARY_JWT, seed=1).coverage([f"Bearer {PRIMARY_JWT}"])]
    forged = {c.label: c.value.removeprefix("Bearer ") for c in found if c.label in FORGERIES}
    assert sorted(forged) == sorted(FORGERIES) and all(c.lossy for c in found if c.label in FORGERIES)
    assert len(set(forged.values())) == len(forged) and PRIMARY_JWT not in forged.values()
    assert not any(verified_properly(value) for value in forged.values())  # none is a valid token
    assert parse(forged["JWT alg none, no signature"])[0]["alg"] == "none"
    opaque = [c.label for c in near_credentials(TOKEN, seed=1).coverage([f"Bearer {TOKEN}"])]
    assert not set(opaque) & set(FORGERIES)


@pytest.mark.parametrize("token", [TOKEN, "jwt"])
def test_every_credential_derived_from_the_token_is_derived_again_from_its_how(token):
    from chaser_conformance.generators.credentials import derive_again, derived
    from chaser_conformance.server.catalogue.jwt_tokens import PRIMARY_JWT

    token = PRIMARY_JWT if token == "jwt" else token
    generator = near_credentials(token, seed=7)
    candidates = [*generator.coverage([f"Bearer {token}"]), *generator.compositions([f"Bearer {token}"], 40)]
    assert len(candidates) > 40
    for candidate in candidates:
        sent = derived(generator, candidate)
        assert sent == candidate.value and token not in " ".join(sent.how) and "****" in repr(sent)
        assert derive_again(token, list(sent.how)) == candidate.value, candidate.label


@pytest.mark.parametrize(
    ("argv", "env", "said"),
    [
        (["7", "token cut at the end:1"], {}, "set CHASER_API_TOKEN"),
        ([], {"CHASER_API_TOKEN": TOKEN}, "give the run's seed"),
        (["7", "no such step:1"], {"CHASER_API_TOKEN": TOKEN}, "'no such step:1' is not a step"),
        (["seven", "x:1"], {"CHASER_API_TOKEN": TOKEN}, "give the run's seed"),
    ],
)
def test_the_credential_command_says_in_one_line_what_it_cannot_derive(argv, env, said):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "chaser_conformance", "credential", *argv],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 4 and run.stdout == "" and said in run.stderr and len(run.stderr.splitlines()) == 1

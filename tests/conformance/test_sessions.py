"""Reading sessions: the ones that exist, the ones that do not, and ids no one expects."""

import pytest

from chaser_conformance.idvariants import MECHANISMS, variants


def test_known_session_returns_itself_as_valid_sessioninfo(api, judge, known_session_id):
    # judge(): 200 with application/json, a valid SessionInfo, and `id` equal to the id asked for.
    exchange = judge("known session", api.get_session(known_session_id))
    judge.expect("known session", exchange, 200, "the session exists in the account under test")


def test_known_session_is_stable_across_reads(api, judge, profile, known_session_id):
    # A fault that shows only some of the time must still be caught: read it again and again.
    for _ in range(profile.stability_reads):
        exchange = judge("stable session", api.get_session(known_session_id))
        judge.expect("stable session", exchange, 200, "the session exists; every read must return it")


UNKNOWN_SHAPES = {
    "random": "{}",
    "numeric": "9{}",
    "uuid-like": "00000000-0000-4000-8000-{}",
}


@pytest.mark.parametrize("shape", UNKNOWN_SHAPES.values(), ids=UNKNOWN_SHAPES.keys())
def test_unknown_id_returns_404_json(api, judge, absent_id, shape):
    sid = shape.format(absent_id("x")[2:].replace("-", ""))
    exchange = judge("unknown id", api.get_session(sid))
    judge.expect("unknown id", exchange, 404, "no session has this id")


@pytest.mark.parametrize("mechanism", list(MECHANISMS))
def test_near_variant_of_a_known_id_is_not_that_session(api, judge, target, mechanism):
    # A backend that resolves ids loosely (collation, trimming, normalisation, patterns, a second
    # decoding, suffixes) answers these with the real session; judge() fails a 200 for an id that
    # is not a known session, and a body whose id is not the id asked for.
    known = (*target.session_ids, *filter(None, [target.foreign_session_id]))
    probes = [(sid, v) for sid in target.session_ids for v in variants(mechanism, sid, exclude=known)]
    if not probes:
        pytest.skip(f"no {mechanism} variant differs from the ids in CHASER_SESSION_ID")
    for sid, variant in probes:
        exchange = judge("near variant", api.request("GET", api.segment_url(variant.segment)))
        judge.expect("near variant", exchange, 404, f"{variant.label} of {sid!r} names no session")


# Sent percent-encoded as one path segment (ApiClient quotes everything). '.' and '..' alone are
# left out on purpose: as whole segments they are dot-segments that URL normalisation removes
# (RFC 3986 §5.2.4), so they would name another resource, not an odd session id.
UNUSUAL_IDS = {
    "slash": "a/b",
    "leading-slash": "/ses",
    "encoded-slash-literal": "a%2Fb",
    "dot-dot-inside": "a/../b",
    "three-dots": "...",
    "question-mark": "x?y=1",
    "hash": "x#y",
    "semicolon": "x;y=1",
    "percent": "%",
    "percent-encoded-percent": "%25",
    "backslash": "a\\b",
    "quotes": "\"'`",
    "angle-brackets": "<script>",
    "space": "a b",
    "leading-trailing-space": " ses ",
    "tab": "a\tb",
    "newline": "a\nb",
    "nul": "a\x00b",
    "unicode-accents": "café",
    "unicode-cjk": "会话",
    "emoji": "🧭",
    "rtl-override": "\u202eabc",
    "sql-like": "' OR '1'='1",
    "json-like": '{"id":1}',
    "long-1k": "s" * 1024,
    "long-4k": "s" * 4096,
}


@pytest.mark.parametrize("sid", UNUSUAL_IDS.values(), ids=UNUSUAL_IDS.keys())
def test_unusual_id_is_not_found(api, judge, sid):
    # judge(): no 5xx, no 200 for a session that is not there, a JSON 404; ApiClient: an answer in time.
    exchange = judge("unusual id", api.get_session(sid))
    judge.expect("unusual id", exchange, 404, "no session has this id")

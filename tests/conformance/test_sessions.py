"""Reading sessions: the ones that exist, the ones that do not, and ids no one expects."""

import json

import pytest

from chaser_conformance.checks.hygiene import changed_fields
from chaser_conformance.checks.property import holds_for_all
from chaser_conformance.generators import malformed, near_misses


def test_known_session_returns_itself_as_valid_sessioninfo(api, judge, known_session_id):
    # judge(): 200 with application/json, a valid SessionInfo, and `id` equal to the id asked for.
    exchange = judge("known session", api.get_session(known_session_id))
    judge.expect("known session", exchange, 200, "the session exists in the account under test")


def test_known_session_is_stable_across_reads(api, judge, profile, known_session_id):
    # A fault that shows only some of the time must still be caught: read it again and again. What
    # the session is (created_at, session_type) does not change between reads (hygiene).
    first, changed = None, False
    for _ in range(profile.stability_reads):
        exchange = judge("stable session", api.get_session(known_session_id))
        judge.expect("stable session", exchange, 200, "the session exists; every read must return it")
        body = json.loads(exchange.content)  # JSON, or judge() failed the test already
        first = body if first is None else first
        problems = [] if changed else changed_fields(first, body)
        if problems:
            changed = True  # said once: the first read against the first that differs
            judge.advise("stable session", exchange, problems)


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


def _near_misses(target, seed):
    return near_misses((*target.session_ids, *filter(None, [target.foreign_session_id])), seed)


def _read_no_session(api, judge):
    def attempt(candidate):
        # judge(): a 200 for an id that is not a known session fails, and so does a body whose id is
        # not the id asked for; sent byte for byte (requests would repair an invalid escape).
        exchange = judge("near miss", api.request_verbatim("GET", api.segment_url(candidate.value)), record=False)
        allowed = range(400, 500) if malformed(candidate.value) else 404
        why = f"{candidate.label} of {candidate.origin!r} names no session"
        judge.expect("near miss", exchange, allowed, why, record=False)

    return attempt


def test_no_near_miss_of_a_known_id_reads_a_session(api, judge, target, seed, profile, id_family):
    # The coverage phase: each transformation of the family once per known id (ci and deeper), or
    # once in all on the known ids in turn (quick). A backend that resolves ids loosely (collations,
    # case folding, normalisation, trimming, number parsing, patterns, a second decoding, path
    # parameters) reads a real session for some of these. "malformed": no valid encoding of any
    # text (an invalid escape, bytes that are not UTF-8): any 4xx, never a 5xx or no answer.
    generator = _near_misses(target, seed)
    candidates = generator.coverage(target.session_ids, id_family, every=profile.cover_every_id)
    holds_for_all(judge, generator, candidates, _read_no_session(api, judge))


def test_no_random_near_miss_of_a_known_id_reads_a_session(api, judge, target, seed, profile):
    # The random phase: compositions of two or three transformations, drawn from the run's seed
    # (replay with CHASER_SEED); a failure is shrunk to the smallest id that still fails.
    generator = _near_misses(target, seed)
    candidates = generator.compositions(target.session_ids, profile.near_miss_ids)
    holds_for_all(judge, generator, candidates, _read_no_session(api, judge))


# Sent percent-encoded as one path segment (ApiClient quotes everything). '.' and '..' alone are
# left out on purpose: as whole segments they are dot-segments that URL normalisation removes
# (RFC 3986 §5.2.4), so they would name another resource, not an odd session id.
UNUSUAL_IDS = {
    "slash": "a/b",
    "leading-slash": "/ses",
    "dot-dot-inside": "a/../b",
    "three-dots": "...",
    "question-mark": "x?y=1",
    "hash": "x#y",
    "semicolon": "x;y=1",
    "backslash": "a\\b",
    "quotes": "\"'`",
    "angle-brackets": "<script>",
    "space": "a b",
    "unicode-accents": "café",
    "unicode-cjk": "会话",
    "emoji": "🧭",
    "rtl-override": "\u202eabc",
    "json-like": '{"id":1}',
    "long-1k": "s" * 1024,
    "long-4k": "s" * 4096,
}


@pytest.mark.parametrize("sid", UNUSUAL_IDS.values(), ids=UNUSUAL_IDS.keys())
def test_unusual_id_is_not_found(api, judge, sid):
    # judge(): no 5xx, no 200 for a session that is not there, a JSON 404; ApiClient: an answer in time.
    exchange = judge("unusual id", api.get_session(sid))
    judge.expect("unusual id", exchange, 404, "no session has this id")

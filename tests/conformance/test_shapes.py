"""Every shape that reads a session for its owner reads it for no one else.

Request shapes (generators/shapes.py): HEAD, route spellings that keep the id (a trailing or
doubled slash, a dot segment, the fixed path's case or percent-encoding), spellings that change it
(`;parameter`, `.json`), added query parameters and header fields. First each shape is sent with
the owner's token, on a known session; every shape it reads through is then sent by each caller
who may not read that session. Coverage (each shape once), then compositions from the run's seed;
a failure is shrunk to the fewest steps.

- A stranger who reads through a shape: exposure ("read through another shape"), naming the shape.
- The owner reading through a route spelling that keeps the id: leniency ("route spelling read").
- The owner reading through a spelling that changes the id: contract (exact ids: "unknown id read").
Every answer is judged; one through a route spelled otherwise is another path to the judge (a
5xx is all it fails there), so what such a read means is said here.
"""

from urllib.parse import urlsplit

import pytest

from chaser_conformance.checks import Problem
from chaser_conformance.checks.credentials import WRONG_TOKEN
from chaser_conformance.checks.exchange import Exchange
from chaser_conformance.checks.property import Advice, holds_for_all
from chaser_conformance.generators.shapes import Shape, origin, request_shapes, route_spelled_otherwise
from chaser_conformance.settings.secret import Invented, Secret

# Callers who may not read a session, as the Authorization header they send (None: none at all).
STRANGERS = {
    "no credentials": None,
    "a wrong token": Invented(f"Bearer {WRONG_TOKEN}"),
    "a malformed Authorization": Secret("Bearer"),
}
CHECK = "request shapes"
ABSENT = "chaser-conformance-no-such-session"


def _reads(response):
    return 200 <= response.status_code < 300


def _attempt(api, anon_api, judge, target, generator):
    base = target.base_url.rstrip("/")
    base_path = urlsplit(base).path
    foreign = target.foreign_session_id

    def send(client, value, **authorization):
        # authorization: the caller's Authorization (None: none); the client's own token without it
        shape = Shape.read(value)
        url = base + shape.target.removeprefix(base_path) if base_path else base + shape.target
        return client.request_verbatim(shape.method, url, headers=dict(shape.headers), **authorization)

    def stranger(candidate, text, client, **authorization):
        """One caller who may not read, through the candidate's shape: judged, and a 2xx is an
        exposure unless the same shape of an id that names no session is answered so too (a server
        that makes up a session for any id is another rule's finding: unknown ids)."""
        answer = send(client, candidate.value, **authorization)
        if _reads(answer):
            control = generator.build(origin(base_path, ABSENT), candidate.steps)
            unknown = send(client, control.value, **authorization) if control is not None else None
            if unknown is not None:
                judge(CHECK, unknown, record=False)
            if unknown is None or unknown.status_code != answer.status_code:
                said = f"{text} ({answer.status_code}), as its owner does"
                judge.fail(CHECK, answer, [Problem("read through another shape", said)], record=False)
        judge(CHECK, answer, record=False)

    def attempt(candidate):
        owner = send(api, candidate.value)
        judge(CHECK, owner, record=False)  # every rule: exact ids (a changed id read is `unknown id read`)
        if not _reads(owner):
            return None
        route = route_spelled_otherwise(candidate.steps)  # another path to the judge: its own rules here
        if route and candidate.lossy:
            text = f"{candidate.label} changes the id asked for, and read a session ({owner.status_code})"
            judge.fail(CHECK, owner, [Problem("unknown id read", text)], record=False)
        for who, authorization in STRANGERS.items():
            stranger(
                candidate, f"{who} read a session through {candidate.label}", anon_api, authorization=authorization
            )
        theirs = generator.build(origin(base_path, foreign), candidate.steps) if foreign is not None else None
        if theirs is not None:  # the same shape of another account's session, with this account's token
            text = f"this account's token read another account's session through {candidate.label}"
            stranger(theirs, text, api)
        if route:
            text = f"the owner's token read the session through {candidate.label} ({owner.status_code})"
            return Advice(CHECK, Exchange.of(owner), (Problem("route spelling read", text),))
        return None

    return attempt


@pytest.mark.parametrize("phase", ["coverage", "random"])
def test_no_request_shape_reads_for_a_caller_who_may_not(api, anon_api, judge, target, seed, profile, phase):
    generator = request_shapes(seed)
    base_path = urlsplit(target.base_url).path
    origins = [origin(base_path, sid) for sid in target.session_ids[:1]]
    candidates = (
        generator.coverage(origins)
        if phase == "coverage"
        else generator.compositions(origins, profile.near_miss_credentials)
    )
    attempt = _attempt(api, anon_api, judge, target, generator)
    holds_for_all(judge, generator, candidates, attempt, input_of=lambda candidate: candidate.value.replace("\n", "; "))

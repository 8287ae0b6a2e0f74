"""Diagnosis before verdict: when the configuration, not the server, is the likely cause.

A wrong token, session ids of another account or environment, and a base URL without its path
prefix all make a conformant server fail dozens of tests. The run still fails (the suite cannot
tell a wrong token from a server that refuses good ones), but one line that names the setting
leads the report, and the failures it explains are grouped under it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..transport.client import ApiClient, BrokenAnswer, NoAnswer, RunStopped, Target, Witness
from . import Exchange, RunRecord

# Below this many reads of known sessions, "all refused" says too little to blame the token.
MIN_TOKEN_REQUESTS = 3


@dataclass(frozen=True)
class Diagnosis:
    message: str
    statuses: frozenset[int]  # failures with these statuses are the ones it explains
    ids: frozenset[str] = frozenset()  # and, when it names some ids, only failures to read those

    def explains(self, status: int | None, sid: str = "") -> bool:
        return status in self.statuses and (not self.ids or sid in self.ids)


_COUNT = {1: "one", 2: "two", 3: "three"}


def unreadable(statuses: dict[str, int], source: Callable[[str], str]) -> Diagnosis | None:
    """Some configured ids read with the token and others do not (`statuses`: each id's first
    answer): those are named, since a stale or mistyped id fails every test that reads it."""
    bad = {sid: status for sid, status in statuses.items() if not 200 <= status < 300}
    good = len(statuses) - len(bad)
    if not bad or not good:
        return None  # every id alike: the whole-run diagnosis speaks (a wrong token, prefix or account)
    others = f"the other {_COUNT.get(good, good)} {'is' if good == 1 else 'are'}"
    if len(bad) == 1:
        [(sid, status)] = bad.items()
        said = f"session id '{sid}' is not readable with this token ({status}), {others}"
    else:
        names = ", ".join(f"'{sid}' ({status})" for sid, status in bad.items())
        said = f"session ids {names} are not readable with this token, {others}"
    return Diagnosis(
        f"{said} ({source('session_id')}): check {'it' if len(bad) == 1 else 'them'} (stale, mistyped, or of "
        "another account or environment); if right, the server lost what it should read",
        frozenset(bad.values()),
        frozenset(bad),
    )


def _blinded(ex: Exchange, sid: str) -> tuple[int, str, object]:
    """Status, media type and body of a response, with the path and the id asked for left out."""
    path = urlsplit(ex.url).path
    text = ex.content.decode("utf-8", "replace").replace(path, "{path}").replace(sid, "{id}")
    try:
        body: object = json.loads(text)
    except ValueError:
        body = text
    return ex.status, ex.media_type, body


def diagnose(
    record: RunRecord,
    target: Target,
    source: Callable[[str], str],
    probe: Callable[[str], Exchange | None],
    min_refused: int = MIN_TOKEN_REQUESTS,
) -> Diagnosis | None:
    """`source(setting)` names where a setting came from; `probe(path)` sends one GET with the token.

    `min_refused`: the reads of known sessions that must all be refused to blame the token (the
    preflight, one read of each known session before the tests, asks for fewer)."""
    if target.embedded:
        return None
    with_token = {status: n for (valid, _, status), n in record.statuses.items() if valid}
    known = {status: n for (valid, is_known, status), n in record.statuses.items() if valid and is_known}
    refused = known.get(401, 0) + known.get(403, 0)
    succeeded = any(200 <= status < 300 for status in with_token)
    if refused >= min_refused and set(known) <= {401, 403} and not succeeded:
        codes = "/".join(str(s) for s in sorted(known))
        return Diagnosis(
            f"every read of a known session with the token was refused ({codes} on all {refused}), and no "
            f"request with it succeeded: the token ({source('api_token')}) is probably wrong, expired, or "
            "for another environment",
            frozenset({401, 403}),
        )
    if not known or set(known) != {404} or record.known_404 is None:
        return None
    ids = ", ".join(target.session_ids)
    # Is a known session's 404 the answer of a route that does not exist at all?
    sample = record.known_404
    sid = sample.url.rstrip("/").rsplit("/", 1)[-1]
    route = urlsplit(sample.url).path.replace(urlsplit(target.base_url).path, "", 1)
    unknown_route = probe("/chaser-conformance-no-such-route" + route)
    refused_anywhere = any(status == 401 for (_, _, status) in record.statuses)
    if unknown_route is not None and not refused_anywhere and _blinded(unknown_route, sid) == _blinded(sample, sid):
        return Diagnosis(
            f"every path answers like an unknown route: {route} and a path that exists nowhere get the same "
            f"404, and no request was ever refused for its credentials. The base URL {target.base_url} "
            f"({source('base_url')}) probably has a wrong path prefix (one missing, such as /api, or one too many)",
            frozenset({404}),
        )
    return Diagnosis(
        f"none of the sessions {ids} ({source('session_id')}) was found with the token: 404 on every one "
        f"of {known[404]} reads. They probably belong to another account or environment (or the token "
        "does), or no longer exist",
        frozenset({404}),
    )


# The pre-flight's share of the request cap: the tests' budget is not spent before they start (the
# tests read every configured session anyway; the pre-flight only names a setup mistake early).
PREFLIGHT_SHARE = 0.1


class Diagnostician:
    """The diagnosis' reads of the target: the preflight (one read of each known session with the
    token, before any test, so a wrong token, session ids or base path is said at the top of the
    run) and the unknown-route probe. `client()` makes a client within the run's limits."""

    def __init__(
        self,
        target: Target,
        client: Callable[[], ApiClient],
        source: Callable[[str], str],
        witness: Witness | None = None,
    ) -> None:
        self.target = target
        self.client = client
        self.source = source
        self.witness = witness  # judges each of its reads: every answer the suite gets is judged
        self.unreadable: Diagnosis | None = None  # the configured ids the pre-flight could not read
        self.not_read = 0  # the configured ids past the pre-flight's share of the request cap

    def preflight(self) -> Diagnosis | None:
        record, statuses = RunRecord(), {}
        with closing(self.client()) as client:
            share = max(1, int(client.limits.max_requests * PREFLIGHT_SHARE))
            self.not_read = max(0, len(self.target.session_ids) - share)
            try:
                for sid in self.target.session_ids[:share]:
                    response = client.get_session(sid)
                    if self.witness is not None:
                        self.witness("pre-flight read", response)
                    record.saw(Exchange.of(response), valid=True, known=True)
                    statuses.setdefault(sid, response.status_code)
            except (NoAnswer, BrokenAnswer) as missed:
                self._missed("pre-flight read", missed)
                return None
            except RunStopped:
                return None
        self.unreadable = unreadable(statuses, self.source)
        return self.unreadable or diagnose(record, self.target, self.source, self.probe, min_refused=1)

    def after_run(self, record: RunRecord) -> Diagnosis | None:
        """The whole run's diagnosis, else the ids the pre-flight found unreadable (the run's
        record mixes their answers with the others' and cannot tell them apart)."""
        return diagnose(record, self.target, self.source, self.probe) or self.unreadable

    def probe(self, path: str) -> Exchange | None:
        """One GET with the token to a path under the base URL."""
        with closing(self.client()) as client:
            try:
                response = client.request("GET", client.base_url + path)
                if self.witness is not None:
                    self.witness("unknown-route probe", response)
                return Exchange.of(response)
            except (NoAnswer, BrokenAnswer) as missed:
                self._missed("unknown-route probe", missed)
                return None
            except RunStopped:
                return None

    def _missed(self, check: str, missed: NoAnswer | BrokenAnswer) -> None:
        """A read of its own that got no usable answer: a finding like any other, never dropped."""
        if self.witness is not None:
            self.witness(check, missed)

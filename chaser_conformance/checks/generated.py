"""Property-based cases from openapi.yaml through Schemathesis, aimed so that they matter.

Left alone, Schemathesis never reaches a 200 here (random ids) and sends junk or no
Authorization on every case. The hooks below mix the known session ids into most
GET cases and the real token into most headers, while generated ids, junk tokens
and missing headers stay in as negative cases. Undeclared methods (the coverage
phase's 405 probes) are never pointed at a known session: the hooks touch only
GET cases, and `guard` refuses to send anything else to a known id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from ..contract.spec import GET_SESSION, SPEC_PATH
from ..settings.profiles import Profile
from ..settings.secret import Secret
from ..transport.client import Target
from . import ContractViolation, Judge, Problem


def _without_local_constants() -> None:
    """Hypothesis (6.131+) mixes string and number literals of the code it finds outside
    site-packages into what it generates: a checkout of this suite and its installed wheel, or two
    versions whose literals differ, sent different requests for the same seed. A run is a function
    of its seed and openapi.yaml alone, so that source is switched off (no public setting exists)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without it has nothing to switch off
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
        if hasattr(providers, "CONSTANTS_CACHE"):
            providers.CONSTANTS_CACHE.cache.clear()  # values permitted from constants seen before


_without_local_constants()

KNOWN_ID_SHARE = 7  # in 10 GET cases use a known session id
REAL_TOKEN_SHARE = 8  # in 10 cases that carry an Authorization header use the real token
CHECK_NAME = "generated"


class UnsafeProbe(RuntimeError):
    pass


def shard_seed(seed: int, shard: int) -> int:
    """The seed of one part of the generated cases, derived from the run's seed (replays any -n)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{shard}".encode()).digest()[:4], "big")


def build_schema(
    target: Target, profile: Profile, seed: int, read_timeout: float, ca_bundle: Path | None, shard: int = 0
) -> Any:
    """The schema for one part (`shard`) of the generated cases: the coverage phase (deterministic,
    run once) in the first part, the fuzzing phase's examples spread over all parts."""
    config = schemathesis.Config.from_dict(
        {
            "seed": shard_seed(seed, shard),
            # Passed per request by Schemathesis, so it must match the session's own verify setting.
            "tls-verify": str(ca_bundle) if ca_bundle else True,
            "base-url": target.base_url,
            "request-timeout": read_timeout,
            "phases": {
                "examples": {"enabled": False},  # openapi.yaml has no examples
                "stateful": {"enabled": False},  # one read-only operation: nothing to chain
                "coverage": {"enabled": shard == 0},
                "fuzzing": {"enabled": True},
            },
            # No shrinking: a conformance verdict needs the failure, not its smallest form. No example
            # database: a run is a function of its seed alone, so a printed seed replays it exactly.
            "generation": {
                "mode": "all",
                "max-examples": -(-profile.generated_cases // profile.shards),
                "no-shrink": True,
                "database": "none",
            },
            # Replaced by the project's status policy (Judge): 401 without valid credentials is an advisory.
            "checks": {"status_code_conformance": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    known = list(target.session_ids)
    bearer = Secret(f"Bearer {target.token}")  # a str whose repr is masked: Case reprs show headers

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        if context.operation is None or context.operation.method.upper() != GET_SESSION[0]:
            return st.just(path_parameters)
        with_known = st.sampled_from(known).map(lambda sid: {**path_parameters, "id": sid})
        return st.integers(0, 9).flatmap(lambda n: with_known if n < KNOWN_ID_SHARE else st.just(path_parameters))

    @schema.hook
    def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> Any:
        if not headers or "Authorization" not in headers:
            return st.just(headers)  # a missing header stays missing: that is the negative case
        with_token = {**headers, "Authorization": bearer}
        return st.integers(0, 9).map(lambda n: with_token if n < REAL_TOKEN_SHARE else headers)

    return schema


def guard(case: Any, target: Target) -> None:
    """Never send a method other than GET to a session that exists: it could end a customer's session."""
    sid = (case.path_parameters or {}).get("id")
    if case.method.upper() != GET_SESSION[0] and sid in (*target.session_ids, target.foreign_session_id):
        raise UnsafeProbe(f"refusing to send {case.method} to the existing session {sid!r}")


def contract_check(judge: Judge) -> Any:
    """The project's rules as a Schemathesis check, so each generated response goes through both."""

    def chaser_contract(ctx: Any, response: Any, case: Any) -> None:
        judge(CHECK_NAME, response, record=False)  # the test records the exchange with every problem

    return chaser_contract


def problems_of(failure: BaseException) -> list[Problem]:
    """The problems of a Schemathesis failure (a group of check failures): the Judge's own, as it
    found them, and Schemathesis' checks' (ST108 ...) as problems shown only when ours are silent."""
    problems: list[Problem] = []
    for item in getattr(failure, "exceptions", None) or [failure]:
        inner = getattr(item, "exception", None)
        if isinstance(inner, ContractViolation):
            problems += inner.finding.problems
            continue
        code, title = getattr(item, "code", ""), getattr(item, "title", type(item).__name__)
        message = (getattr(item, "message", "") or "").strip().splitlines()
        text = f"{code} {title}".strip() + (f": {message[0]}" if message else "")
        problems.append(Problem(code or title, text, own=False))
    return problems or [Problem("schemathesis", str(failure).splitlines()[0], own=False)]


# Both replaced by the Judge: its status policy, and its media-type rule (another JSON media type on a
# 404 is an advisory; README), which Schemathesis' check would fail outright.
EXCLUDED_CHECKS = [status_code_conformance, content_type_conformance]

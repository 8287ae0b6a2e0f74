"""What a check found, as data: the rule each problem broke, where (a JSON pointer), the exchange.

A `Finding` is made once, masked, where the check fails (`Judge.fail`), travels with the test's
report (to the controller under pytest -n, as a dict), and every report renders it: the
terminal's causes, summary.json, summary.md, failures.jsonl, JUnit and HTML. Causes are grouped
from its fields (one per rule and pointer); no rendered text is ever parsed back. A baseline, its
waivers and `compare` key a cause more finely, by its `Identity`: the rule and where, and the
status, method and perspective of the exchange.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..contract import rules
from ..settings.redact import inert
from ..settings.secret import credentials, encoded_forms, mask
from .exchange import BODY_EXCERPT, Exchange, curl_line, shell_word, shown_authorization

RECORDED_BODY = 65536  # bytes of a failing response's body kept in failures.jsonl
# The token, or every token of the run (a token command's change when one expires): all are masked.
Tokens = str | tuple[str, ...] | None


def _tokens(token: Tokens) -> tuple[str | None, ...]:
    return token if isinstance(token, tuple) else (token,)


def cause_label(rule: str, where: str) -> str:
    """'[rule at /pointer]' or '[rule: where]': a cause (failing or advisory), the same in every channel."""
    if where.startswith("/"):
        return f"[{rule} at {where}]"
    return f"[{rule}{': ' + where if where else ''}]"


NO_STATUS = "none"  # a baseline's spelling of the status of a request that got no answer (TOML has no null)


@dataclass(frozen=True)
class Identity:
    """A cause's full identity, as a baseline, its waivers and `compare` key it: the rule, where it
    bites (`Problem.key`'s where: a pointer, "403 to GET", a perspective, a header), and the status,
    method and perspective of the exchange that showed it. The same rule at the same place with
    another status, method or perspective is another cause: a baseline of one does not waive the other."""

    rule: str
    where: str
    status: int | None  # None: the request got no answer (NO_STATUS in a baseline)
    method: str
    perspective: str  # "the token", "no credentials", "other credentials"; "" when no answer came

    @classmethod
    def of(cls, finding: Finding, problem: Problem) -> Identity:
        return cls(*problem.key, finding.status, finding.method, finding.perspective)

    @property
    def label(self) -> str:
        """'[undocumented status: 403 to GET] (403 to GET, other credentials)'."""
        answer = f"{self.status if self.status is not None else 'no answer'} to {self.method}"
        return f"{cause_label(self.rule, self.where)} ({answer}{', ' + self.perspective if self.perspective else ''})"


def identities(findings: Iterable[Finding]) -> list[Identity]:
    """The identity of each shown problem of each finding, in order (repeats kept)."""
    return [Identity.of(f, p) for f in findings for p in f.shown]


@dataclass(frozen=True)
class Problem:
    rule: str  # a stable name of the rule broken, e.g. "schema required", "id echo", "status"
    text: str  # the sentence a person reads (masked)
    pointer: str = ""  # the JSON pointer of the part of the body at fault (schema problems), else ""
    own: bool = True  # False: a finding of Schemathesis' built-in checks, shown only when no rule of ours fired
    inconclusive: bool = False  # an advisory that could not decide: never a failure, not even under strict
    # Where the rule bites when it is not a JSON pointer (rules.py: "500 to HEAD", "no credentials",
    # "header Cache-Control"); filled from the exchange by `placed` when the rule's kind says so.
    at: str = ""

    def __post_init__(self) -> None:
        # A problem's words quote what the server sent (a body's excerpt, a member name, a header):
        # never as characters that would act on the terminal or the report they are read in.
        for name in ("text", "pointer", "at"):
            object.__setattr__(self, name, inert(getattr(self, name)))

    @property
    def key(self) -> tuple[str, str]:
        """The cause's identity: the rule and where it bites."""
        return self.rule, self.pointer or self.at

    @property
    def label(self) -> str:
        return cause_label(*self.key)

    def placed(self, check: str, method: str, status: int | None, perspective: str) -> Problem:
        """This problem with `at` filled in from the exchange, as its rule's kind asks (rules.py)."""
        if self.at or self.pointer:
            return self
        where = rules.rule(self.rule).where if rules.known(self.rule) else ""
        at = {
            rules.STATUS: f"{status} to {method}" if status is not None else method,
            rules.PERSPECTIVE: perspective,
            rules.CHECK: check,
        }.get(where, "")
        return replace(self, at=at) if at else self


@dataclass(frozen=True)
class Finding:
    check: str  # the check that judged the exchange ("known session", "generated", ...)
    problems: tuple[Problem, ...]
    method: str
    url: str
    status: int | None  # None: the request got no answer
    perspective: str  # who asked: "the token", "no credentials", "other credentials"
    request_headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    response_headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    body_bytes: int = 0
    curl: str = ""
    input: str = ""  # the input that produced it: the id asked for (the smallest known)
    derivation: str = ""  # how a generated input was made, e.g. "upper case of 'ses_1'"
    test: str = ""  # the node id of the test that found it, set by the plugin

    @classmethod
    def of(
        cls, check: str, ex: Exchange, problems: list[Problem], perspective: str, token: Tokens, input: str = ""
    ) -> Finding:
        tokens = _tokens(token)
        # The request's own credential too: a server that echoes a truncated or extended token
        # must not put most of the real one into a report.
        authorization = ex.request_headers.get("Authorization")
        secrets = encoded_forms(*tokens, authorization, *credentials(authorization))

        def masked(headers: Mapping[str, str]) -> dict[str, str]:
            return {k: mask(str(v), *secrets) for k, v in headers.items()}

        return cls(
            check=check,
            problems=tuple(
                replace(p, text=mask(p.text, *secrets)).placed(check, ex.method, ex.status, perspective)
                for p in problems
            ),
            method=ex.method,
            url=mask(ex.url, *tokens),
            status=ex.status,
            perspective=perspective,
            request_headers=masked(ex.shown_request_headers()),
            reason=ex.reason,
            response_headers=masked(
                {k: (shown_authorization(v) if k.lower() == "authorization" else v) for k, v in ex.headers.items()}
            ),
            body=mask(ex.content[:RECORDED_BODY].decode("utf-8", "replace"), *secrets),
            body_bytes=len(ex.content),
            curl=mask(curl_line(ex, tokens[0]), *tokens),  # the token as $CHASER_API_TOKEN
            input=mask(input, *tokens),
        )

    @classmethod
    def unanswered(cls, error: Any, token: Tokens) -> Finding:
        """A request that got no answer, or one that was not usable HTTP (client.NoAnswer, BrokenAnswer)."""
        tokens = _tokens(token)
        status = getattr(error, "status", None)
        rule = "no answer" if status is None and type(error).__name__ == "NoAnswer" else "broken answer"
        url = mask(error.url, *tokens)
        problem = Problem(rule, mask(error.why, *tokens))
        curl = f"curl -i -X {shlex.quote(error.method)} {shell_word(error.url, tokens[0])}"
        return cls(rule, (problem,), error.method, url, status, "", curl=mask(curl, *tokens))

    @property
    def shown(self) -> tuple[Problem, ...]:
        """The problems to show and group by: ours, or Schemathesis' when none of ours fired."""
        return tuple(p for p in self.problems if p.own) or self.problems

    def text(self) -> str:
        """'[check] METHOD URL -> STATUS', a '  - problem' line each, the exchange and a curl line."""
        status = self.status if self.status is not None else self.check
        lines = [f"[{self.check}] {self.method} {self.url} -> {status}"]
        lines += [f"  - {p.label} {p.text}" for p in self.shown]
        if self.status is not None and self.check not in ("no answer", "broken answer"):
            body = self.body[:BODY_EXCERPT]
            if self.body_bytes > BODY_EXCERPT:
                body += f"... ({self.body_bytes} bytes)"
            content_type = next((v for k, v in self.response_headers.items() if k.lower() == "content-type"), None)
            auth = next((v for k, v in self.request_headers.items() if k.lower() == "authorization"), "<none>")
            lines += [
                f"  request:  {self.method} {self.url} (Authorization: {auth})",
                f"  response: {self.status} {self.reason}; Content-Type: {content_type or '(none)'}",
                f"  body:     {body or '(empty)'}",
            ]
        if self.derivation:
            lines.append(f"  input:    {self.input!r}: {self.derivation} (the smallest that still fails)")
        lines.append(f"  reproduce: {self.curl}")
        return inert("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        """The failures.jsonl entry (which `validate` reads back), and what a pytest -n worker sends
        with its report."""
        return {
            "test": self.test,
            "check": self.check,
            "perspective": self.perspective,
            "input": self.input,
            "derivation": self.derivation,
            "problems": [asdict(p) for p in self.problems],
            "request": {"method": self.method, "url": self.url, "headers": dict(self.request_headers)},
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "reason": self.reason,
                "headers": dict(self.response_headers),
                "body": self.body,
                "body_bytes": self.body_bytes,
            },
            "curl": self.curl,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        request, response = data["request"], data["response"] or {}
        return cls(
            check=data["check"],
            problems=tuple(Problem(**p) for p in data["problems"]),
            method=request["method"],
            url=request["url"],
            status=response.get("status"),
            perspective=data["perspective"],
            request_headers=request["headers"],
            reason=response.get("reason", ""),
            response_headers=response.get("headers", {}),
            body=response.get("body", ""),
            body_bytes=response.get("body_bytes", 0),
            curl=data["curl"],
            input=data["input"],
            derivation=data.get("derivation", ""),
            test=data["test"],
        )


class ContractViolation(AssertionError):
    """A response broke the contract. It carries the finding; str() is its text (masked)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.text())
        self.finding = finding

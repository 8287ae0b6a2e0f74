"""The harm model: every rule the suite applies, its class, why it exists, and where it bites.

This module is the only home of these facts. The Judge and the tests name a rule on each
`Problem`; whether it fails the run, is an advisory or is off follows from the rule's class
(and a team's per-rule levels), never from where the problem was raised. The README's rule
table and `--help` are rendered from here; a selftest holds every rule raised to a row.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

FAIL, ADVISE, OFF = "fail", "advise", "off"
LEVELS = (FAIL, ADVISE, OFF)

# class -> (meaning, default level)
HARMS: dict[str, tuple[str, str]] = {
    "contract": (
        "the response contradicts openapi.yaml (schema, documented status, media type, the session asked for)",
        FAIL,
    ),
    "exposure": (
        "a caller who does not hold a valid token of the owning account learns a session's data or existence",
        FAIL,
    ),
    "protocol": (
        "an HTTP or JSON MUST whose breach breaks clients (framing, encoding, charset, JSON syntax, a 5xx)",
        FAIL,
    ),
    "leniency": (
        "the server accepts more than the contract asks (the whole token in another spelling, no HEAD, lenient routes)",
        ADVISE,
    ),
    "hygiene": ("the server shows more than it needs (cache and CORS headers, internals, an undocumented 401)", ADVISE),
    "inconclusive": ("the suite cannot decide", ADVISE),
}

# Where a rule bites, which with its name identifies one cause (one line in every report):
POINTER, STATUS, PERSPECTIVE, HEADER, CHECK = "pointer", "status", "perspective", "header", "check"


@dataclass(frozen=True)
class Rule:
    name: str
    harm: str
    why: str  # one sentence
    cite: str  # the RFC or openapi.yaml clause
    where: str = ""  # POINTER, STATUS, PERSPECTIVE, HEADER, CHECK, or "" (the rule alone is the cause)
    family: bool = False  # the name is a prefix: "schema required", "schema type"...


OAS = "openapi.yaml"
# One rule a line, so that the table reads as a table.
# fmt: off
RULES: tuple[Rule, ...] = (
    # contract
    Rule("schema", "contract", "a 200 or 404 body must validate against its documented schema", f"{OAS} SessionInfo, Draft 2020-12", POINTER, True),
    Rule("id echo", "contract", "the session returned must be the session asked for", f"{OAS} GET /v1/sessions/{{id}}", POINTER),
    Rule("content type", "contract", "a response's media type must be the one documented for its status", f"{OAS} responses.content"),
    Rule("undocumented status", "contract", "a GET may only answer with a status openapi.yaml documents (200, 404)", f"{OAS} responses", STATUS),
    Rule("status for", "contract", "each kind of request has the documented answer the test names (a known session 200, an unknown id 404)", f"{OAS} responses", CHECK, True),
    Rule("known session not found", "contract", "a session that exists in the account under test must be found", f"{OAS} 200"),
    Rule("unknown id read", "contract", "an id no session has (a near miss of a real one) must not read a session", f"{OAS} path parameter id"),
    Rule("401 with the valid token", "contract", "the valid token of the account must read its sessions", "RFC 6750 §3.1"),
    Rule("undeclared method answered", "contract", "a method openapi.yaml does not declare must be refused (405)", "RFC 9110 §15.5.6", STATUS),
    Rule("schemathesis", "contract", "a Schemathesis check failed where none of the suite's own rules did", OAS, "", True),
    Rule("ST", "contract", "a Schemathesis check (ST1xx/ST2xx) failed where none of the suite's own rules did", OAS, "", True),
    # exposure
    Rule("read without valid credentials", "exposure", "a credential that does not carry the token must not read a session", "RFC 6750 §3.1", PERSPECTIVE),
    Rule("foreign session readable", "exposure", "one account's token must not read another account's session", f"{OAS} BearerAuth", PERSPECTIVE),
    Rule("read through another shape", "exposure", "a caller who may not read a session must not read it through another method, route spelling, parameter or header field either", "RFC 6750 §3.1", PERSPECTIVE),
    Rule("read chosen by a parameter", "exposure", "the path alone chooses the session: a query parameter, header field or body naming another one must not read it", f"{OAS} path parameter id"),
    Rule("response splitting", "exposure", "CR LF from a request echoed into a header field lets whoever crafts a link write the answer's header fields (cookies, redirects)", "RFC 9112 §2.2, CWE-113"),
    Rule("existence disclosed", "exposure", "a caller who may not read a session must get the same answer as for an id that does not exist", "RFC 9110 §15.5.5", PERSPECTIVE),
    # protocol
    Rule("server error", "protocol", "no request a client can send may cause a 5xx", "RFC 9110 §15.6", STATUS),
    Rule("no answer", "protocol", "every request must get an answer", "RFC 9112 §9"),
    Rule("broken answer", "protocol", "an answer must be well-formed HTTP", "RFC 9112 §2"),
    Rule("framing", "protocol", "an answer's framing on the wire is unambiguous: no Transfer-Encoding with Content-Length, no disagreeing Content-Length or Content-Type fields, no folded lines", "RFC 9112 §6.1, §5.2"),
    Rule("body size", "protocol", "a SessionInfo is under 1 KiB; a body past the suite's bound exhausts clients", f"{OAS} SessionInfo"),
    Rule("strict json", "protocol", "a JSON body must be JSON as RFC 8259 reads it, not as a lenient parser does", "RFC 8259 §2"),
    Rule("charset", "protocol", "JSON is UTF-8; another charset breaks clients that follow the RFC", "RFC 8259 §8.1"),
    Rule("401 challenge", "protocol", "a 401 must carry a Bearer challenge", "RFC 6750 §3, RFC 9110 §11.6.1", STATUS),
    Rule("429 persists", "protocol", "back-pressure must end within bounded retries that honour Retry-After", "RFC 6585 §4"),
    Rule("405 without Allow", "protocol", "a 405 must list the allowed methods", "RFC 9110 §15.5.6", STATUS),
    Rule("Allow lacks the declared method", "protocol", "Allow must list GET, which the resource supports", "RFC 9110 §10.2.1", HEADER),
    Rule("Allow lists the refused method", "protocol", "Allow must not list the method just refused", "RFC 9110 §10.2.1", HEADER),
    Rule("HEAD with content", "protocol", "a HEAD response has no content; content after it breaks the next response's framing", "RFC 9110 §9.3.2"),
    # leniency
    Rule("lenient credential", "leniency", "a credential that still carries the whole token (another spelling, scheme or place) read a session: the caller held the token", "RFC 6750 §2.1", CHECK),
    Rule("HEAD disagrees with GET", "leniency", "HEAD SHOULD answer with GET's status and header fields: a HEAD that is not GET without content is HEAD half supported", "RFC 9110 §9.3.2"),
    Rule("HEAD not supported", "leniency", "general-purpose servers must support HEAD, but openapi.yaml documents GET only", "RFC 9110 §9.1", STATUS),
    Rule("route spelling read", "leniency", "the owner's token read a session through a spelling of its route that keeps the id (a trailing or doubled slash, a dot segment, the fixed path's case): a lenient router, harmless while it checks credentials there too", "RFC 3986 §6.2"),
    Rule("route normalised", "leniency", "a redirect to the request's own URL after the normalisation frameworks apply (%2F, slashes)", "RFC 9110 §15.4", STATUS),
    Rule("404 media type", "leniency", "a 404 in another JSON media type (+json) parses for every JSON client", "RFC 6839 §3.1"),
    # hygiene
    Rule("401 undocumented", "hygiene", "a 401 to a request without valid credentials is HTTP's answer, but openapi.yaml documents no 401", "RFC 6750 §3", STATUS),
    Rule("shared cache", "hygiene", "an authenticated 200 a shared cache may store can be served to another user", "RFC 9111 §3.5", HEADER),
    Rule("cors", "hygiene", "credentialed CORS for any origin lets any site read sessions with a user's credentials", "Fetch §3.2.5", HEADER),
    Rule("credential echoed", "hygiene", "an answer that carries the credential puts it in every log that keeps responses", "RFC 6750 §5.3"),
    Rule("request host reflected", "hygiene", "links built from a header any client sets point wherever an attacker says", "RFC 9110 §7.2"),
    Rule("version disclosed", "hygiene", "a product version in Server or X-Powered-By tells an attacker which known vulnerabilities to try", "OWASP ASVS V14.3.3", HEADER),
    Rule("integer beyond I-JSON", "hygiene", "an integer beyond ±(2^53 - 1) is read as another number by JavaScript and other IEEE 754 clients", "RFC 7493 §2.2", POINTER),
    Rule("field changed between reads", "hygiene", "what a session is (created_at, session_type) does not change between reads: a cache or replica serving another state", f"{OAS} SessionInfo", POINTER),
    Rule("stack trace", "hygiene", "a stack trace tells an attacker the server's internals", "OWASP ASVS V7.4"),
    Rule("database error", "hygiene", "a database error tells an attacker the server's internals", "OWASP ASVS V7.4"),
    Rule("filesystem path", "hygiene", "a filesystem path outside session data tells the server's layout", "OWASP ASVS V7.4"),
    Rule("internal address", "hygiene", "an internal network address tells the server's network", "OWASP ASVS V7.4"),
    # inconclusive
    Rule("method probe inconclusive", "inconclusive", "a 404 for an undeclared method on an id that does not exist says nothing about the method", "RFC 9110 §15.5.5"),
    Rule("HEAD inconclusive", "inconclusive", "a HEAD header that differs from GET in some reads only cannot be judged", "RFC 9110 §9.3.2"),
    Rule("existence inconclusive", "inconclusive", "answers that vary too much by themselves to compare cannot tell a session's existence", "RFC 9110 §15.5.5", PERSPECTIVE),
    Rule("client coding", "inconclusive", "a real client library that cannot decode an answer the contract allows", "RFC 9110 §8.4"),
    Rule("host probe inconclusive", "inconclusive", "a host-header probe the server refused cannot show reflection", "RFC 9110 §7.2"),
    Rule("429", "inconclusive", "back-pressure in a recording is not judged offline", "RFC 6585 §4"),
    Rule("request too large", "inconclusive", "a refusal of a request target or header section past what servers commonly read is the server's limit", "RFC 9112 §3"),
)
# fmt: on
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
assert len(BY_NAME) == len(RULES), "rule names must be unique"
assert all(r.harm in HARMS for r in RULES)
_FAMILIES = tuple(r for r in RULES if r.family)


# Rules no level can move: without an answer there is nothing to judge.
FIXED = {
    "no answer": "a request without an answer stops the run or fails it",
    "broken answer": "an answer that is not HTTP cannot be judged",
}


class UnknownRule(KeyError):
    pass


def rule(name: str) -> Rule:
    """The rule a problem names: exact, or a family's member ("schema required", "status for near miss")."""
    found = BY_NAME.get(name)
    if found is not None:
        return found
    for family in _FAMILIES:
        if name.startswith(family.name):
            return family
    raise UnknownRule(f"rule {name!r} has no row in chaser_conformance/contract/rules.py")


def known(name: str) -> bool:
    try:
        rule(name)
    except UnknownRule:
        return False
    return True


@dataclass(frozen=True)
class Levels:
    """What each rule does in this run: its class's default, strict mode, and a team's overrides
    (CHASER_RULES / chaser.toml [rules]), keyed by a rule's name or a family's."""

    strict: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)

    def of(self, name: str) -> str:
        found = rule(name)
        for key in (name, found.name):
            if key in self.overrides:
                return self.overrides[key]
        default = HARMS[found.harm][1]
        if self.strict and found.harm in ("leniency", "hygiene"):
            return FAIL
        return default

    def changed(self) -> list[str]:
        """'rule=level' for every override, for the run's header and summary.json."""
        return [f"{name}={level}" for name, level in sorted(self.overrides.items())]


def parse_levels(items: Iterable[tuple[str, str]], show: Callable[[str], str] = repr) -> dict[str, str]:
    """Per-rule levels from (rule, level) pairs; ValueError names what is wrong, the closest rules,
    and where every name is listed. `show` quotes what the user wrote (settings redact it)."""
    levels = {}
    for name, level in items:
        name, level = name.strip(), str(level).strip().lower()
        if not known(name):
            close = difflib.get_close_matches(name, BY_NAME, n=3, cutoff=0.5)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise ValueError(
                f"unknown rule {show(name)}{hint}; `chaser-conformance --help` and the README's rule table list all "
                f"{len(RULES)}"
            )
        if level not in LEVELS:
            raise ValueError(f"level {show(level)} of rule {name!r} is not one of {', '.join(LEVELS)}")
        if rule(name).name in FIXED:
            raise ValueError(f"rule {name!r} cannot be moved: {FIXED[rule(name).name]}")
        if level == FAIL and rule(name).harm == "inconclusive":
            raise ValueError(f"rule {name!r} is inconclusive: it never fails (advise or off)")
        levels[name] = level
    return levels


README_BEGIN = "<!-- rule table: generated by `python -m chaser_conformance.contract.rules`; test_rules.py keeps it -->"
README_END = "<!-- end of rule table -->"


def markdown() -> list[str]:
    """The README's section between its markers: the classes, then every rule."""
    return [README_BEGIN, "", *classes(), "", *table(), "", README_END]


def help_lines() -> list[str]:
    """`--help`'s summary: each class, its default and its rules."""
    lines = []
    for harm, (meaning, level) in HARMS.items():
        names = ", ".join(f"{r.name}…" if r.family else r.name for r in RULES if r.harm == harm)
        lines.append(f"  {harm} ({'never fails' if harm == 'inconclusive' else level}): {meaning}")
        lines.append(f"      {names}")
    return lines


def table() -> list[str]:
    """The rule table in Markdown (README, `--help` reads the classes)."""
    lines = ["| rule | class | why | see |", "|---|---|---|---|"]
    order = list(HARMS)
    for r in sorted(RULES, key=lambda r: (order.index(r.harm), r.name)):
        name = f"`{r.name} …`" if r.family else f"`{r.name}`"
        lines.append(f"| {name} | {r.harm} | {r.why} | {r.cite} |")
    return lines


def classes() -> list[str]:
    lines = ["| class | meaning | default |", "|---|---|---|"]
    lines += [
        f"| {h} | {meaning} | {'never fails' if h == 'inconclusive' else level} |"
        for h, (meaning, level) in HARMS.items()
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(markdown()))

"""Every rule applied to one exchange: its failures and advisories, ungraded (the Judge grades
them by each rule's level), and the request read as the rules need it (whose credentials, which
id, which perspective). The status policy of design.md, by status: 401, 200, 404, a method the
operation does not declare, and the statuses HTTP prescribes (checks/statuses.py)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from ..contract.forms import malformed, same_credential
from ..contract.spec import GET_SESSION, SESSION_PATH, Contract
from ..transport.client import TRUNCATED_HEADER, Target
from ..transport.framing import FRAMING_HEADER, carried_problems
from . import strict_json
from .disclosure import disclosure_problems
from .exchange import Exchange
from .findings import Problem
from .headers import cors_problems, shared_cache_problems
from .hygiene import banner_problems, ijson_problems
from .record import RunRecord
from .statuses import (
    HEAD_UNSUPPORTED,
    HTTP_REFUSALS,
    UNDECLARED_REFUSALS,
    http_malformed,
    normalised_redirect,
    oversized,
    server_error,
    undeclared_input,
)

DOCUMENTED_METHOD = GET_SESSION[0]
JSON_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.-]+/[a-z0-9!#$&^_.+-]+\+json")  # RFC 6839 structured syntax suffix
Problems = list[Problem]


class Assessor:
    """`offline`: judging recorded exchanges of no known target (see Judge)."""

    def __init__(self, contract: Contract, target: Target, record: RunRecord, offline: bool = False) -> None:
        self.contract = contract
        self.operation = contract.operation(*GET_SESSION)
        self.target = target
        self.record = record
        self.offline = offline
        self._prefix = target.base_url.rstrip("/") + SESSION_PATH

    def has_valid_credentials(self, ex: Exchange) -> bool:
        if self.offline:
            return "Authorization" in ex.request_headers  # whether it is valid is not known offline
        # Any token of the run (a token command's change when one expires), up to HTTP's leniency.
        sent = ex.request_headers.get("Authorization")
        return any(same_credential(sent, token) for token in self.target.secrets)

    def perspective(self, ex: Exchange) -> str:
        if self.has_valid_credentials(ex):
            return "the token"
        return "no credentials" if "Authorization" not in ex.request_headers else "other credentials"

    def requested_segment(self, ex: Exchange) -> str | None:
        """The session path's segment as sent (percent-encoded), or None for another path."""
        path = urlsplit(ex.url).path
        if self.offline:
            return path.rsplit(SESSION_PATH, 1)[1] if SESSION_PATH in path else None
        segment = urlsplit(ex.url[len(self._prefix) :]).path if ex.url.startswith(self._prefix) else None
        # A raw slash in it is another route (a trailing or doubled slash: the request shapes), not an
        # id: the suite percent-encodes every id it asks for (%2F), and Schemathesis does.
        return segment if segment is not None and "/" not in segment else None

    def requested_id(self, ex: Exchange) -> str | None:
        segment = self.requested_segment(ex)
        return None if segment is None else unquote(segment)

    def assess(self, ex: Exchange) -> tuple[Problems, Problems]:
        advisories = [Problem("cors", text, at="Access-Control-Allow-Origin") for text in cors_problems(ex)]
        framing = [
            Problem("framing", f"ambiguous framing on the wire: {p}")
            for p in carried_problems(ex.headers.get(FRAMING_HEADER, ""))
        ]
        if framing:
            return framing, []  # its bytes read otherwise elsewhere: nothing after it can be judged
        if TRUNCATED_HEADER in ex.headers:
            limit = ex.headers[TRUNCATED_HEADER]
            return [Problem("body size", f"response body larger than {limit} bytes (a SessionInfo is under 1 KiB)")], []
        advisories += disclosure_problems(ex, None if self.offline else self.target.token)
        advisories += banner_problems(ex)
        status = ex.status
        segment = self.requested_segment(ex)
        if segment is None and not self.offline:
            # Another path (the diagnosis' unknown-route probe, a route spelled otherwise): no contract
            # there but "no 5xx"; a redirect of a spelling to its own normalised path is lenient.
            redirect = normalised_redirect(ex, ex.url.startswith(self._prefix))
            advisories += [Problem("route normalised", redirect)] if redirect else []
            return (
                [Problem("server error", f"server error {status}: no request may cause a 5xx")]
                if server_error(status)
                else []
            ), advisories
        if ex.method == "HEAD":
            # Not in openapi.yaml, but every server must support it (RFC 9110 §9.1): whether it agrees
            # with GET takes both (test_http_semantics); one HEAD alone fails only on a 5xx.
            text = f"server error {status}: no input a client can send may cause a 5xx"
            if ex.content:  # read only where the whole answer was (request_verbatim): requests never reads it
                more = f"HEAD answered with {len(ex.content)} bytes of content; a HEAD has none (RFC 9110 §9.3.2)"
                advisories.append(Problem("HEAD with content", more))
            prescribed = self.prescribed(ex)
            if prescribed is not None:
                return [], [*advisories, *prescribed]
            return ([Problem("server error", text)] if server_error(status) else []), advisories
        if status == 401:
            return self._assess_401(ex, advisories)
        if status == 429 and self.offline:
            return [], [*advisories, Problem("429", "429 Too Many Requests (back-pressure) recorded: not judged")]
        if status == 429:
            text = "429 Too Many Requests still, after the bounded retries that honour Retry-After"
            return [Problem("429 persists", text)], advisories
        if server_error(status):
            return [Problem("server error", f"server error {status}: no input a client can send may cause a 5xx")], (
                advisories
            )
        if 400 <= status < 500 and segment is not None and malformed(segment):
            return [], advisories  # no valid encoding of any id: any client error answers it
        prescribed = self.prescribed(ex)
        if prescribed is not None:
            return [], [*advisories, *prescribed]
        if ex.method != DOCUMENTED_METHOD:
            return self._assess_undeclared_method(ex, advisories), advisories
        if status not in self.operation.documented_statuses:
            documented = " and ".join(map(str, sorted(self.operation.documented_statuses)))
            text = f"undocumented status {status}: openapi.yaml documents {documented} for {DOCUMENTED_METHOD}"
            return [Problem("undocumented status", text)], advisories
        if status == 200:
            return self._assess_200(ex, advisories), advisories
        failures = self._assess_404(ex) if status == 404 else []
        return failures + self._body_problems(ex, status, advisories)[0], advisories

    def _assess_401(self, ex: Exchange, advisories: Problems) -> tuple[Problems, Problems]:
        if self.has_valid_credentials(ex) and not self.offline:
            return [
                Problem("401 with the valid token", "401 for a request with the valid token of the account under test")
            ], (advisories)
        failures = []
        challenge = ex.headers.get("WWW-Authenticate", "")
        if "bearer" not in challenge.lower():
            failures.append(
                Problem(
                    "401 challenge",
                    "401 must carry a 'WWW-Authenticate: Bearer ...' challenge (RFC 6750 §3, RFC 9110 §11.6.1), "
                    f"got {challenge or 'none'!r}",
                )
            )
        text = (
            "401: whether the credentials were valid is not judged offline; openapi.yaml documents no 401"
            if self.offline
            else "401 for a request without valid credentials: accepted, but openapi.yaml documents no 401"
        )
        return failures, [*advisories, Problem("401 undocumented", text)]

    def _assess_200(self, ex: Exchange, advisories: Problems) -> Problems:
        failures: Problems = []
        valid = self.has_valid_credentials(ex)
        sid = self.requested_id(ex)
        if self.offline:
            pass  # whose session it is, and whether the token may read it, are not known offline
        elif not valid:
            failures.append(
                Problem(
                    "read without valid credentials", "session data returned to a request without valid credentials"
                )
            )
        elif sid is not None and sid == self.target.foreign_session_id:
            failures.append(
                Problem(
                    "foreign session readable",
                    f"another account's session {sid!r} was readable with this account's token",
                )
            )
        elif sid not in self.target.session_ids:
            failures.append(Problem("unknown id read", f"200 for id {sid!r}, which is not a session known to exist"))
        problems, body = self._body_problems(ex, 200)
        failures += problems
        advisories += ijson_problems(body) if not problems else []
        # The session returned must be the one asked for, and never another account's: said beside a
        # read without valid credentials too (a test may grade that read as lenient), not beside a
        # rule that says the id is wrong already.
        wrong = not problems and sid is not None and isinstance(body, dict) and body.get("id") != sid
        if wrong and all(f.rule == "read without valid credentials" for f in failures):
            failures.append(
                Problem("id echo", f"/id: must equal the requested id {sid!r}, got {body.get('id')!r}", "/id")
            )
        foreign = self.target.foreign_session_id
        if wrong and not self.offline and foreign is not None and body.get("id") == foreign:
            text = f"another account's session {foreign!r} was returned for {sid!r}"
            failures.append(Problem("foreign session readable", text))
        if valid:
            advisories += [Problem("shared cache", text, at="Cache-Control") for text in shared_cache_problems(ex)]
        return failures

    def _assess_404(self, ex: Exchange) -> Problems:
        sid = self.requested_id(ex)
        if self.has_valid_credentials(ex) and sid in self.target.session_ids and not self.offline:
            return [
                Problem("known session not found", f"404 for {sid!r}, a session that exists in the account under test")
            ]
        return []

    def _assess_undeclared_method(self, ex: Exchange, advisories: Problems) -> Problems:
        if ex.method == "OPTIONS" and 200 <= ex.status < 300:
            return []  # OPTIONS describes a resource (RFC 9110 §9.3.7); CORS layers answer it everywhere
        if ex.status == 405:
            allow = {m.strip().upper() for m in ex.headers.get("Allow", "").split(",") if m.strip()}
            if not allow:
                return [Problem("405 without Allow", "405 must carry an Allow header (RFC 9110 §15.5.6)")]
            problems = []
            if DOCUMENTED_METHOD not in allow:
                text = f"Allow {sorted(allow)} does not list {DOCUMENTED_METHOD}, which openapi.yaml declares"
                problems.append(Problem("Allow lacks the declared method", text, at="Allow"))
            if ex.method in allow:
                problems.append(
                    Problem(
                        "Allow lists the refused method",
                        f"Allow lists {ex.method}, the method it just refused",
                        at="Allow",
                    )
                )
            return problems
        if ex.status == 404:
            # Probes only ever target ids that do not exist (never risk a real session), and many
            # routers look the resource up first: the answer says nothing about the method.
            text = f"{ex.method} probe inconclusive: 404 for a session that does not exist, not 405"
            advisories.append(Problem("method probe inconclusive", text))
            return []
        text = f"undeclared method {ex.method} answered {ex.status}; expected 405 with an Allow header"
        return [Problem("undeclared method answered", text)]

    def _body_problems(self, ex: Exchange, status: int, advisories: Problems | None = None) -> tuple[Problems, Any]:
        """Problems of a JSON body (media type, RFC 8259, schema) and the body, if it is JSON."""
        documented = self.operation.responses[str(status)]
        media_type = ex.media_type
        if media_type not in documented.media_types:
            text = f"Content-Type must be {' or '.join(documented.media_types)}, got {ex.headers.get('Content-Type')!r}"
            if status != 404 or advisories is None or not JSON_MEDIA_TYPE.fullmatch(media_type):
                return [Problem("content type", text)], None
            # One rule, the README's: another JSON media type on a 404 (application/problem+json) is an
            # advisory, its body still judged as the documented type's; on a 200 it stays a failure.
            advisories.append(Problem("404 media type", f"{text} (another JSON media type: advisory)"))
            media_type = documented.media_types[0]
        charset = strict_json.charset_problem(ex.headers.get("Content-Type", ""))
        if charset:
            return [Problem("charset", charset)], None
        try:
            body = strict_json.loads(ex.content)
        except strict_json.NotJSON as exc:
            return [Problem("strict json", f"not JSON (RFC 8259): {exc}")], None
        if status == 200 and isinstance(body, dict):
            self.record.observe(body)
        validator = documented.validators[media_type]
        problems = [
            Problem(f"schema {v.keyword}", f"schema: {v}", v.pointer or "/") for v in validator.violations(body)
        ]
        return problems, body

    def prescribed(self, ex: Exchange) -> Problems | None:
        """The advisories of a status HTTP prescribes here (checks/statuses.py), or None for any other."""
        if ex.method == "HEAD" and ex.status in HEAD_UNSUPPORTED:
            text = f"HEAD answered {ex.status}: HEAD not supported (general-purpose servers MUST, RFC 9110 §9.1)"
            return [Problem("HEAD not supported", text)]
        if ex.status in HTTP_REFUSALS and http_malformed(ex):
            # HTTP's own answer to a request the suite made malformed, or too large to say anything
            too_large = oversized(ex)
            if not too_large:
                return []
            text = f"inconclusive: {ex.status} for {too_large}: the server's limit, not the contract's answer"
            return [Problem("request too large", text, inconclusive=True)]
        if ex.status in UNDECLARED_REFUSALS and undeclared_input(ex):
            return []  # a refusal of a query string or content openapi.yaml declares for no operation
        under = self.requested_segment(ex) is not None or ex.url.startswith(self._prefix)
        redirect = normalised_redirect(ex, under)
        if redirect:
            return [Problem("route normalised", redirect)]
        if ex.method != DOCUMENTED_METHOD and ex.status == 501:
            return []  # "not implemented": what HTTP prescribes for a method a server lacks
        return None

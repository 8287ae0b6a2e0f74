"""`chaser-conformance validate PATH...`: recorded and mock responses judged by the live rules, offline.

Inputs, found by content (a directory is searched for *.json, *.jsonl, *.ndjson and *.har):
- a JSON file holding one SessionInfo body (a client team's fixture or mock mapping): whatever
  bytes it holds are judged as a 200's body (not JSON, too deep to parse: a finding);
- JSON Lines: one body, or one recorded exchange, a line (the suite's own failures.jsonl too);
- a HAR 1.2 capture (a .har, or a .json whose first member is "log"): each `GET .../v1/sessions/{id}`
  entry, under any base URL, is an exchange.
Each exchange goes through the same `Judge` as a live run (status policy, content type, strict
JSON, schema with JSON pointers, the id asked for is the id returned); what needs the account
under test (is the token valid, which sessions exist, whose) is not judged offline.

Outcomes (exitcodes.py):
- 0: every exchange judged conforms (advisories may be listed);
- 1: findings, one line each (`file:entry 3: GET url -> 200: problem`);
- 4: unreadable or malformed input, one line naming the file, the entry or line, and what is
  wrong, and nothing judged: a file that is not JSON (or not UTF-8, or truncated), a JSON Lines
  line that is not JSON, a HAR without HAR 1.2's required structure (`log` an object,
  `log.entries` an array, each entry an object with `request`: `method` and `url` strings and a
  `headers` array; and `response`: an integer `status`, a `headers` array, a `content` object;
  each header an object with `name` and `value` strings; base64 `content.text` that is base64),
  or anything nested deeper than `stream.MAX_DEPTH` (512) levels. So `{}`, `[]`, an `entries`
  object or an entry without `request` are 4, not "nothing judged": they are not HAR.
- A well-formed input with nothing to judge (`"entries": []`, a capture of other endpoints, an
  empty JSON Lines file) is 0 with the line "nothing was judged": it breaks no rule, and a
  directory of mixed captures is a normal input; the line says so rather than the code.
- A recorded request with no response (HAR status 0, failures.jsonl `"response": null`) is counted,
  not judged. 2: interrupted; 3: a bug of the suite (one line, no traceback).
All inputs are checked before any is judged: malformed input prints its one line and no finding.

`--format json` writes one JSON document, streamed as it goes: `{"findings": [` then each finding
as it is judged (file, entry, method, url, status, kind, problem, pointer), then the tally
(files, judged, skipped, unanswered, failing_exchanges, failures, advisories), `exit_code`,
`error` (the one line, or null) and `not_judged`. It is closed in every outcome (findings, none,
malformed input, an interruption, an internal error), so stdout always parses; a streaming reader
(e.g. ijson's `findings.item`) can take the findings as they come.

Secrets: no credential of a request is printed. Inputs are read twice: the first pass checks every
input and learns every credential value (Authorization and credential-named headers, cookies,
Set-Cookie, URL userinfo, credential-named query, path and fragment parameters, HAR cookie and
parameter lists), the second judges and prints with all of them masked, so a token shown in entry
0's URL and revealed as a token only by entry 1's Authorization header is masked too. URLs are
also masked by name (userinfo, credential-named parameters) whether or not their value was learnt.

Memory: inputs stream (HAR through ijson's event stream, JSON Lines line by line), each entry is
built alone, and reading stops at MAX_DEPTH, so memory is bounded by the largest entry (plus the
capture's distinct credential values), whatever the file's size or nesting depth.
"""

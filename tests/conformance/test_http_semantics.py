"""HTTP semantics around the contract: HEAD is GET without content. HEAD is safe (RFC 9110 §9.2.1):
it is sent to known sessions."""

from chaser_conformance.checks import ContractViolation, Exchange
from chaser_conformance.checks.http_semantics import compare, features, head_problems


class HeadNotSupported(Exception):
    pass


def test_head_agrees_with_get(api, judge, known_session_id):
    # HEAD should answer with GET's status and header fields, without content (RFC 9110 §9.3.2): a
    # difference that every HEAD shows and no GET is leniency (a failure with CHASER_STRICT=1);
    # what varies by itself (dates, request ids) is learnt from several GETs, and a difference that
    # shows only sometimes is inconclusive, never a failure.
    url = api.session_url(known_session_id)
    heads = []
    # Each read's own failure (a GET that fails the id echo) is recorded as it is found and raised
    # once the comparison has judged too: one rule failing does not hide the other's verdict.
    failed: list[ContractViolation] = []

    def read(method, *expect):
        response = api.request(method, url)
        try:
            judge("head", response)
            if expect:
                judge.expect("head", Exchange.of(response), *expect)
        except ContractViolation as violation:
            failed.append(violation)
        return Exchange.of(response)

    def head():
        exchange = read("HEAD")
        if judge.settled(exchange):
            raise HeadNotSupported  # 405, 501: judge() advised so; there is no HEAD to compare
        heads.append(exchange)
        return features(exchange)

    def get():
        return features(read("GET", 200, "the session exists in the account under test"))

    try:
        problems = head_problems(compare(head, get))
    except HeadNotSupported:
        problems = None
    try:
        if problems:
            judge.advise("head", heads[0], problems)
        if problems is not None:
            # Without content: read to the end of its connection (judge(): content after a HEAD's
            # header fields breaks the next answer's framing, a protocol failure).
            judge("head", api.request_verbatim("HEAD", url))
    except ContractViolation as violation:
        failed.append(violation)
    if failed:
        raise failed[0]  # the others are recorded on this test as well

"""HTTP semantics around the contract: HEAD is GET without content. HEAD is safe (RFC 9110 §9.2.1):
it is sent to known sessions."""

from chaser_conformance.checks.http_semantics import compare, features, head_problems


class HeadNotSupported(Exception):
    pass


def test_head_agrees_with_get(api, judge, known_session_id):
    # HEAD must answer with GET's status and header fields, without content (RFC 9110 §9.3.2): a
    # difference that every HEAD shows and no GET is an advisory (a failure with CHASER_STRICT=1);
    # what varies by itself (dates, request ids) is learnt from several GETs, and a difference that
    # shows only sometimes is inconclusive, never a failure.
    url = api.session_url(known_session_id)
    heads = []

    def head():
        exchange = judge("head", api.request("HEAD", url))
        if judge.settled(exchange):
            raise HeadNotSupported  # 405, 501: judge() advised so; there is no HEAD to compare
        heads.append(exchange)
        return features(exchange)

    def get():
        exchange = judge("head", api.request("GET", url))
        judge.expect("head", exchange, 200, "the session exists in the account under test")
        return features(exchange)

    try:
        problems = head_problems(compare(head, get))
    except HeadNotSupported:
        return
    if problems:
        judge.advise("head", heads[0], problems)
    # Without content: read to the end of its connection (judge(): content after a HEAD's header
    # fields is an advisory, a failure with CHASER_STRICT=1).
    judge("head", api.request_verbatim("HEAD", url))

"""GET /v1/sessions/{id}: what every target must do."""

import uuid

from chaser_conformance import checks


def test_known_session_returns_200_valid_sessioninfo(api, contract, known_session_id):
    response = api.get_session(known_session_id)
    checks.expect_session("known session", response, contract, known_session_id)


def test_unknown_id_returns_404_json(api, contract):
    unknown = f"does-not-exist-{uuid.uuid4().hex}"
    response = api.get_session(unknown)
    checks.expect_not_found("unknown id", response, contract)

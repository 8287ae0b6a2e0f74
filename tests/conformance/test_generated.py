"""Property-based: Schemathesis generates requests from openapi.yaml, positive and negative,
through its coverage and fuzzing phases; every response goes through its built-in checks
and through the project's own rules (Judge)."""

import requests
import schemathesis

from chaser_conformance.client import NoAnswer
from chaser_conformance.generated import EXCLUDED_CHECKS, contract_check, guard

schema = schemathesis.pytest.from_fixture("generated_schema")


@schema.parametrize()
def test_generated_requests_conform(case, api, judge, target):
    guard(case, target)
    try:
        response = case.call(session=api.http, timeout=api.timeout)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise NoAnswer(f"[no answer] {case.method} {case.formatted_path}: {type(exc).__name__}") from None
    case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, additional_checks=[contract_check(judge)])

"""Property-based: Schemathesis generates requests from openapi.yaml, positive and negative,
through its coverage and fuzzing phases; every response goes through its built-in checks
and through the project's own rules (Judge)."""

import requests

from chaser_conformance.checks import ContractViolation
from chaser_conformance.client import NoAnswer
from chaser_conformance.generated import CHECK_NAME, EXCLUDED_CHECKS, contract_check, guard
from chaser_conformance.plugin import generated_schema
from chaser_conformance.secret import mask

schema = generated_schema()


@schema.parametrize()
def test_generated_requests_conform(case, api, judge, target):
    guard(case, target)
    try:
        response = case.call(session=api.http, timeout=api.timeout, allow_redirects=False)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise NoAnswer(f"[no answer] {case.method} {case.formatted_path}: {type(exc).__name__}") from None
    try:
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, additional_checks=[contract_check(judge)])
    except AssertionError as failure:  # Schemathesis' failure group
        # Keep the exchange for the reports, and re-raise with the token masked: Schemathesis
        # filters the Authorization header but quotes response bodies as they came.
        judge.record_failure(CHECK_NAME, response, [str(failure).splitlines()[0]])
        raise ContractViolation(mask(str(failure), target.token)) from None

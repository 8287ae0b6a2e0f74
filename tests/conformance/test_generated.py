"""Property-based: Schemathesis generates requests from openapi.yaml, positive and negative,
through its coverage and fuzzing phases; every response goes through its built-in checks
and through the project's own rules (Judge).

The cases are split into parts (a number fixed by the profile, each with a seed derived from
the run's), one test each, so that `pytest -n N` spreads them and a seed replays the same
requests whatever N is."""

import requests
from schemathesis.core.failures import FailureGroup

from chaser_conformance.checks import Exchange
from chaser_conformance.checks.generated import CHECK_NAME, EXCLUDED_CHECKS, contract_check, guard, problems_of
from chaser_conformance.plugin import generated_schema, generated_shards
from chaser_conformance.transport.client import NoAnswer, no_answer


def generated_test(schema):
    @schema.parametrize()
    def test(case, api, judge, target):
        guard(case, target)
        try:
            response = case.call(session=api.http, timeout=api.timeout, allow_redirects=False)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise NoAnswer(case.method, case.formatted_path, no_answer(exc)) from None
        try:
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, additional_checks=[contract_check(judge)])
        except (FailureGroup, AssertionError) as failure:  # Schemathesis' checks' and the Judge's problems
            problems = problems_of(failure)
            if judge.settled(Exchange.of(response)):
                # HTTP's own answer (501 to a method the server lacks, a refusal of a malformed
                # request): Schemathesis' checks want a 405 or no 5xx; the Judge's rules decide.
                problems = [p for p in problems if p.own]
            if problems:
                # One finding with every problem; the report shows it in place of Schemathesis' own group.
                judge.fail(CHECK_NAME, response, problems)

    return test


PARTS = generated_shards()
for _part in range(PARTS):
    globals()[f"test_generated_requests_conform_part_{_part + 1}_of_{PARTS}"] = generated_test(generated_schema(_part))

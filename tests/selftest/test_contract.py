"""openapi.yaml is the seed's document, unchanged, and a valid OpenAPI 3.1 document."""

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from chaser_conformance.contract.spec import GET_SESSION, SPEC_PATH, load_contract

DATA = Path(__file__).parent / "data"
SEED = DATA / "openapi-seed.txt"
SHARED_SEEDS = SPEC_PATH.parent.parent / "shared" / "seeds"


def seed_yaml() -> str:
    # The seed is one line of prose with the YAML inside a ```yaml fence; its line
    # structure was lost, so compare token streams: same words, same order.
    match = re.search(r"```yaml\s(.*?)\s```", SEED.read_text(encoding="utf-8"), re.S)
    assert match, "no ```yaml block in the seed"
    return match.group(1)


def test_openapi_yaml_has_the_seeds_tokens_in_the_seeds_order():
    assert SPEC_PATH.read_text(encoding="utf-8").split() == seed_yaml().split()


def test_openapi_yaml_is_valid_openapi_3_1():
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_validity_check_rejects_a_misplaced_key():
    # Token order alone cannot see a wrong indentation; the OpenAPI check must.
    text = SPEC_PATH.read_text(encoding="utf-8").replace("      title: Endpoints", "    title: Endpoints")
    with pytest.raises(OpenAPIValidationError):
        validate(yaml.safe_load(text))


def test_the_structure_the_suite_relies_on():
    contract = load_contract()
    assert contract.operation(*GET_SESSION).documented_statuses == {200, 404}
    fields = {f.pointer: f for f in contract.fields()}
    assert {p for p, f in fields.items() if f.required and p.count("/") == 1} == {
        "/created_at",
        "/endpoints",
        "/id",
        "/session_type",
        "/status",
    }
    assert fields["/endpoints/control"].required
    assert {p for p, f in fields.items() if f.nullable} == {
        "/active_connection_leases",
        "/persistence",
        "/workspace_id",
        "/endpoints/video",
    }
    assert (
        "security" not in contract.document and "security" not in contract.document["paths"]["/v1/sessions/{id}"]["get"]
    )


@pytest.mark.skipif(
    not SHARED_SEEDS.is_dir(), reason=f"no {SHARED_SEEDS} beside the checkout to compare the vendored seed with"
)
def test_vendored_seed_is_the_shared_seed():
    assert SEED.read_bytes() == (SHARED_SEEDS / "000_a20db763eef5405e.txt").read_bytes()

"""The response validator, built from openapi.yaml: table-driven rules.

The tables are derived from the contract itself (required set, nullable fields,
allowed types), so they follow the document rather than a copy of it.
"""

import copy

import pytest

from chaser_conformance.contract.spec import GET_SESSION, json_type, load_contract
from documents import SAMPLES, accepted_types, delete, full_document, put, with_change

CONTRACT = load_contract()
FIELDS = CONTRACT.fields()
VALIDATOR = CONTRACT.validator(*GET_SESSION, 200)


def ids(fields):
    return [f.pointer for f in fields]


REQUIRED = [f for f in FIELDS if f.required]
OPTIONAL = [f for f in FIELDS if not f.required]
NULLABLE = [f for f in FIELDS if f.nullable]
NOT_NULLABLE = [f for f in FIELDS if not f.nullable]
WRONG_TYPES = [(f, t) for f in FIELDS for t in SAMPLES if t not in accepted_types(f.types)]


def test_the_tables_are_not_empty():
    # A table that derived nothing would make every parametrized test below vanish.
    assert len(REQUIRED) == 6 and len(NULLABLE) == 4 and len(WRONG_TYPES) > 30


def test_a_document_with_every_field_is_valid():
    assert VALIDATOR.violations(full_document()) == []


@pytest.mark.parametrize("field", REQUIRED, ids=ids(REQUIRED))
def test_a_missing_required_field_is_rejected(field):
    violations = VALIDATOR.violations(with_change(delete, field.pointer))
    assert [(v.pointer, v.rule, v.found) for v in violations] == [(field.pointer, "required", "absent")]


@pytest.mark.parametrize("field", OPTIONAL, ids=ids(OPTIONAL))
def test_a_missing_optional_field_is_accepted(field):
    assert VALIDATOR.violations(with_change(delete, field.pointer)) == []


@pytest.mark.parametrize("field", NULLABLE, ids=ids(NULLABLE))
def test_null_in_a_nullable_field_is_accepted(field):
    assert VALIDATOR.violations(with_change(put, field.pointer, None)) == []


@pytest.mark.parametrize("field", NOT_NULLABLE, ids=ids(NOT_NULLABLE))
def test_null_in_a_non_nullable_field_is_rejected(field):
    violations = VALIDATOR.violations(with_change(put, field.pointer, None))
    assert [(v.pointer, v.found) for v in violations] == [(field.pointer, "null")]
    assert violations[0].rule.startswith("type: ")


@pytest.mark.parametrize(("field", "wrong"), WRONG_TYPES, ids=[f"{f.pointer}={t}" for f, t in WRONG_TYPES])
def test_a_value_of_a_wrong_type_is_rejected(field, wrong):
    violations = VALIDATOR.violations(with_change(put, field.pointer, copy.deepcopy(SAMPLES[wrong])))
    assert [(v.pointer, v.found) for v in violations] == [(field.pointer, wrong)]


@pytest.mark.parametrize("where", ["", "/endpoints"])
def test_extra_properties_are_accepted(where):
    assert VALIDATOR.violations(with_change(put, f"{where}/x_extension", {"any": ["thing", None]})) == []


def test_an_integer_valued_float_is_an_integer():
    assert VALIDATOR.violations(with_change(put, "/active_connection_leases", 3.0)) == []


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("/active_connection_leases", True),
        ("/active_connection_leases", False),
        ("/persistence", 1),
        ("/persistence", 0),
        ("/id", 1),
        ("/status", False),
    ],
)
def test_booleans_and_integers_are_not_confused(pointer, value):
    violations = VALIDATOR.violations(with_change(put, pointer, value))
    assert [(v.pointer, v.found) for v in violations] == [(pointer, json_type(value))]


@pytest.mark.parametrize("body", [[], "session", 3, None, True], ids=["array", "string", "number", "null", "boolean"])
def test_a_body_that_is_not_an_object_is_rejected(body):
    assert [(v.pointer, v.rule) for v in VALIDATOR.violations(body)] == [("", "type: 'object'")]


def test_every_error_in_a_document_is_reported():
    doc = full_document()
    del doc["id"]
    doc["persistence"] = "yes"
    doc["endpoints"] = {"video": 5}
    violations = VALIDATOR.violations(doc)
    assert [(v.pointer, v.found) for v in violations] == [
        ("/endpoints/control", "absent"),
        ("/endpoints/video", "integer"),
        ("/id", "absent"),
        ("/persistence", "string"),
    ]


def test_a_violation_names_pointer_rule_and_type():
    (violation,) = VALIDATOR.violations(with_change(put, "/workspace_id", 12))
    assert (
        str(violation)
        == "/workspace_id: breaks type: ['string', 'null'] (found integer) [schema /properties/workspace_id/type]"
    )


@pytest.mark.parametrize("body", [{"error": "x"}, [], "text", 0, None, False])
def test_the_404_schema_accepts_any_json_value(body):
    assert CONTRACT.validator(*GET_SESSION, 404).violations(body) == []


def test_validators_are_compiled_once():
    assert CONTRACT.validator(*GET_SESSION, 200) is VALIDATOR
    assert load_contract() is CONTRACT

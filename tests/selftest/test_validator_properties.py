"""Property-based tests of the validator: generated valid documents pass; one mutation fails them."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from chaser_conformance.contract.spec import GET_SESSION, load_contract
from documents import SAMPLES, accepted_types, delete, put

CONTRACT = load_contract()
FIELDS = {f.pointer: f for f in CONTRACT.fields()}
VALIDATOR = CONTRACT.validator(*GET_SESSION, 200)
# hypothesis-jsonschema resolves "#/components/..." against the root, so carry the components along.
SESSION_INFO = {"$ref": "#/components/schemas/SessionInfo", "components": CONTRACT.document["components"]}
documents = from_schema(SESSION_INFO)
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def present(doc, pointer):
    *parents, last = pointer.strip("/").split("/")
    for p in parents:
        doc = doc.get(p, {})
    return isinstance(doc, dict) and last in doc


@PROFILE
@given(documents)
def test_generated_sessioninfo_documents_are_valid(doc):
    assert VALIDATOR.violations(doc) == []


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(documents))
    kind = draw(st.sampled_from(["drop-required", "null-non-nullable", "swap-type"]))
    if kind == "drop-required":
        pointer = draw(st.sampled_from([p for p, f in FIELDS.items() if f.required and present(doc, p)]))
        delete(doc, pointer)
        return kind, pointer, doc
    candidates = [p for p, f in FIELDS.items() if present(doc, p) and (kind == "swap-type" or not f.nullable)]
    pointer = draw(st.sampled_from(candidates))
    wrong = [t for t in SAMPLES if t not in accepted_types(FIELDS[pointer].types)]
    if kind == "null-non-nullable":
        wrong = ["null"]
    put(doc, pointer, copy.deepcopy(SAMPLES[draw(st.sampled_from(wrong))]))
    return kind, pointer, doc


@PROFILE
@given(mutated())
def test_one_mutation_makes_a_document_invalid(case):
    kind, pointer, doc = case
    violations = VALIDATOR.violations(doc)
    assert pointer in {v.pointer for v in violations}, (kind, pointer, violations)

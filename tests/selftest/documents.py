"""JSON documents for the validator's tests, built from the contract's own field list."""

import copy

from chaser_conformance.contract.spec import SAMPLE_VALUES as SAMPLES
from chaser_conformance.contract.spec import accepted_types, load_contract
from chaser_conformance.contract.spec import delete_at as delete
from chaser_conformance.contract.spec import set_at as put

FIELDS = load_contract().fields()
__all__ = ["SAMPLES", "accepted_types", "delete", "full_document", "put", "with_change"]


def full_document():
    doc = {}
    for f in FIELDS:  # document order: a parent object comes before its properties
        put(doc, f.pointer, {} if f.types == ("object",) else SAMPLES[next(t for t in f.types if t != "null")])
    return doc


def with_change(change, pointer, *value):
    doc = copy.deepcopy(full_document())
    change(doc, pointer, *value)
    return doc

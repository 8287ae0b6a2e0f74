"""JSON documents for the validator's tests, built from the contract's own field list."""

import copy

from chaser_conformance.spec import load_contract

FIELDS = load_contract().fields()
# One value of each JSON type; "number" is deliberately not integer-valued.
SAMPLES = {
    "null": None,
    "boolean": True,
    "integer": 7,
    "number": 2.5,
    "string": "x",
    "array": ["x"],
    "object": {"x": 1},
}


def _parts(pointer):
    return pointer.strip("/").split("/")


def put(doc, pointer, value):
    *parents, last = _parts(pointer)
    for p in parents:
        doc = doc[p]
    doc[last] = value


def delete(doc, pointer):
    *parents, last = _parts(pointer)
    for p in parents:
        doc = doc[p]
    del doc[last]


def full_document():
    doc = {}
    for f in FIELDS:  # document order: a parent object comes before its properties
        put(doc, f.pointer, {} if f.types == ("object",) else SAMPLES[next(t for t in f.types if t != "null")])
    return doc


def with_change(change, pointer, *value):
    doc = copy.deepcopy(full_document())
    change(doc, pointer, *value)
    return doc


def accepted_types(types):
    # Draft 2020-12: "number" admits integers.
    return set(types) | ({"integer"} if "number" in types else set())

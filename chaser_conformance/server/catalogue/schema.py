"""Schema faults, derived from openapi.yaml itself: every required field missing, every non-nullable
field null, every field with a value of every JSON type it does not allow; and bodies of no schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...contract.spec import SAMPLE_VALUES, accepted_types, load_contract
from .switch import Switch, drop_field, fault, on_200, raw_body, set_field

# The confusions a hand-written check gets wrong: Python's bool is an int, JSON numbers in strings.
CONFUSIONS: dict[str, list[tuple[str, Any]]] = {
    "integer": [("false", False), ("numeric-string", "3"), ("float", 1.5)],
    "boolean": [("zero", 0), ("one", 1), ("string-true", "true")],
    "string": [("zero", 0), ("false", False)],
}


def derived_faults() -> Iterator[Switch]:
    for field in load_contract().fields():
        name = field.pointer.strip("/").replace("/", ".")
        types = "/".join(field.types)
        if field.required:
            yield fault(
                f"missing-{name}", "schema", f"200 lacks required {field.pointer}", on_200(drop_field(field.pointer))
            )
        if not field.nullable:
            yield fault(
                f"null-{name}",
                "schema",
                f"200 has null in non-nullable {field.pointer}",
                on_200(set_field(field.pointer, None)),
            )
        allowed = accepted_types(field.types)
        for json_type, value in SAMPLE_VALUES.items():
            if json_type not in allowed and json_type != "null":
                yield fault(
                    f"type-{name}-{json_type}",
                    "schema",
                    f"200 has a value of type {json_type} in {field.pointer} ({types})",
                    on_200(set_field(field.pointer, value)),
                )
        for allowed_type in field.types:
            for label, value in CONFUSIONS.get(allowed_type, []):
                yield fault(
                    f"confuse-{name}-{label}",
                    "schema",
                    f"200 has {value!r} in {field.pointer} ({types})",
                    on_200(set_field(field.pointer, value)),
                )


BODY_FAULTS = [
    fault("body-array", "schema", "200 body is a JSON array", on_200(raw_body(b"[]"))),
    fault("body-string", "schema", "200 body is a JSON string", on_200(raw_body(b'"ses_full"'))),
    fault("body-null", "schema", "200 body is JSON null", on_200(raw_body(b"null"))),
    fault("body-not-json", "schema", "200 body is not JSON", on_200(raw_body(b"{id: ses_full"))),
    fault("body-empty", "schema", "200 body is empty", on_200(raw_body(b""))),
]

SCHEMA_FAULTS = [*derived_faults(), *BODY_FAULTS]

"""The contract: `openapi.yaml` loaded once, response validators compiled once.

Validators are built from the document at run time, never from pasted schema
fragments: each response schema is referenced by its JSON pointer inside the
OpenAPI document, which is registered as a Draft 2020-12 resource so that its
own `$ref`s (SessionInfo -> Endpoints) resolve through `referencing`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .layout import SPEC_PATH

DOCUMENT_URI = "urn:chaser:openapi"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def json_pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (a bool is never an integer here)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# One value of each JSON type; the number is deliberately not integer-valued (3.0 is an integer).
SAMPLE_VALUES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 7,
    "number": 2.5,
    "string": "x",
    "array": ["x"],
    "object": {"x": 1},
}


def accepted_types(types: tuple[str, ...] | list[str] | set[str]) -> set[str]:
    """The JSON types a `type` keyword accepts: in Draft 2020-12 "number" admits integers."""
    return set(types) | ({"integer"} if "number" in types else set())


def _parent(doc: Any, pointer: str, create: bool) -> tuple[Any, str]:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    for part in parents:
        doc = doc.setdefault(part, {}) if create else doc[part]
    return doc, last


def set_at(doc: Any, pointer: str, value: Any) -> None:
    """Set the value at a JSON pointer, creating missing parent objects."""
    parent, key = _parent(doc, pointer, create=True)
    parent[key] = value


def delete_at(doc: Any, pointer: str) -> None:
    """Remove the value at a JSON pointer if it is there."""
    parent, key = _parent(doc, pointer, create=False)
    parent.pop(key, None)


@dataclass(frozen=True)
class Violation:
    pointer: str  # JSON pointer of the bad (or missing) value in the response body
    rule: str  # the schema keyword and its expected value, e.g. "type: ['string', 'null']"
    found: str  # the JSON type found there, or "absent"
    schema_path: str  # where the rule lives in openapi.yaml

    @property
    def keyword(self) -> str:
        return self.rule.split(":", 1)[0]

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: breaks {self.rule} (found {self.found}) [schema {self.schema_path}]"


class ResponseValidator:
    def __init__(self, pointer: str, registry: Registry) -> None:
        self.pointer = pointer  # of the response schema inside openapi.yaml
        schema = {"$schema": DRAFT_2020_12, "$ref": f"{DOCUMENT_URI}#{quote(pointer, safe='/~')}"}
        self._validator = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    def violations(self, instance: Any) -> list[Violation]:
        """Every violation in the document, not only the first, in document order."""
        found: dict[tuple[str, str], Violation] = {}
        for error in self._validator.iter_errors(instance):
            for v in _explain(error):
                found.setdefault((v.pointer, v.rule), v)
        return sorted(found.values(), key=lambda v: v.pointer)


def _explain(error: ValidationError) -> Iterator[Violation]:
    at = json_pointer(error.absolute_path)
    schema_path = json_pointer(error.absolute_schema_path)
    if error.validator == "required":
        # One error per missing key, but the error names none structurally: derive them.
        for key in error.validator_value:
            if isinstance(error.instance, dict) and key not in error.instance:
                yield Violation(at + json_pointer([key]), "required", "absent", schema_path)
        return
    yield Violation(at, f"{error.validator}: {error.validator_value!r}", json_type(error.instance), schema_path)


@dataclass(frozen=True)
class FieldInfo:
    """One property of a response schema, flattened: where it sits and what it may hold."""

    pointer: str  # JSON pointer inside the response body, e.g. "/endpoints/video"
    types: tuple[str, ...]  # the JSON types the schema allows there
    required: bool

    @property
    def nullable(self) -> bool:
        return "null" in self.types


@dataclass(frozen=True)
class Response:
    status: str
    media_types: tuple[str, ...]
    validators: dict[str, ResponseValidator]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    responses: dict[str, Response]

    @functools.cached_property  # read for every exchange the Judge sees
    def documented_statuses(self) -> frozenset[int]:
        return frozenset(int(s) for s in self.responses if s.isdigit())


class Contract:
    """The parsed OpenAPI document and everything derived from it."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.document: dict[str, Any] = yaml.safe_load(self.text)
        self.registry: Registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(self.document))
        self.operations: dict[tuple[str, str], Operation] = {}
        for route, item in self.document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    self.operations[(method.upper(), route)] = self._operation(method, route, item[method])

    def _operation(self, method: str, route: str, op: dict[str, Any]) -> Operation:
        responses = {}
        for status, response in op.get("responses", {}).items():
            base = ["paths", route, method, "responses", str(status), "content"]
            content = response.get("content", {})
            validators = {
                media: ResponseValidator(json_pointer([*base, media, "schema"]), self.registry)
                for media, body in content.items()
                if "schema" in body
            }
            responses[str(status)] = Response(str(status), tuple(content), validators)
        return Operation(method.upper(), route, responses)

    def operation(self, method: str, route: str) -> Operation:
        return self.operations[(method.upper(), route)]

    def schema(self, name: str) -> dict[str, Any]:
        return self.document["components"]["schemas"][name]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow a schema's `$ref` (relative to openapi.yaml) through the registry."""
        while "$ref" in schema:
            schema = self.registry.resolver(DOCUMENT_URI).lookup(schema["$ref"]).contents
        return schema

    def fields(self, schema_name: str = "SessionInfo") -> list[FieldInfo]:
        """Every property of a component schema, nested objects included, in document order."""
        found: list[FieldInfo] = []

        def walk(schema: dict[str, Any], at: list[str]) -> None:
            schema = self.resolve(schema)
            required = set(schema.get("required", ()))
            for name, sub in schema.get("properties", {}).items():
                sub = self.resolve(sub)
                types = sub.get("type", ())
                found.append(
                    FieldInfo(
                        json_pointer([*at, name]),
                        (types,) if isinstance(types, str) else tuple(types),
                        name in required,
                    )
                )
                if "properties" in sub:
                    walk(sub, [*at, name])

        walk(self.schema(schema_name), [])
        return found

    def validator(
        self, method: str, route: str, status: int | str, media_type: str = "application/json"
    ) -> ResponseValidator:
        return self.operation(method, route).responses[str(status)].validators[media_type]


@functools.cache
def load_contract(path: Path = SPEC_PATH) -> Contract:
    return Contract(path)


GET_SESSION = ("GET", "/v1/sessions/{id}")
# The path every session URL starts with, the id its one last segment.
SESSION_PATH = GET_SESSION[1].split("{", 1)[0]

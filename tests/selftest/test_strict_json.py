"""Strict JSON (RFC 8259): what Python's json accepts and other readers refuse fails; legal forms pass."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaser_conformance.checks import strict_json
from chaser_conformance.contract.spec import load_contract

NOT_JSON = {
    "nan": (b'{"a": NaN}', "NaN is not a JSON value"),
    "infinity": (b'{"a": Infinity}', "Infinity is not a JSON value"),
    "negative-infinity": (b"[-Infinity]", "-Infinity is not a JSON value"),
    "duplicate-name": (b'{"id": "a", "id": "b"}', "duplicate member name 'id'"),
    "nested-duplicate-name": (b'{"e": {"v": 1, "v": 1}}', "duplicate member name 'v'"),
    "bom": (b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
    "latin1-bytes": ('{"a": "Z\u00fcrich"}'.encode("latin-1"), "not UTF-8"),
    "utf16-bytes": ('{"a": 1}'.encode("utf-16"), "not UTF-8"),
    "encoded-surrogate-bytes": (b'"\xed\xa0\x80"', "not UTF-8"),
    "lone-high-surrogate": (b'{"a": "\\ud800"}', "lone surrogate"),
    "lone-low-surrogate-in-a-name": (b'{"\\udc00x": 1}', "lone surrogate"),
    "reversed-pair": (b'["\\udc00\\ud800"]', "lone surrogate"),
    "second-value": (b'{"a": 1}\n{"a": 1}', "data after the JSON value"),
    "trailing-garbage": (b"null x", "data after the JSON value"),
    "single-quotes": (b"{'a': 1}", "not JSON"),
    "empty": (b"", "not JSON"),
}


@pytest.mark.parametrize("text,reason", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_text_that_is_not_rfc_8259_json_is_refused_with_its_rule(text, reason):
    with pytest.raises(strict_json.NotJSON, match=reason):
        strict_json.loads(text)


LEGAL = {
    "escaped-characters": (b'{"\\u0069d": "\\u0041\\/\\n"}', {"id": "A/\n"}),
    "escaped-surrogate-pair": (b'["\\ud83e\\udded"]', ["\U0001f9ed"]),
    "exponent-integer": (b"[2E0, 20e-1, 1E+2]", [2.0, 2.0, 100.0]),
    "big-integer": (b"123456789012345678901234567890", 123456789012345678901234567890),
    "every-whitespace": (b' \t\r\n{ \t"a"\r\n:\t[ 1 ,\n2 ] }\r\n\t ', {"a": [1, 2]}),
    "utf8-text": ('"Z\u00fcrich \u4f1a\u8bdd"'.encode(), "Z\u00fcrich \u4f1a\u8bdd"),
    "scalar": (b"null", None),
}


@pytest.mark.parametrize("text,value", LEGAL.values(), ids=LEGAL.keys())
def test_legal_json_forms_are_accepted(text, value):
    assert strict_json.loads(text) == value


def test_an_exponent_integer_is_an_integer_for_the_schema():
    validator = load_contract().validator("GET", "/v1/sessions/{id}", 200)
    body = strict_json.loads(
        b'{"id": "s", "created_at": "t", "session_type": "b", "status": "r", '
        b'"endpoints": {"control": "c"}, "active_connection_leases": 2E0}'
    )
    assert validator.violations(body) == []


@pytest.mark.parametrize(
    "content_type,problem",
    [
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        ("application/json;charset=UTF-8", False),
        ('application/json; charset="utf8"', False),
        ("application/json; charset=utf-16", True),
        ("application/json; charset=iso-8859-1", True),
    ],
)
def test_a_charset_other_than_utf_8_is_a_problem(content_type, problem):
    assert bool(strict_json.charset_problem(content_type)) is problem


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(JSON_VALUES, st.booleans())
def test_any_json_that_python_writes_is_read_back(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=False)
    assert strict_json.loads(text.encode("utf-8")) == value

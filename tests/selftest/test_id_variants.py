"""Near variants of a known id: each differs from the id, and each resolves to it under the loose
comparison it stands for (so a backend that compares that way is caught by it)."""

import fnmatch
import re
import unicodedata
from urllib.parse import quote, unquote

import pytest

from chaser_conformance.idvariants import MECHANISMS, variants

IDS = ["ses_full", "AbC-123", "12345", "\u4f1a\u8bdd-x", "a", "0d9f8e7c-aaaa-4bbb-8ccc-1234567890ab"]


def _like(pattern, value):
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


# For each mechanism, loose comparisons of which every variant must satisfy at least one.
RESOLVES = {
    "truncated-or-extended": lambda got, sid: sid.startswith(got) or got.startswith(sid),
    "case": lambda got, sid: got.casefold() == sid.casefold(),
    "padding": lambda got, sid: got.strip() == sid,
    "compatibility-forms": lambda got, sid: unicodedata.normalize("NFKC", got) == sid,
    "wildcard": lambda got, sid: _like(got, sid) or fnmatch.fnmatchcase(sid, got),
    "double-encoded": lambda got, sid: unquote(got) == sid,
    "suffix-or-path-parameter": lambda got, sid: re.split(r"\.json$|;", got)[0] == sid,
}


@pytest.mark.parametrize("sid", IDS)
@pytest.mark.parametrize("mechanism", list(MECHANISMS))
def test_every_variant_differs_and_resolves_loosely_to_the_id(mechanism, sid):
    found = variants(mechanism, sid, exclude=["ses_other"])
    segments = [v.segment for v in found]
    assert quote(sid, safe="") not in segments
    assert len(set(segments)) == len(segments)
    for variant in found:
        got = unquote(variant.segment)  # what a server sees after the one decoding HTTP asks for
        assert RESOLVES[mechanism](got, sid), (variant, got)


def test_every_mechanism_has_a_variant_for_an_ordinary_id():
    assert all(variants(m, "ses_full") for m in MECHANISMS)


def test_a_variant_that_is_another_known_session_is_not_probed():
    assert "SES_FULL" not in {unquote(v.segment) for v in variants("case", "ses_full", exclude=["SES_FULL"])}

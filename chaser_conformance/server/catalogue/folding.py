"""Id faults of the generated near misses (generators/ids.py): ids folded before the lookup, and
ids that are no valid encoding that break the server. Several mechanisms per class: the suite must
catch the class, not one case. The variants are servers whose ids have other shapes, which must
keep passing."""

from __future__ import annotations

import json
import posixpath
import re
import threading
import unicodedata
import uuid
import weakref
from urllib.parse import unquote, unquote_to_bytes

from werkzeug.wrappers import Request, Response

from ..http import json_response, raw_session_segment
from .id_match import loose_lookup
from .partial import drop_connection
from .switch import Apply, Server, fault, unchanged, variant

HOMOGLYPHS = {"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0445": "x", "\u0456": "i"}
DIGIT_IDS = {"ses_full": "ses_0042", "ses_nulls": "ses_0043", "ses_minimal": "ses_0044", "ses_other": "ses_0099"}
UUID_IDS = {
    "ses_full": "3f0c6b1e-8d2a-4c59-9f1e-2b7d4a6c8e01",
    "ses_nulls": "7a1d9e42-5b3c-4f80-a6d2-c94e1f0b3a57",
    "ses_minimal": "c2e85f17-0a94-4d3b-8e6f-51b7d2a09c44",
    "ses_other": "e9b04c73-26f1-4a8d-b5e0-7f3c18d6a921",
}


# --- ids folded before the lookup ------------------------------------------------------------


def format_chars_stripped(got: str, stored: str) -> bool:
    return "".join(ch for ch in got if unicodedata.category(ch) != "Cf") == stored


def accents_stripped(got: str, stored: str) -> bool:
    # An accent-insensitive collation (*_ai): combining marks do not count.
    bare = "".join(ch for ch in unicodedata.normalize("NFD", got) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare) == stored


def confusables_folded(got: str, stored: str) -> bool:
    return "".join(HOMOGLYPHS.get(ch, ch) for ch in got) == stored


def upper_compared(got: str, stored: str) -> bool:
    return got.upper() == stored.upper() and got != stored


def numbers_parsed(got: str, stored: str) -> bool:
    # Each run of digits compared as a number, parsed leniently (int() takes any Unicode digit, '_' and '+').
    pattern = re.sub(r"\d+", lambda m: r"(\S+)", re.escape(stored))
    found, wanted = re.fullmatch(pattern, got), re.findall(r"\d+", stored)
    if not found or not wanted:
        return False
    try:
        return all(int(g) == int(w) for g, w in zip(found.groups(), wanted, strict=True))
    except ValueError:
        return False


def uuid_parsed(got: str, stored: str) -> bool:
    try:
        return uuid.UUID(got.removeprefix("urn:uuid:")) == uuid.UUID(stored)
    except ValueError:
        return False


def regex_match(got: str, stored: str) -> bool:
    try:
        return re.fullmatch(got, stored) is not None
    except re.error:
        return False


def nul_terminated(got: str, stored: str) -> bool:
    return "\x00" in got and got.split("\x00", 1)[0] == stored


def prefix_lookup(got: str, stored: str) -> bool:
    return len(got) >= 3 and stored.startswith(got)


def dots_normalised(got: str, stored: str) -> bool:
    return posixpath.normpath(got.replace("\\", "/")).strip("/") == stored


def iis_unicode_decoded(got: str, stored: str) -> bool:
    text = re.sub(r"%u([0-9A-Fa-f]{4})", lambda m: chr(int(m.group(1), 16)), got)
    return unquote(text) == stored


def overlong_decoded(got: str, stored: str) -> bool:
    # A lenient UTF-8 decoder: two-byte overlong forms of ASCII characters decoded as those characters.
    raw = unquote_to_bytes(got)
    text = re.sub(rb"[\xc0\xc1][\x80-\xbf]", lambda m: bytes([(m.group()[0] & 0x1F) << 6 | m.group()[1] & 0x3F]), raw)
    return text.decode("utf-8", "replace") == stored


def nosql_operator(got: str, stored: str) -> bool:
    try:
        query = json.loads(got)
    except ValueError:
        return False
    return isinstance(query, dict) and (
        "$ne" in query or ("$regex" in query and bool(re.match(query["$regex"], stored)))
    )


def sql_injected(got: str, stored: str) -> bool:
    # WHERE id = '<got>': a quote ends the literal; OR '1'='1 matches every row, -- comments out the rest.
    if "'" not in got:
        return False
    literal, _, rest = got.partition("'")
    return bool(re.match(r"\s*OR\s+'([^']*)'\s*=\s*'\1", rest, re.I)) or (rest.startswith("--") and literal == stored)


# --- malformed ids ---------------------------------------------------------------------------


def malformed_raw(request: Request) -> bool:
    raw = raw_session_segment(request)
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        return True
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def error_on_malformed(request: Request, response: Response, server: Server) -> Response:
    return (
        json_response(500, {"error": "internal", "message": "UnicodeDecodeError"})
        if malformed_raw(request)
        else response
    )


def dies_on_malformed() -> Apply:
    """The server's process ends on the first malformed id: no answer to it or anything after."""
    dead: weakref.WeakKeyDictionary[Server, bool] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def apply(request: Request, response: Response, server: Server) -> Response:
        with lock:
            if malformed_raw(request):
                dead[server] = True
            gone = dead.get(server, False)
        return drop_connection(request, response, server) if gone else response

    return apply


def _folds(name: str, what: str, matches, raw: bool = False, ids=None):
    return fault(name, "id-match", what, loose_lookup(matches, raw=raw), ids=ids)


FOLDING_FAULTS = [
    _folds(
        "id-format-chars-stripped",
        "invisible format characters (ZWSP, soft hyphen, BOM) are dropped from the id",
        format_chars_stripped,
    ),
    _folds(
        "id-accent-insensitive",
        "ids compared accent-insensitively (combining marks dropped, a *_ai collation)",
        accents_stripped,
    ),
    _folds(
        "id-confusables-folded", "Cyrillic look-alike letters are folded to Latin before the lookup", confusables_folded
    ),
    _folds(
        "id-upper-compared", "ids compared after str.upper() (long s and Kelvin sign fold to ASCII)", upper_compared
    ),
    _folds(
        "id-numbers-parsed",
        "the id's digits are compared as numbers (leading zeros, Unicode digits, '_', '+')",
        numbers_parsed,
        ids=DIGIT_IDS,
    ),
    _folds(
        "id-uuid-parsed",
        "UUID ids are parsed before the lookup (no hyphens, braces, URN and upper case read)",
        uuid_parsed,
        ids=UUID_IDS,
    ),
    _folds("id-regex", "the id is used as a regular expression", regex_match),
    _folds("id-nul-terminated", "the id ends at a NUL character, as a C string does", nul_terminated),
    _folds("id-prefix-lookup", "an id that is a prefix of a session's id reads that session", prefix_lookup),
    _folds("id-dots-normalised", "the decoded id's dot segments and separators are normalised", dots_normalised),
    _folds("id-iis-unicode", "%uXXXX escapes are decoded (IIS style)", iis_unicode_decoded, raw=True),
    _folds("id-overlong-utf8", "overlong UTF-8 forms are decoded leniently", overlong_decoded, raw=True),
    _folds("id-nosql-operator", "the id is parsed as a query document ($ne, $regex)", nosql_operator),
    _folds("id-sql-injection", "the id is pasted into SQL (quotes end the literal)", sql_injected),
    fault(
        "malformed-id-500",
        "protocol",
        "an id that is no valid encoding (bad escape, not UTF-8) answers 500",
        error_on_malformed,
    ),
    fault(
        "malformed-id-kills",
        "protocol",
        "an id that is no valid encoding ends the server's process",
        dies_on_malformed(),
    ),
]

ID_SHAPE_VARIANTS = [
    variant("ids-uuid", "ids", "session ids are UUIDs", unchanged, ids=UUID_IDS),
    variant(
        "ids-decimal",
        "ids",
        "session ids are decimal strings",
        unchanged,
        ids={"ses_full": "1042", "ses_nulls": "1043", "ses_minimal": "20417", "ses_other": "1099"},
    ),
    variant("ids-with-digits", "ids", "session ids hold zero-padded numbers", unchanged, ids=DIGIT_IDS),
    variant(
        "ids-long-opaque",
        "ids",
        "session ids are 160-character opaque strings",
        unchanged,
        ids={k: (k.replace("_", "-") + "-") * 2 + "Zq8" * 44 + k[-1] for k in DIGIT_IDS},
    ),
    variant(
        "ids-non-ascii",
        "ids",
        "session ids hold non-ASCII letters",
        unchanged,
        ids={
            "ses_full": "séance_pleine",
            "ses_nulls": "会话_空",
            "ses_minimal": "sessão-mínima",
            "ses_other": "другой",
        },
    ),
    variant(
        "ids-reserved-chars",
        "ids",
        "session ids hold reserved characters (':', '@', '+', '=')",
        unchanged,
        ids={"ses_full": "ses:full", "ses_nulls": "ses@nulls", "ses_minimal": "ses+minimal", "ses_other": "ses=other"},
    ),
]

"""Id-match faults: backends that resolve ids loosely (collations, padding, trimming, normalisation,
patterns, suffixes, path parameters, double decoding) answer a near-variant of a real id with it."""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..http import caller, json_response, raw_session_segment, session_id
from .switch import Apply, Server, fault, on_status

Matches = Callable[[str, str], bool]  # (requested id, stored id) -> the lookup finds it


def loose_lookup(matches: Matches, raw: bool = False) -> Apply:
    """An id that names no session answers with the first session of the caller's account whose id
    `matches(requested, stored)`, its stored body as a database would return it. `raw` hands over
    the path segment as sent, undecoded."""

    def apply(request: Request, response: Response, server: Server) -> Response:
        account = caller(request, server.store)
        requested = raw_session_segment(request) if raw else session_id(request)
        if account is None or not requested or request.method != "GET":
            return response
        for stored, body in account.sessions.items():
            if matches(requested, stored):
                return json_response(200, body)
        return response

    return on_status(404, apply)


def case_insensitive(got: str, stored: str) -> bool:
    return got.casefold() == stored.casefold()


def pad_space(got: str, stored: str) -> bool:
    return got.rstrip(" ") == stored.rstrip(" ")


def trimmed(got: str, stored: str) -> bool:
    return got.strip() == stored


def nfkc(got: str, stored: str) -> bool:
    return unicodedata.normalize("NFKC", got) == stored


def like_pattern(got: str, stored: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in got)
    return re.fullmatch(regex, stored, re.DOTALL) is not None


def glob_pattern(got: str, stored: str) -> bool:
    return fnmatch.fnmatchcase(stored, got)


def decoded_again(got: str, stored: str) -> bool:
    return unquote(got) == stored


def format_suffix_stripped(got: str, stored: str) -> bool:
    return re.sub(r"\.(json|xml)$", "", got) == stored


def path_parameter_stripped(got: str, stored: str) -> bool:
    # `got` is the raw segment: the ';' of a path parameter is only there before decoding.
    return ";" in got and unquote(got.split(";", 1)[0]) == stored


ID_MATCH_FAULTS = [
    fault(
        "id-case-insensitive",
        "id-match",
        "ids compared case-insensitively (a *_ci collation)",
        loose_lookup(case_insensitive),
    ),
    fault(
        "id-pad-space",
        "id-match",
        "trailing spaces ignored in the comparison (SQL PAD SPACE)",
        loose_lookup(pad_space),
    ),
    fault("id-trimmed", "id-match", "the id is trimmed of white space before the lookup", loose_lookup(trimmed)),
    fault(
        "id-nfkc",
        "id-match",
        "the id is NFKC-normalised before the lookup (fullwidth and other compatibility forms)",
        loose_lookup(nfkc),
    ),
    fault("id-like-pattern", "id-match", "the id is used as a SQL LIKE pattern (% and _)", loose_lookup(like_pattern)),
    fault("id-glob-pattern", "id-match", "the id is used as a glob pattern (* and ?)", loose_lookup(glob_pattern)),
    fault("id-double-decoded", "id-match", "the id is percent-decoded a second time", loose_lookup(decoded_again)),
    fault(
        "id-format-suffix",
        "id-match",
        "a format suffix (.json, .xml) is stripped from the id",
        loose_lookup(format_suffix_stripped),
    ),
    fault(
        "id-path-parameter",
        "id-match",
        "path parameters (';' and after) are stripped from the id, as servlet containers do",
        loose_lookup(path_parameter_stripped, raw=True),
    ),
]

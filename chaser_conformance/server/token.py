"""`python -m chaser_conformance.server.token URL`: a token from a token endpoint (RFC 6749 §5.1
JSON, as the reference server's POST /token answers), printed for CHASER_TOKEN_COMMAND.

What a client-credentials helper does, in the standard library only; exit 1 with one line on stderr
when the endpoint does not give a token."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m chaser_conformance.server.token TOKEN_URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(urllib.request.Request(argv[0], data=b"", method="POST"), timeout=30) as answer:
            token = json.loads(answer.read())["access_token"]
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        print(f"no token from {argv[0]}: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())

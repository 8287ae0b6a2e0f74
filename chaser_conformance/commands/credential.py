"""`chaser-conformance credential SEED NAME:DRAW...`: a credential a run derived from the token (a
near miss of it, a JWT forgery) derived again from $CHASER_API_TOKEN and printed. The reports never
hold such a credential, nor the token: their curl lines send it as
`-H "Authorization: $(chaser-conformance credential 20261130 'last character dropped:42')"`, so that
they send the same bytes as the run did. Exit 4: no token, or steps that derive nothing."""

from __future__ import annotations

import os
import sys

from ..checks.exchange import TOKEN_VARIABLE
from ..contract import exitcodes
from ..generators.credentials import NotDerivable, derive_again

PROG = "chaser-conformance credential"


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return exitcodes.CONFORMANT
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        print(f"{PROG}: set {TOKEN_VARIABLE} to the run's token: the credential is derived from it", file=sys.stderr)
        return exitcodes.USAGE
    try:
        print(derive_again(token, argv))
    except NotDerivable as why:
        print(f"{PROG}: {why}", file=sys.stderr)
        return exitcodes.USAGE
    return exitcodes.CONFORMANT

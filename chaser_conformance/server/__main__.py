"""Run the reference server standalone: python -m chaser_conformance.server --port 8000"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
import time
from pathlib import Path

from ..contract.layout import INSTALLED, suite_command
from ..contract.spec import SESSION_PATH
from .app import TOKEN_PATH, Latency, ReferenceApp, RunningServer, store_for
from .catalogue import CATALOGUE, FAULTS, VARIANTS
from .store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaser_conformance.server" if INSTALLED else "python3 run.py server",
        description="Serve the Chaser Core API reference implementation (GET /v1/sessions/{id}).",
    )
    parser.add_argument("--host", default="localhost", help="address to bind (default: localhost, as in the spec)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    parser.add_argument(
        "--switch",
        action="append",
        default=[],
        choices=sorted(CATALOGUE),
        metavar="NAME",
        help="switch in a named fault or variant (repeatable); --list shows them",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="emulate a distant server: milliseconds added to every answer"
    )
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="random variation of --latency-ms, +/-")
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=None,
        metavar="SECONDS",
        help="short-lived tokens: each works SECONDS after it is issued (POST /token, or --token-file)",
    )
    parser.add_argument(
        "--token-file", default=None, metavar="PATH", help="with --token-ttl: keep a valid token in PATH"
    )
    parser.add_argument("--list", action="store_true", help="list the faults and variants, then exit")
    args = parser.parse_args(argv)
    if args.list:
        for title, switches in (("faults (the suite must fail)", FAULTS), ("variants (the suite must pass)", VARIANTS)):
            print(title)
            for s in switches:
                strict = " (shown with CHASER_STRICT=1)" if s.strict else ""
                print(f"  {s.name:<40} {s.group:<12} {s.description}{strict}")
        return 0

    if args.token_ttl is not None and not args.token_ttl > 0:
        parser.error("--token-ttl must be a positive number of seconds")
    if args.token_file and args.token_ttl is None:
        parser.error("--token-file needs --token-ttl")
    try:
        store = store_for(args.switch, args.token_ttl)
        latency = Latency(args.latency_ms, args.jitter_ms) if args.latency_ms or args.jitter_ms else None
        server = RunningServer(ReferenceApp(store, args.switch, latency), args.host, args.port)
    except OSError as exc:
        parser.exit(2, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    primary, other = store.primary, store.other
    print(f"Chaser Core API reference server on {server.base_url}")
    if args.token_ttl is not None:
        return _serve_short_lived(server, store, args.token_ttl, args.token_file)
    if args.switch:
        print(f"switched in: {', '.join(args.switch)}")
    if latency is not None:
        print(f"latency: {args.latency_ms:g} ms +/- {args.jitter_ms:g} ms per answer")
    # Demo credentials of an in-memory store: printing them is the point.
    print(f"  account {primary.name!r}: token {str(primary.token)}  sessions {','.join(primary.sessions)}")
    print(f"  account {other.name!r}: token {str(other.token)}  sessions {','.join(other.sessions)}")
    first = next(iter(primary.sessions))
    print(f"  try: curl -H 'Authorization: Bearer {str(primary.token)}' {server.base_url}{SESSION_PATH}{first}")
    print(
        f"  suite, in another shell: CHASER_BASE_URL={server.base_url} CHASER_API_TOKEN={str(primary.token)} "
        f"CHASER_SESSION_ID={','.join(primary.sessions)} CHASER_FOREIGN_SESSION_ID={next(iter(other.sessions))} "
        f"{suite_command()}"
    )
    print("Ctrl-C stops it.", flush=True)
    server.serve_forever()  # returns on Ctrl-C
    return 0


def _serve_short_lived(server: RunningServer, store: Store, ttl: float, token_file: str | None) -> int:
    sessions = ",".join(store.primary.sessions)
    print(f"tokens live {ttl:g} s: POST {server.base_url}{TOKEN_PATH} issues one (the seeded tokens are off)")
    # As it works in the user's shell: this Python has the package (a plain `python` may not).
    command = f"{shlex.quote(sys.executable)} -m chaser_conformance.server.token {server.base_url}{TOKEN_PATH}"
    if token_file:
        _write_token(store, Path(token_file))  # before the banner says it is there
        threading.Thread(target=_keep_token_file, args=(store, Path(token_file)), daemon=True).start()
        print(f"  a valid token is kept in {token_file}")
        command = f"cat {token_file}"
    print(
        f"  suite: CHASER_BASE_URL={server.base_url} CHASER_TOKEN_COMMAND='{command}' "
        f"CHASER_SESSION_ID={sessions} CHASER_FOREIGN_SESSION_ID={next(iter(store.other.sessions))} "
        f"{suite_command()}"
    )
    print("Ctrl-C stops it.", flush=True)
    server.serve_forever()
    return 0


def _write_token(store: Store, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(str(store.issue()) + "\n", encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a token


def _keep_token_file(store: Store, path: Path) -> None:
    """A fresh token in the file at half of each lifetime, so that whoever reads it gets one that works."""
    assert store.token_ttl is not None
    while True:
        time.sleep(store.token_ttl / 2)  # the file's rotation period, not synchronisation
        _write_token(store, path)


if __name__ == "__main__":
    sys.exit(main())

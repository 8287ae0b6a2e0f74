"""How the selftests run the Python apps here (test_frameworks.py): on a loopback port the app binds
itself (port 0), written on stdout once it listens; the end of stdin (the test stopped it, or died,
SIGKILL included, since the kernel closes the pipe) ends the app at once."""

from __future__ import annotations

import socket
import threading

from chaser_conformance.server.process import exit_at_end_of_input


def listening_socket() -> socket.socket:
    # IPPROTO_TCP named, as uvicorn's own `--port` socket has it: asyncio turns Nagle's algorithm off
    # (TCP_NODELAY) only on connections of a socket that names it, and without that every answer on a
    # kept-alive connection waited 40 ms for the client's delayed acknowledgement.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))  # loopback only
    sock.listen(128)
    return sock


def announce(port: int) -> None:
    """The port on stdout (the one line the test waits for), and the watch on stdin."""
    threading.Thread(target=exit_at_end_of_input, name="parent-watch", daemon=True).start()
    print(port, flush=True)

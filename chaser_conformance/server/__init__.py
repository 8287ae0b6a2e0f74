"""The embedded reference server: a conformant implementation of the contract, with named faults."""

from .app import Latency, ReferenceApp, RunningServer, serve_in_thread
from .process import ServerProcess, ServerStartError, serve_in_process
from .store import Store

__all__ = [
    "Latency",
    "ReferenceApp",
    "RunningServer",
    "ServerProcess",
    "ServerStartError",
    "Store",
    "serve_in_process",
    "serve_in_thread",
]

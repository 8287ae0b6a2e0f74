"""The embedded reference server: a conformant implementation of the contract, with named faults."""

from .app import Latency, ReferenceApp, RunningServer, serve_in_thread
from .store import Store

__all__ = ["Latency", "ReferenceApp", "RunningServer", "Store", "serve_in_thread"]

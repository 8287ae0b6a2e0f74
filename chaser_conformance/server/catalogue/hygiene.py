"""Hygiene faults (checks/hygiene.py): outside the contract, so advisories, caught with
CHASER_STRICT=1. A product version in a banner, an integer no JavaScript client reads exactly, and
what a session is changing between reads (every other read: some of the time only)."""

from __future__ import annotations

from .switch import every, fault, on_200, set_field, set_header

HYGIENE_FAULTS = [
    fault(
        "server-version",
        "security",
        "Server names a product version (nginx/1.25.3)",
        set_header("Server", "nginx/1.25.3"),
        strict=True,
    ),
    fault(
        "powered-by-version",
        "security",
        "X-Powered-By names a product version (PHP/8.2.12)",
        set_header("X-Powered-By", "PHP/8.2.12"),
        strict=True,
    ),
    fault(
        "integer-beyond-i-json",
        "schema",
        "active_connection_leases is 2^53 + 1, which JavaScript reads as 2^53",
        on_200(set_field("/active_connection_leases", 2**53 + 1)),
        strict=True,
    ),
    *(
        fault(
            f"{field.replace('_', '-')}-changes",
            "semantics",
            why,
            on_200(every(2, set_field(f"/{field}", value))),
            strict=True,
        )
        for field, value, why in (
            ("created_at", "2026-11-02T10:00:00Z", "every other read answers another created_at (a replica's state)"),
            ("session_type", "terminal", "every other read of a session answers another session_type"),
        )
    ),
]

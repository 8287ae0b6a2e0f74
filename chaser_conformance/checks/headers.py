"""Security headers outside the contract: advisories, failures under strict mode."""

from __future__ import annotations

from .exchange import Exchange


def _directives(value: str) -> dict[str, str]:
    found = {}
    for part in value.split(","):
        name, _, arg = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = arg.strip().strip('"')
    return found


def shared_cache_problems(ex: Exchange) -> list[str]:
    """An authenticated 200 that a shared cache may store (RFC 9111 §3.5) can serve one user's
    session to another; `no-store` or `private` keeps it out of shared caches."""
    value = ex.headers.get("Cache-Control", "")
    directives = _directives(value)
    if "no-store" in directives or "private" in directives:
        return []
    storable = [d for d in ("public", "s-maxage", "max-age", "must-revalidate") if d in directives]
    if not storable:
        return []
    return [
        f"authenticated 200 with 'Cache-Control: {value}' may be stored by a shared cache "
        f"({', '.join(storable)} without private or no-store; RFC 9111 §3.5)"
    ]


def cors_problems(ex: Exchange) -> list[str]:
    """Credentialed CORS for any origin: a page on any site could read sessions with the user's cookies."""
    allow_origin = ex.headers.get("Access-Control-Allow-Origin", "").strip()
    credentials = ex.headers.get("Access-Control-Allow-Credentials", "").strip().lower() == "true"
    if not allow_origin or not credentials:
        return []
    origin = ex.request_headers.get("Origin")
    if allow_origin == "*":
        return ["Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true"]
    if origin is not None and allow_origin == origin:
        return [
            f"the arbitrary Origin {origin!r} is reflected in Access-Control-Allow-Origin together with "
            "Access-Control-Allow-Credentials: true (any site may read responses with the user's credentials)"
        ]
    return []

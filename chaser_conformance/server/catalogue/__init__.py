"""The reference server's named switches: faults (each breaks one rule of the contract) and
variants (each does something unusual that the contract allows).

The suite is proven by running it against every fault (it must fail) and every variant
(it must pass). One module per class of fault; `switch` holds the parts they are written with.
"""

from __future__ import annotations

from collections.abc import Iterable

from .caches import CACHE_FAULTS, CACHE_VARIANTS
from .clients import CLIENT_FAULTS, CLIENT_VARIANTS
from .connections import CONNECTION_FAULTS, CONNECTION_VARIANTS
from .disclosure import DISCLOSURE_FAULTS, DISCLOSURE_VARIANTS
from .folding import FOLDING_FAULTS, ID_SHAPE_VARIANTS
from .framework_habits import FRAMEWORK_VARIANTS
from .framing import FRAMING_FAULTS
from .hostile import HOSTILE_FAULTS
from .http_semantics import HTTP_SEMANTICS_FAULTS, HTTP_SEMANTICS_VARIANTS
from .hygiene import HYGIENE_FAULTS
from .id_match import ID_MATCH_FAULTS
from .json_text import STRICT_JSON_FAULTS
from .jwt_tokens import JWT_FAULTS, JWT_VARIANTS
from .parameters import PARAMETER_FAULTS, PARAMETER_VARIANTS
from .partial import PARTIAL_FAULTS
from .perspectives import PERSPECTIVE_FAULTS, PERSPECTIVE_VARIANTS
from .protocol import PROTOCOL_FAULTS
from .schema import SCHEMA_FAULTS
from .security import FOREIGN_404_FAULTS, SECURITY_FAULTS, SECURITY_HEADER_FAULTS
from .semantics import SEMANTIC_FAULTS
from .shapes import SHAPE_FAULTS, SHAPE_VARIANTS
from .switch import Switch
from .variants import VARIANTS as CONFORMANT

FAULTS = [
    *SCHEMA_FAULTS,
    *PROTOCOL_FAULTS,
    *STRICT_JSON_FAULTS,
    *SEMANTIC_FAULTS,
    *ID_MATCH_FAULTS,
    *SECURITY_FAULTS,
    *FOREIGN_404_FAULTS,
    *SECURITY_HEADER_FAULTS,
    *PARTIAL_FAULTS,
    *HOSTILE_FAULTS,
    *CONNECTION_FAULTS,
    *FOLDING_FAULTS,
    *PERSPECTIVE_FAULTS,
    *CLIENT_FAULTS,
    *HTTP_SEMANTICS_FAULTS,
    *DISCLOSURE_FAULTS,
    *SHAPE_FAULTS,
    *CACHE_FAULTS,
    *HYGIENE_FAULTS,
    *PARAMETER_FAULTS,
    *JWT_FAULTS,
    *FRAMING_FAULTS,
]
VARIANTS = [
    *CONFORMANT,
    *ID_SHAPE_VARIANTS,
    *PERSPECTIVE_VARIANTS,
    *CLIENT_VARIANTS,
    *HTTP_SEMANTICS_VARIANTS,
    *DISCLOSURE_VARIANTS,
    *FRAMEWORK_VARIANTS,
    *CONNECTION_VARIANTS,
    *SHAPE_VARIANTS,
    *CACHE_VARIANTS,
    *PARAMETER_VARIANTS,
    *JWT_VARIANTS,
]
CATALOGUE: dict[str, Switch] = {s.name: s for s in (*FAULTS, *VARIANTS)}
assert len(CATALOGUE) == len(FAULTS) + len(VARIANTS), "switch names must be unique"


def resolve_switches(switches: Iterable[str | Switch]) -> tuple[Switch, ...]:
    resolved = []
    for switch in switches:
        if isinstance(switch, Switch):
            resolved.append(switch)
        elif switch in CATALOGUE:
            resolved.append(CATALOGUE[switch])
        else:
            raise ValueError(f"unknown fault or variant {switch!r}")
    return tuple(resolved)


__all__ = ["CATALOGUE", "FAULTS", "VARIANTS", "Switch", "resolve_switches"]

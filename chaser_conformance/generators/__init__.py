"""Generated inputs for the properties the suite checks beyond the schema: near misses of the
known session ids and of the token (engine.py: coverage phase, seeded compositions, shrinking)."""

from .credentials import near_credentials, same_credential
from .engine import Candidate, Generator, Transformation
from .ids import malformed, near_misses
from .ids import transformations as id_transformations

ID_FAMILIES = list(dict.fromkeys(t.family for t in id_transformations()))

__all__ = [
    "ID_FAMILIES",
    "Candidate",
    "Generator",
    "Transformation",
    "malformed",
    "near_credentials",
    "near_misses",
    "same_credential",
]

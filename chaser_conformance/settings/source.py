"""Where a setting came from, and the error that names it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SettingsError(ValueError):
    """A bad setting; the message names the setting and where it came from. `missing`: the required
    settings (field names) that were not given at all, for a command that words their absence itself."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Source:
    kind: str  # "cli", "env", "file", "default"
    where: str  # the option, variable or file that gave the value

    def __str__(self) -> str:
        return self.kind if self.kind == "default" else f"{self.kind} {self.where}"


# A setting is text a person or a secret store writes: past this it is a mistake (a file pasted in
# place of its path, a runaway variable), refused before anything holds, sends or prints it.
VALUE_MAX_CHARS = 65536


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected a string, got {type(raw).__name__}")
    if len(raw) > VALUE_MAX_CHARS:
        raise ValueError(f"a value of {len(raw):,} characters; a setting takes at most {VALUE_MAX_CHARS:,}")
    # White space around a value is never meant (a pasted line, a trailing space in a .env file),
    # and none is part of a header field value (RFC 9110 §5.5), so it is dropped on purpose.
    return raw.strip()


def _longer(text: str, what: str, limit: int) -> None:
    if len(text) > limit:
        raise ValueError(f"{what} of {len(text):,} characters; at most {limit:,}")

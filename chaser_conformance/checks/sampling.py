"""Is a subject's answer told apart from a reference's? The sampling both comparisons share (a
foreign or existing id against unknown ids; HEAD against GET): what varies by itself is learnt
from several reference reads around one read of each subject; only a part where the references
all agree and a subject differs is confirmed, by more rounds of both. A difference is certain
when every read of the subject shows it; when only some do, it cannot be decided."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ABSENT = "(absent)"
CONFIRM_ROUNDS = 5
Features = dict[str, Any]
Read = Callable[[], Features]


def show(value: Any) -> str:
    text = ABSENT if value is ABSENT else repr(value)
    return text if len(text) <= 80 else text[:38] + "..." + text[-38:]


def unanimous(samples: list[Features], key: str) -> tuple[bool, Any]:
    """Whether every sample has the same value at `key` (ABSENT if none has it), and that value."""
    values = [s.get(key, ABSENT) for s in samples]
    return all(v == values[0] for v in values), values[0]


def _around(reads: dict[str, list[Features]], subjects: dict[str, Read], reference: Read, count: int) -> list[Features]:
    """`count` reference reads, half (rounded up) before one read of each subject, the rest after."""
    before = (count + 1) // 2
    found = [reference() for _ in range(before)]
    for name, read in subjects.items():
        reads[name].append(read())
    return found + [reference() for _ in range(count - before)]


def sample(
    subjects: dict[str, Read],
    reference: Read,
    first: int,
    confirm: int,
    suspects_of: Callable[[dict[str, list[Features]], list[Features]], dict[str, list[str]]],
) -> tuple[dict[str, list[Features]], list[Features], dict[str, list[str]]]:
    """(reads of each subject, reference reads, suspect keys of each subject). `suspects_of` names,
    after the first round (`first` reference reads), the keys to confirm; each suspect subject then
    gets CONFIRM_ROUNDS more reads, each among `confirm` more reference reads."""
    reads: dict[str, list[Features]] = {name: [] for name in subjects}
    references = _around(reads, subjects, reference, first)
    suspects = suspects_of(reads, references)
    if suspects:
        confirmed = {name: subjects[name] for name in suspects}
        for _ in range(CONFIRM_ROUNDS):
            references += _around(reads, confirmed, reference, confirm)
    return reads, references, suspects

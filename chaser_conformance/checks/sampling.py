"""Is a subject's answer told apart from a reference's? The sampling both comparisons share (a
foreign or existing id against unknown ids; HEAD against GET): what varies by itself is learnt
from several reference reads around one read of each subject; only a part where the references
all agree and a subject differs is confirmed, by more rounds of both. A difference is certain
when every read of the subject shows it; when only some do, it cannot be decided. `differences`
runs all of it; each comparison says only how a part may differ and words the verdicts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ABSENT = "(absent)"
CONFIRM_ROUNDS = 5
Features = dict[str, Any]
Read = Callable[[], Features]
# differs(key, a subject's value, the references' value): whether the subject's value is a difference.
Differs = Callable[[str, Any, Any], bool]


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


def _sample(
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


@dataclass(frozen=True)
class Difference:
    """A part (`key`) on which all `references` reference reads agree (`expected`) and `differing`
    of a subject's `reads` differ, the first of them with `seen`."""

    subject: str
    key: str
    seen: Any
    expected: Any
    differing: int
    reads: int
    references: int

    @property
    def certain(self) -> bool:
        """Every read of the subject differs; when only some do, it cannot be decided."""
        return self.differing == self.reads


def _unequal(key: str, seen: Any, expected: Any) -> bool:
    return seen != expected


def _all_keys(keys: list[str], references: list[Features]) -> list[str]:
    return keys


def differences(
    subjects: dict[str, Read],
    reference: Read,
    first: int,
    confirm: int,
    differs: Differs = _unequal,
    compared: Callable[[list[str], list[Features]], list[str]] = _all_keys,
) -> tuple[list[Difference], int]:
    """The differences of each subject from the reference (by subject, then key, in the order
    found), and how many reads were sent. A part is suspect when the first round's reference reads
    agree on it and the subject's first read `differs`; `compared` may narrow the parts (every
    part seen in the first round, sorted) from the first round's reference reads. A suspect part
    on which the references stop agreeing during confirmation is variation, not a difference."""

    def suspects_of(reads: dict[str, list[Features]], references: list[Features]) -> dict[str, list[str]]:
        keys = compared(sorted(set().union(*(r[0] for r in reads.values()), *references)), references)
        suspects: dict[str, list[str]] = {}
        for key in keys:
            agreed, value = unanimous(references, key)
            for name, seen in reads.items():
                if agreed and differs(key, seen[0].get(key, ABSENT), value):
                    suspects.setdefault(name, []).append(key)
        return suspects

    reads, references, suspects = _sample(subjects, reference, first, confirm, suspects_of)
    found = []
    for name, keys in suspects.items():
        for key in keys:
            agreed, value = unanimous(references, key)
            if not agreed:
                continue
            differing = [v for v in (f.get(key, ABSENT) for f in reads[name]) if differs(key, v, value)]
            found.append(Difference(name, key, differing[0], value, len(differing), len(reads[name]), len(references)))
    return found, sum(len(r) for r in reads.values()) + len(references)

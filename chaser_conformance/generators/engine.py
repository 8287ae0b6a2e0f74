"""Inputs derived from a known value by composing transformations, seeded and shrinkable.

A check that knows a *list* of bad inputs passes the backend that fails in the next way. Here
each check names families of transformations of a value it knows (a session id, the token); a
run tries every transformation once on every known value (the coverage phase), then random
compositions of two or three of them, drawn from the run's seed (the random phase), so that a
seed replays the same requests. A candidate that makes a check fail is shrunk: steps are taken
away while it still fails, and the smallest input that does is the one reported.

A transformation may say whether its result still holds the whole value (`lossy=False`: another
spelling, more around it) or loses part of it (`lossy=True`: folded, cut, replaced); a candidate is
lossy when such a step took effect on the value, and shrinking never crosses from one kind to the
other (a credential check grades the two differently: leniency against exposure).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

# A transformation gets the value and a random source of its own; None: it does not apply.
Apply = Callable[[str, random.Random], "str | None"]
MAX_STEPS = 3
SHRINK_ATTEMPTS = 12  # requests a shrink may spend: a failure is reported either way


@dataclass(frozen=True)
class Transformation:
    family: str  # e.g. "unicode", "structure", "numbers"
    name: str  # e.g. "NFD", "transposition"
    apply: Apply
    # Whether the result has lost part of the value (True) or still holds all of it in another
    # spelling or place (False); None: not graded (the near misses of ids).
    lossy: bool | None = None


@dataclass(frozen=True)
class Candidate:
    origin: str  # the known value it was derived from
    steps: tuple[tuple[str, int], ...]  # (transformation, the seed of its draw), in order
    value: str
    sensitive: bool = False  # derived from a secret (the token): its repr shows neither value
    lossy: bool = False  # a lossy step took effect: the value no longer holds the whole origin

    def __repr__(self) -> str:
        if self.sensitive:
            return f"Candidate(derived from a secret: {self.label!r}, value='****')"
        return f"Candidate(origin={self.origin!r}, steps={self.steps!r}, value={self.value!r})"

    @property
    def label(self) -> str:
        return " + ".join(name for name, _ in self.steps)


class Generator:
    """Candidates for one property. `accept(value)` says whether a result is worth sending (it is
    not a known value, and the property applies to it); each value is sent once per run."""

    def __init__(
        self,
        transformations: Iterable[Transformation],
        seed: int,
        accept: Callable[[str], bool],
        sensitive: bool = False,
        intact: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.transformations = {t.name: t for t in transformations}
        self.seed = seed
        self.accept = accept
        self.sensitive = sensitive  # the values derive from a secret: candidates mask their repr
        # intact(origin, value): the whole origin can still be read out of the value (a lossy step
        # that only cut what a list put around it lost nothing of it).
        self.intact = intact
        self._sent: set[str] = set()

    def families(self) -> list[str]:
        return list(dict.fromkeys(t.family for t in self.transformations.values()))

    def _value(self, origin: str, steps: tuple[tuple[str, int], ...]) -> str | None:
        value: str | None = origin
        for name, draw in steps:
            rng = random.Random(f"{self.seed}:{name}:{draw}")  # the same draw wherever the step stands
            value = self.transformations[name].apply(value, rng)
            if value is None:
                return None
        return value

    def build(self, origin: str, steps: tuple[tuple[str, int], ...]) -> Candidate | None:
        value = self._value(origin, steps)
        if value is None or value == origin or not self.accept(value):
            return None
        return Candidate(origin, steps, value, self.sensitive, self._lossy(origin, steps, value))

    def _lossy(self, origin: str, steps: tuple[tuple[str, int], ...], value: str) -> bool:
        """A lossy step took effect: without the lossy steps the other ones make another value (a
        lower-casing of a token without capitals loses nothing), and the origin cannot be read out
        of the value. The more severe kind wins: one step that lost part of it makes the whole lossy."""
        kept = tuple(step for step in steps if not self.transformations[step[0]].lossy)
        if len(kept) == len(steps) or self._value(origin, kept) == value:
            return False
        return not (self.intact is not None and self.intact(origin, value))

    def _fresh(self, candidate: Candidate | None) -> bool:
        if candidate is None or candidate.value in self._sent:
            return False
        self._sent.add(candidate.value)
        return True

    def coverage(self, origins: Iterable[str], family: str | None = None, every: bool = True) -> Iterator[Candidate]:
        """Every transformation (of one family, or all) once on every origin; with `every=False`
        once in all, on the origins in turn (the next origin when one does not apply)."""
        origins = list(origins)
        chosen = [t for t in self.transformations.values() if family is None or t.family == family]
        for index, t in enumerate(chosen):
            turn = origins if every else origins[index % len(origins) :] + origins[: index % len(origins)]
            for origin in turn:
                candidate = self.build(origin, ((t.name, 0),))
                if self._fresh(candidate):
                    yield candidate  # type: ignore[misc]
                    if not every:
                        break

    def compositions(self, origins: Iterable[str], count: int) -> Iterator[Candidate]:
        """`count` random compositions of two to MAX_STEPS transformations, from the seed."""
        origins = list(origins)
        names = sorted(self.transformations)
        rng = random.Random(f"{self.seed}:compositions")
        made = attempts = 0
        while made < count and attempts < count * 20 and origins:
            attempts += 1
            picked = rng.sample(names, rng.randint(2, min(MAX_STEPS, len(names))))
            candidate = self.build(rng.choice(origins), tuple((n, rng.getrandbits(32)) for n in picked))
            if self._fresh(candidate):
                made += 1
                yield candidate  # type: ignore[misc]

    def shrink(self, failing: Candidate, still_fails: Callable[[Candidate], bool]) -> Candidate:
        """The smallest candidate found that still fails: fewer steps first, then a shorter value,
        and of the same kind (a lossy failure is never shrunk into one that holds the whole value,
        nor the reverse). `still_fails` sends one request; at most SHRINK_ATTEMPTS are spent."""
        best, budget = failing, SHRINK_ATTEMPTS
        improved = True
        while improved and budget > 0 and len(best.steps) > 1:
            improved = False
            trials = [self.build(best.origin, best.steps[:i] + best.steps[i + 1 :]) for i in range(len(best.steps))]
            same_kind = [t for t in trials if t is not None and t.lossy == failing.lossy]
            for trial in sorted(same_kind, key=lambda c: (len(c.value), c.value)):
                if budget <= 0:
                    break
                budget -= 1
                if still_fails(trial):
                    best, improved = trial, True
                    break
        return best

"""How deep a run goes. `quick` is the default: the whole suite in seconds on the embedded server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    generated_cases: int  # Schemathesis fuzzing-phase examples (the coverage phase adds its own)
    stability_reads: int  # reads of each known session in the stability test
    max_requests: int  # default cap on requests per run (CHASER_MAX_REQUESTS overrides)
    # The generated cases are split into this many tests, each with a seed derived from the run's,
    # so that pytest-xdist (-n) can spread them; fixed per profile, so a seed replays the same
    # requests whatever -n is.
    shards: int
    # Generated near misses (generators/): random compositions of transformations of the known
    # ids and of the token, after the coverage phase that applies each transformation once.
    near_miss_ids: int
    near_miss_credentials: int
    # The coverage phase on every known id (True), or each transformation on one known id, in turn.
    cover_every_id: bool
    # Seconds the whole run may wait for the Retry-After of 429 answers (transport/patience.py).
    retry_after_total: float

    def describe(self) -> str:
        return (
            f"{self.name}: {self.generated_cases} generated cases in {self.shards} parts, "
            f"{self.stability_reads} reads per known session, {self.near_miss_ids} + "
            f"{self.near_miss_credentials} random near-miss ids and credentials, at most {self.max_requests} requests"
        )


# The first is the default.
PROFILES = {
    p.name: p
    for p in (
        # A fault that is bad for one response in five escapes 25 reads with probability 0.8**25 < 0.4 %,
        # and the generated cases read known sessions too.
        Profile(
            "quick",
            generated_cases=100,
            stability_reads=25,
            max_requests=2_000,
            shards=4,
            near_miss_ids=16,
            near_miss_credentials=8,
            cover_every_id=False,
            retry_after_total=60.0,
        ),
        Profile(
            "ci",
            generated_cases=500,
            stability_reads=60,
            max_requests=5_000,
            shards=8,
            near_miss_ids=150,
            near_miss_credentials=40,
            cover_every_id=True,
            retry_after_total=180.0,
        ),
        Profile(
            "deep",
            generated_cases=3000,
            stability_reads=250,
            max_requests=20_000,
            shards=16,
            near_miss_ids=1000,
            near_miss_credentials=200,
            cover_every_id=True,
            retry_after_total=600.0,
        ),
        # Pre-release verification, meant for -n: tens of thousands of generated cases.
        Profile(
            "soak",
            generated_cases=20_000,
            stability_reads=500,
            max_requests=60_000,
            shards=64,
            near_miss_ids=5000,
            near_miss_credentials=1000,
            cover_every_id=True,
            retry_after_total=1800.0,
        ),
    )
}

"""How the suite waits when a target asks it to: a 429 with Retry-After is back-pressure, not
non-conformance, so the request is sent again after the wait asked for, within bounds: a few
times per request, at most RETRY_AFTER_MAX_SECONDS each, and at most the run's total
(RunLimits.patience_left). Past them, the 429 is the answer, and judged ("429 persists")."""

from __future__ import annotations

from typing import Any

import urllib3.exceptions
from urllib3.util.retry import Retry

from . import deadline

RATE_LIMIT_RETRIES = 3
RETRY_AFTER_MAX_SECONDS = 10


class RetryRateLimited(Retry):
    """Retry only a 429 that carries Retry-After (not 413/503, and not a 429 without it), while the
    run may still wait."""

    RETRY_AFTER_STATUS_CODES = frozenset({429})

    def __init__(self, *args: Any, limits: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits  # RunLimits or a worker's RemoteLimits

    def new(self, **kw: Any) -> RetryRateLimited:
        kw.setdefault("limits", self.limits)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if not super().is_retry(method, status_code, has_retry_after):
            return False
        return self.limits is None or self.limits.patience_left() > 0

    def sleep_for_retry(self, response: Any) -> bool:
        asked = self.get_retry_after(response)
        if asked is None:
            return False
        deadline.sleep(self.limits.spend_patience(asked) if self.limits is not None else asked)
        return True


def rate_limit_retry(limits: Any = None) -> RetryRateLimited:
    return RetryRateLimited(
        total=RATE_LIMIT_RETRIES,
        connect=0,
        read=0,
        redirect=0,
        other=0,
        status_forcelist=(),
        allowed_methods=None,  # retrying is safe: a 429 means the request was not processed
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX_SECONDS,
        raise_on_status=False,
        raise_on_redirect=False,
        limits=limits,
    )


def retry_after(limits: Any, status: int, headers: list[tuple[str, str]]) -> float | None:
    """For an answer read outside urllib3 (the byte-for-byte path): the seconds to wait before
    sending again, or None when it is not to be sent again."""
    value = next((v for k, v in headers if k.lower() == "retry-after"), None)
    if status != 429 or value is None or limits.patience_left() <= 0:
        return None
    try:
        asked = rate_limit_retry().parse_retry_after(value)
    except urllib3.exceptions.InvalidHeader:
        return None
    return limits.spend_patience(asked)

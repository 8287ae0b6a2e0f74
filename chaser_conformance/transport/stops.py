"""When a run cannot go on: an unreachable target before any test, or a RunStopped raised inside
a test (a reached request cap, a target that stopped answering), wherever Schemathesis nested it."""

from __future__ import annotations

import re
from urllib.parse import quote

import requests

from ..contract.spec import SESSION_PATH
from ..settings import Settings
from .client import BrokenAnswer, RunLimits, RunStopped, Target, Witness, http_session, no_answer


def find_error(error: BaseException | None, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first error of one of `kinds` inside an error, also when Schemathesis or Hypothesis
    wrapped it in a group, a cause or a context."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, kinds):
            return error
        nested = getattr(error, "exceptions", None)
        if nested:
            found = [f for f in (find_error(e, kinds) for e in nested) if f is not None]
            if found:
                return found[0]
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def run_stopped(error: BaseException | None) -> RunStopped | None:
    """The RunStopped inside an error, wherever it was wrapped."""
    found = find_error(error, (RunStopped,))
    return found if isinstance(found, RunStopped) else None


def check_reachable(
    target: Target, settings: Settings, limits: RunLimits, witness: Witness | None = None
) -> str | None:
    """One unauthenticated read before any test: an unreachable target is one clear line, not N
    failures. Returns that line, or None when the target answered (well or badly)."""
    url = target.base_url + SESSION_PATH + quote(target.session_ids[0], safe="")
    http = http_session(target.base_url, limits, settings.ca_bundle, proxy=target.proxy)
    try:
        response = http.get(url, timeout=(settings.connect_timeout, settings.read_timeout), allow_redirects=False)
        if witness is not None:
            witness("reachability read", response)  # every answer is judged
        response.close()
    except BrokenAnswer as broken:
        if witness is not None:
            witness("reachability read", broken)  # it answered, badly: a finding, and the run goes on
        return None
    except requests.RequestException as exc:
        # urllib3 nests the cause several levels deep; the errno or TLS text is what a person needs.
        found = re.search(r"\[Errno [^\]]+\][^'\")]*|\[SSL[^'\")]*|timed out[^'\")]*", str(exc))
        reason = found.group(0).strip() if found else no_answer(exc)
        via = f" through the proxy {target.proxy.masked}" if target.proxy is not None else ""
        return f"chaser: target unreachable: {target.base_url}{via}: {reason}"
    return None

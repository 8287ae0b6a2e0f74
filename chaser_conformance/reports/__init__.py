"""One run model (outcomes, findings, causes) and its renderers: terminal, summary.json,
summary.md, failures.jsonl and report.html. Nothing here parses rendered text back."""

from .files import find_secret, write_artifacts
from .model import OUTCOMES, Cause, Causes, RunModel, Tally, verdict

__all__ = ["OUTCOMES", "Cause", "Causes", "RunModel", "Tally", "find_secret", "verdict", "write_artifacts"]

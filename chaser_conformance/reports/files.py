"""The files a run writes beside JUnit and HTML: summary.json, summary.md, failures.jsonl; and the
leak scan that searches every artifact this run wrote for the token."""

from __future__ import annotations

import json
from pathlib import Path

from ..settings.paths import from_here
from .markdown import markdown
from .model import OUTCOMES, RunModel


def write_artifacts(directory: Path, model: RunModel, others: list[Path]) -> tuple[list[Path], list[str]]:
    """failures.jsonl (one finding a line, with its test), summary.json and summary.md; `others`
    (JUnit, HTML) are linked from the summary. Returns the files written and why any was not: each
    is tried whatever befell the others (a full disk), and one cut short is removed, never left to be
    read as whole."""
    texts = {
        "failures.jsonl": lambda: "".join(json.dumps(f.to_dict()) + "\n" for f in model.findings),
        "summary.json": lambda: json.dumps(model.summary(), indent=2) + "\n",
        "summary.md": lambda: markdown(model, [*others, *(directory / n for n in ("failures.jsonl", "summary.json"))]),
    }
    written: list[Path] = []
    errors: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [], [f"{from_here(directory)}: {exc.strerror or exc}"]
    for name, text in texts.items():
        path = directory / name
        try:
            path.write_text(text(), encoding="utf-8")
            written.append(path)
        except OSError as exc:
            errors.append(f"{from_here(path)}: {exc.strerror or exc}")
            remove_cut_short(path)
    return written, errors


def remove_cut_short(path: Path) -> None:
    """A report whose writing failed may hold part of it: none is better than a cut one."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # nothing more can be done; the terminal names the failure


def find_secret(paths: list[Path], *secrets: str) -> list[Path]:
    """Files among `paths` (directories searched recursively) that contain any of the secrets
    (every token of the run: a token command's change when they expire)."""
    needles = [str(s).encode() for s in secrets if s]
    hits = []
    for path in paths:
        for candidate in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if candidate.is_file() and any(needle in candidate.read_bytes() for needle in needles):
                hits.append(candidate)
    return hits


ARTIFACTS = ("junit.xml", "report.html", "summary.json", "summary.md", "failures.jsonl")


def unwritable(directory: Path, others: list[Path]) -> str | None:
    """Why a run could not write its reports, found before it starts (then it writes none): the
    directory is not one, or a report's path is taken by something that is not a file."""
    if directory.exists() and not directory.is_dir():
        return f"the reports directory {from_here(directory)} exists and is not a directory"
    for path in [*(directory / name for name in ARTIFACTS), *others]:
        if path.exists() and not path.is_file():
            return f"{from_here(path)} is not a file, and the run writes its {path.name} there: move it away"
    return None


def clear_stale(directory: Path, others: list[Path]) -> None:
    """Remove an earlier run's artifacts before this run writes any, so that no summary of another
    run survives for a CI step to read (only the files the suite writes: the directory may be shared)."""
    for path in [*(directory / name for name in ARTIFACTS), *others]:
        if not path.is_dir():  # a directory of that name is no report (`unwritable` names it)
            path.unlink(missing_ok=True)


def write_verdict_only(directory: Path, word: str, message: str) -> list[Path]:
    """summary.json and summary.md of a run that ended before any test (a usage error, an
    unreachable target): the verdict and why, so no channel is silent and none says conformant."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(OUTCOMES, 0)
    data = {"verdict": word, "verdict_line": f"{word}: {message}", "counts": counts, "tests": [], "causes": []}
    texts = {
        "summary.json": json.dumps(data, indent=2) + "\n",
        "summary.md": f"# Chaser conformance: {word}\n\n{message}\n\nNo test ran.\n",
    }
    written = []
    for name, text in texts.items():
        if not (directory / name).is_dir():  # what can be written is (`unwritable` names the other)
            (directory / name).write_text(text, encoding="utf-8")
            written.append(directory / name)
    return written

"""The terminal: the failures grouped by cause (in place of pytest's FAILURES section), and the
chaser section of the summary: target, verdict, diagnosis, what did not run, advisories, field
coverage, waivers and where the reports are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..contract.exitcodes import REPORTS_UNWRITTEN, SECRET_LEAKED
from ..settings.paths import from_here
from .model import RunModel
from .text import advisory_lines, cause_lines, coverage_lines


class ClosedPipeSafe:
    """The terminal's file, which a reader that went away (`| head`, a CI log tail) cannot break:
    once a write or a flush meets a closed pipe, file descriptor 1 goes to /dev/null (Python's own
    flush at exit stays silent too) and the run goes on to its verdict and its reports."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def write(self, text: str) -> int:
        try:
            return int(self._file.write(text))
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._file.flush()
        except BrokenPipeError:
            self._gone()

    def _gone(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._file.fileno())
        except (OSError, ValueError):  # no descriptor (a test's StringIO): its writes fail no more
            pass
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def keep_writing_when_the_reader_goes(config: Any) -> None:
    """The terminal reporter's output through ClosedPipeSafe (pytest has no hook for it: its writer's file)."""
    writer = getattr(config.pluginmanager.get_plugin("terminalreporter"), "_tw", None)
    if writer is not None and not isinstance(getattr(writer, "_file", None), (ClosedPipeSafe, type(None))):
        writer._file = ClosedPipeSafe(writer._file)


def write_causes(tr: Any, model: RunModel) -> None:
    causes = f"{len(model.causes)} cause" + ("s" if len(model.causes) != 1 else "")
    tr.section(f"chaser conformance: failures by cause ({causes}; --tb=long shows each test)", sep="=")
    for line in cause_lines(model):
        tr.write_line(line)


def write_summary(tr: Any, model: RunModel, report_paths: list[Any]) -> None:
    tr.section("chaser conformance", sep="=")
    tr.write_line(f"target: {model.target.label}; profile {model.profile}; seed {model.seed}; {model.requests_line()}")
    if model.stopped is not None:
        tr.write_line(f"RUN STOPPED: {model.stopped} (exit {model.stopped.exit_code})", red=True)
    word, line = model.verdict
    tr.write_line(f"verdict: {line}", bold=True, red=word != "conformant", green=word == "conformant")
    if model.token_line():
        tr.write_line(model.token_line())
    for reason, nodeids in model.tally.not_run_by_reason().items():  # each test: pytest's SKIPPED lines
        tr.write_line(f"  did not run ({len(nodeids)} {'test' if len(nodeids) == 1 else 'tests'}): {reason}")
    for row in advisory_lines(model):
        tr.write_line(row)
    if not model.misconfigured:  # it saw no session: a table of zeros
        tr.write_line("field coverage of 200 responses (times seen with a value, null, absent):")
        for row in coverage_lines(model):
            tr.write_line(row)
    for gap in model.coverage_gaps():
        tr.write_line(f"  advisory: {gap}: the schema check passed without ever seeing that state")
    for note in model.notes:
        tr.write_line(note)
    reports = [from_here(p) for p in [*report_paths, *model.files] if Path(p).is_file()]
    if reports:
        folders = sorted({str(p.parent) for p in reports})
        shown = ", ".join(p.name if len(folders) == 1 else str(p) for p in reports)
        tr.write_line(f"reports{f' (in {folders[0]})' if len(folders) == 1 else ''}: {shown}")
    for why in model.unwritten:
        tr.write_line(f"REPORT NOT WRITTEN: {why} (exit {REPORTS_UNWRITTEN})", red=True)
    for path in model.leaks:
        tr.write_line(
            f"SECRET LEAK: the token was written to {from_here(path)}; the run fails (exit {SECRET_LEAKED})", red=True
        )


def write_diagnosis(tr: Any, model: RunModel) -> None:
    """Last, after pytest's short test summary, where a CI log is read from: what to fix before
    any failure above means anything."""
    if model.diagnosis is not None:
        tr.write_line(f"DIAGNOSIS: {model.diagnosis.message}", bold=True)

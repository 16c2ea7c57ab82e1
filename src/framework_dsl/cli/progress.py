"""What a batch run of `framework-check` tells the person running it, on standard error.

Three things, each its own class or function:

- `Progress`: while a batch runs on a terminal, one line redrawn in place, at most
  `REDRAW_SECONDS` apart: documents done (of how many, when known), the rate, and the
  time left. It writes nothing when standard error is not a terminal or with `--quiet`
  (the command then makes none), and costs one clock reading per call otherwise.
- `ProblemDisplay`: evidence problems as diagnostics. On a terminal only the first
  `PROBLEMS_PER_DOCUMENT` of a document, for the first `DOCUMENTS_SHOWN` documents with
  problems, and at the end one line saying how many were left out and where the full
  list is; elsewhere (a file, a pipe, a CI log) every problem.
- `summary_line`: the run in one line, `50,000 documents: 49,990 evaluated,
  7 undetermined, 3 invalid; report: report.json`.

The time source is one place: `Progress(clock=...)`, `time.monotonic` unless a test gives
its own. Nothing here reads the date, and no result depends on the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

import attrs

from framework_dsl.inputs import FAILED_CHECK, Tally

Clock = Callable[[], float]  # seconds, from any fixed start

REDRAW_SECONDS = 0.25  # at most four redraws a second
RATE_AFTER_SECONDS = 1.0  # a rate measured over less time than this says little
PROBLEMS_PER_DOCUMENT = 5
DOCUMENTS_SHOWN = 10


# ---------------------------------------------------------------- progress


def progress_text(done: int, total: int | None, elapsed: float) -> str:
    """The progress line: `12,000 of 50,000 documents (24%), 4,000/s, 9 s left`.

    `total` may be an estimate (a `.jsonl` file's lines): once `done` passes it, or when
    it is not known, the line gives the count alone. The rate and the time left appear
    once `RATE_AFTER_SECONDS` have passed.
    """
    noun = "document" if done == 1 and total is None else "documents"
    if total is not None and done <= total:
        percent = 100 if total == 0 else done * 100 // total
        text = f"{done:,} of {total:,} {noun} ({percent}%)"
    else:
        text = f"{done:,} {noun}"
    if elapsed >= RATE_AFTER_SECONDS and done:
        rate = done / elapsed
        text += f", {rate:,.0f}/s"
        if total is not None and done <= total:
            text += f", {duration_text((total - done) / rate)} left"
    return text


def duration_text(seconds: float) -> str:
    """A time span for people: `42 s`, `3 min 05 s`, `2 h 07 min`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class Progress:
    """The progress line of a batch on a terminal, redrawn in place with `\\r`.

    `advance` is called once per document (or run of documents); it reads the clock and
    redraws only when `REDRAW_SECONDS` have passed since the last drawing, the first
    document drawing at once. `write` puts other text (problems) above the line;
    `finish` replaces the line with a last one (the summary). Only spaces and `\\r` are
    used, so a terminal without cursor controls shows it too; the line is cut to the
    terminal's width so that it never wraps.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        total: Callable[[], int | None] = lambda: None,
        clock: Clock = time.monotonic,
        width: int = 80,
        interval: float = REDRAW_SECONDS,
    ) -> None:
        self._stream = stream
        self._total = total
        self._clock = clock
        self._width = max(width - 1, 10)
        self._interval = interval
        self._started = clock()
        self._next_drawing = self._started
        self._done = 0
        self._shown = 0  # characters of the line now on the screen
        self.drawings = 0

    def advance(self, documents: int) -> None:
        """`documents` more are done."""
        self._done += documents
        now = self._clock()
        if now >= self._next_drawing:
            self._next_drawing = now + self._interval
            self._draw(progress_text(self._done, self._total(), now - self._started))

    def write(self, text: str) -> None:
        """Text above the progress line, which comes back at the next drawing."""
        self._clear()
        self._stream.write(text)
        self._stream.flush()
        self._next_drawing = self._clock()  # redraw at the next document

    def finish(self, line: str | None) -> None:
        """Take the progress line away and leave `line` (with a newline) in its place."""
        self._clear()
        if line is not None:
            self._stream.write(line + "\n")
        self._stream.flush()

    def _draw(self, text: str) -> None:
        text = text[: self._width]
        padding = " " * max(0, self._shown - len(text))
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._shown = len(text)
        self.drawings += 1

    def _clear(self) -> None:
        if self._shown:
            self._stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0


# ---------------------------------------------------------------- problems


@attrs.frozen
class ProblemLimits:
    """How many evidence problems to show: per document, and documents in all (None: every one)."""

    per_document: int | None = PROBLEMS_PER_DOCUMENT
    documents: int | None = DOCUMENTS_SHOWN


EVERY_PROBLEM = ProblemLimits(per_document=None, documents=None)


class ProblemDisplay:
    """Evidence problems, as diagnostics, within `limits`; counts what it leaves out."""

    def __init__(self, write: Callable[[str], None], limits: ProblemLimits = EVERY_PROBLEM) -> None:
        self._write = write
        self._limits = limits
        self._documents_shown = 0
        self.left_out = 0  # problems not shown
        self.documents_left_out = 0  # documents with a problem not shown

    def show(self, documents: tuple[tuple[str, ...], ...]) -> None:
        """Each document's problems (each a diagnostic's text), in order."""
        parts: list[str] = []
        for problems in documents:
            if self._limits.documents is not None and self._documents_shown >= self._limits.documents:
                self.left_out += len(problems)
                self.documents_left_out += 1
                continue
            self._documents_shown += 1
            keep = problems if self._limits.per_document is None else problems[: self._limits.per_document]
            parts.append("\n\n".join(keep) + "\n")
            if len(keep) < len(problems):
                more = len(problems) - len(keep)
                self.left_out += more
                self.documents_left_out += 1
                parts.append(f"   ... and {more:,} more problem{'s' if more != 1 else ''} in this document\n")
        if parts:
            self._write("".join(parts))

    def left_out_text(self, *, report: str, report_lists_problems: bool) -> str | None:
        """The line that says how many problems were not shown and where they all are, if any were not."""
        if not self.left_out:
            return None
        count = f"{self.left_out:,} more problem{'s' if self.left_out != 1 else ''}"
        documents = f"{self.documents_left_out:,} document{'s' if self.documents_left_out != 1 else ''}"
        if report_lists_problems:
            where = f"the report ({report}) lists every one, and --all-problems shows them here"
        else:
            where = "--all-problems shows every one here, and --format json writes a report that lists them"
        return f"{count} in {documents} not shown; {where}"


# ---------------------------------------------------------------- summary


def summary_line(tally: Tally, *, report: str, fail_on: str | Sequence[str] | None = None) -> str:
    """The run in one line: `50,000 documents: 49,990 evaluated, 7 undetermined, 3 invalid; report: FILE`.

    Only the counts that are not zero are given, except `evaluated`, which always is.
    `fail_on` is the `--fail-on` value or values: grades, and `failed` for failed checks.
    """
    documents = tally.documents
    parts = [f"{tally.evaluated:,} evaluated"]
    for count, words in (
        (tally.undetermined, "undetermined"),
        (tally.failed, "failed to evaluate"),
        (tally.not_in_force, "not in force"),
        (tally.invalid, "invalid"),
    ):
        if count:
            parts.append(f"{count:,} {words}")
    line = f"{documents:,} document{'s' if documents != 1 else ''}: " + ", ".join(parts)
    values = (fail_on,) if isinstance(fail_on, str) else tuple(fail_on or ())
    if values:
        grades = [value for value in values if value != FAILED_CHECK]
        what = [f"at or below {' or '.join(grades)}"] if grades else []
        if FAILED_CHECK in values:
            what.append("with a failed check")
        line += f"; {tally.failed_on:,} {' or '.join(what)} (--fail-on)"
    return line + f"; report: {report}"

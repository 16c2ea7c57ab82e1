"""HTML and Markdown reports, written document by document in constant memory.

A report opens with what can only be known at the end: for a batch, the counts by
status and by headline outcome and a contents list linking every document. So it is
written in two passes. While results arrive, each document's section goes into one
temporary file and its line of the contents into another, and only counters stay in
memory. `finish` then writes the head with the counts, copies the contents, then the
sections, into the output. Memory stays flat however many documents there are; the
disk holds the report twice until the run ends (docs/reports.md).

The temporary files are unnamed (`tempfile.TemporaryFile`): they vanish with the
process however it ends, and the report itself is still written through
`atomic_output` (a run that stops leaves any previous report as it was).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

import attrs
import jinja2

from framework_dsl.reports import REPORT_FORMATS
from framework_dsl.reports.guide import FrameworkGuide
from framework_dsl.reports.markup import html_environment, markdown_environment
from framework_dsl.reports.view import DocumentView, OutcomeView, document_view
from framework_dsl.result import Result

if TYPE_CHECKING:
    from framework_dsl.whatif import WhatIf

_COPY_CHUNK = 1 << 20

# The order of statuses in a batch's counts, and their words.
BATCH_STATUSES = (
    ("evaluated", "Evaluated, every outcome decided"),
    ("undetermined", "Evaluated, some outcomes undetermined or not evaluated"),
    ("not_in_force", "Not in force"),
    ("invalid_evidence", "Invalid evidence"),
)


def engine_version() -> str:
    """The installed framework-dsl's version, as its package metadata gives it."""
    try:
        return importlib.metadata.version("framework-dsl")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree never installed
        return "unknown"


@attrs.frozen(kw_only=True)
class OutcomeCount:
    """How many documents had one headline outcome."""

    text: str
    tone: str
    count: int


@attrs.frozen(kw_only=True)
class HeadlineCounts:
    """A headline judgement of one framework, and how often each outcome came out of it."""

    framework_title: str
    title: str
    outcomes: tuple[OutcomeCount, ...]


@attrs.frozen(kw_only=True)
class ReportSummary:
    """What a report says about itself and its documents, at its top."""

    documents: int
    title: str  # the document's name for one document; "N evidence documents" for a batch
    engine_version: str
    rules_digests: tuple[str, ...]
    frameworks: tuple[str, ...]  # titles, in order of first appearance
    statuses: tuple[tuple[str, str, int], ...]  # (status, words, count), only those seen
    headlines: tuple[HeadlineCounts, ...]
    attention: int  # documents invalid, not in force or with an outcome not decided
    explain: bool

    @property
    def headline_groups(self) -> tuple[tuple[str, tuple[HeadlineCounts, ...]], ...]:
        """The headline counts by framework, frameworks in order of first appearance."""
        groups: dict[str, list[HeadlineCounts]] = {}
        for headline in self.headlines:
            groups.setdefault(headline.framework_title, []).append(headline)
        return tuple((title, tuple(tables)) for title, tables in groups.items())


class ReportWriter:
    """An HTML or Markdown report of many results, streamed through temporary files.

    Use it as a context manager (the temporary files are closed on leaving):
    `add` each result in order, then `finish` into the output once.
    """

    def __init__(
        self,
        output_format: str,
        guides: Mapping[str, FrameworkGuide],
        *,
        explain: bool = False,
        spool_dir: str | None = None,
        version: str | None = None,
    ) -> None:
        """A report in `output_format` ("html" or "markdown"), its temporary files in `spool_dir`
        (the system's temporary folder by default); `version` is the engine version it names
        (the installed one by default)."""
        if output_format not in REPORT_FORMATS:
            raise ValueError(f"not a report format: {output_format!r}")
        environment: jinja2.Environment = html_environment() if output_format == "html" else markdown_environment()
        template = environment.get_template("report.html" if output_format == "html" else "report.md")
        self._macros: Any = template.module
        self._guides = guides
        self._version = engine_version() if version is None else version
        self._explain = explain
        self._sections: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - closed in close()
        self._contents: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - closed in close()
        self._attention: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - closed in close()
        self._count = 0
        self._first_name = ""
        self._attention_count = 0
        self._statuses: Counter[str] = Counter()
        self._digests: dict[str, None] = {}
        self._frameworks: dict[str, None] = {}
        # (framework title, judgement title) -> (order, text, tone) -> count. Only
        # outcomes that are symbols (grades, members) or not decided are counted one by
        # one, so the counters stay as small as the rules' vocabulary.
        self._headlines: dict[tuple[str, str], Counter[tuple[tuple[int, int], str, str]]] = {}

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close (and so delete) the temporary files."""
        for spool in (self._sections, self._contents, self._attention):
            spool.close()

    def add(self, result: Result, *, changes: Mapping[str, WhatIf] | None = None) -> None:
        """Write one more document's section and contents line; count its outcomes.

        `changes` (`whatif.what_would_change` of the document) shows under each judgement
        what would move it one step up and down.
        """
        self._count += 1
        guide = self._guides.get(result.framework or "")
        view = document_view(result, guide, self._count, explain=self._explain, changes=changes)
        if self._count == 1:
            self._first_name = view.framework_title or view.name
        self._sections.write(_encode(self._macros.document(view)))
        line = _encode(self._macros.contents_entry(view))
        self._contents.write(line)
        if view.needs_attention:
            self._attention_count += 1
            self._attention.write(line)
        self._statuses["undetermined" if view.status == "evaluated" and view.undecided else view.status] += 1
        self._digests[result.rules_digest] = None
        if result.framework_title:
            self._frameworks[result.framework_title] = None
        if guide is not None and view.status == "evaluated":
            self._count_headline(guide, view)

    def _count_headline(self, guide: FrameworkGuide, view: DocumentView) -> None:
        for outcome in view.in_brief:
            counts = self._headlines.setdefault((guide.title, outcome.title), Counter())
            counts[(_order(outcome), outcome.text if _countable(outcome) else "Other", outcome.tone)] += 1

    def summary(self) -> ReportSummary:
        """The counts so far."""
        title = self._first_name if self._count == 1 else f"{self._count:,} evidence documents"
        return ReportSummary(
            documents=self._count,
            title=title,
            engine_version=self._version,
            rules_digests=tuple(self._digests),
            frameworks=tuple(self._frameworks),
            statuses=tuple(
                (status, words, self._statuses[status]) for status, words in BATCH_STATUSES if self._statuses[status]
            ),
            headlines=tuple(
                HeadlineCounts(
                    framework_title=framework_title,
                    title=title,
                    outcomes=tuple(
                        OutcomeCount(text=text, tone=tone, count=count)
                        for (_, text, tone), count in sorted(counts.items())
                    ),
                )
                for (framework_title, title), counts in self._headlines.items()
            ),
            attention=self._attention_count,
            explain=self._explain,
        )

    def finish(self, out: IO[bytes]) -> None:
        """Write the whole report into `out`: head and counts, contents, documents, end."""
        summary = self.summary()
        batch = summary.documents != 1
        write: Callable[[str], Any] = lambda text: out.write(_encode(text))  # noqa: E731
        write(self._macros.head(summary, batch))
        if batch:
            write(self._macros.contents_head(summary, "attention"))
            _copy(self._attention, out)
            write(self._macros.contents_tail(summary, "attention"))
            write(self._macros.contents_head(summary, "all"))
            _copy(self._contents, out)
            write(self._macros.contents_tail(summary, "all"))
        write(self._macros.documents_head(summary, batch))
        _copy(self._sections, out)
        write(self._macros.tail(summary, batch))


def _countable(outcome: OutcomeView) -> bool:
    return outcome.status != "decided" or outcome.order is not None


def _order(outcome: OutcomeView) -> tuple[int, int]:
    """Grades best first, then other outcomes, then undetermined, then errors."""
    if outcome.status == "undetermined":
        return (3, 0)
    if outcome.status == "error":
        return (4, 0)
    if outcome.order is not None:
        return (0 if outcome.tone.startswith("grade-") else 1, outcome.order)
    return (2, 0)


def _copy(spool: IO[bytes], out: IO[bytes]) -> None:
    spool.flush()
    spool.seek(0)
    shutil.copyfileobj(spool, out, _COPY_CHUNK)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")  # templates' own text; values are printable already

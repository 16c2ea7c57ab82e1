"""Evidence inputs for batch evaluation: files, folders, `.jsonl` lines and standard input.

Inputs are read lazily, one document at a time, so a large `.jsonl` file streams
through in constant memory. An input that cannot be read becomes an
`invalid_evidence` result of its own; it never stops the others.
"""

from __future__ import annotations

import datetime
import json
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from framework_dsl.diagnostics import Diagnostic
from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.reports.text import render_problem_text, render_result_text
from framework_dsl.result import Result
from framework_dsl.ruleset import RuleSet
from framework_dsl.typesystem import CHECK_OUTCOME_SET, Symbol

_UNREADABLE = "evidence.unreadable"  # the code of an input that cannot be read


@attrs.frozen
class EvidenceInput:
    """One evidence document to evaluate: where it came from and its bytes (or why not)."""

    source: str
    data: bytes | None
    error: str | None = None
    code: str = _UNREADABLE  # of the problem `error` becomes


# `EvidenceInput(source, data)` for each line of a `.jsonl` file, its slots stored directly:
# attrs' frozen `__init__` sets each field through `object.__setattr__` (12,700
# instructions for `Rendered`'s eight, 6,200 for these four; callgrind), and these two
# are made for every document of a batch. Every field is given, in order, as attrs would set it.
_new_object = object.__new__


def _slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The setters of a frozen, slotted attrs class's fields, in order, past its `__setattr__`."""
    return tuple(getattr(cls, field.name).__set__ for field in attrs.fields(cls))


_SET_SOURCE, _SET_DATA, _SET_ERROR, _SET_CODE = _slot_setters(EvidenceInput)


def _line_input(source: str, data: bytes) -> EvidenceInput:
    """`EvidenceInput(source, data)`, made as the comment above says."""
    made = _new_object(EvidenceInput)
    _SET_SOURCE(made, source)
    _SET_DATA(made, data)
    _SET_ERROR(made, None)
    _SET_CODE(made, _UNREADABLE)
    return made


@attrs.frozen
class JsonlFile:
    """A `.jsonl` file named on the command line or found in a folder, not yet read."""

    path: Path
    shown: str


def iter_inputs(
    paths: tuple[str, ...], stdin: IO[bytes], max_bytes: int = DEFAULT_LIMITS.max_bytes
) -> Iterator[EvidenceInput]:
    """Every evidence document named by `paths`, in order, read lazily.

    A `.json` file is read only when it is a regular file, and at most `max_bytes + 1`
    bytes of it: a device (`/dev/zero`) or a named pipe is an unreadable input of its
    own, never read, and a file larger than `max_bytes` is refused without being read.
    """
    for source in iter_sources(paths, stdin, max_bytes):
        if isinstance(source, JsonlFile):
            yield from _file_inputs(source.path, source.shown, max_bytes)
        else:
            yield source


def iter_sources(
    paths: tuple[str, ...], stdin: IO[bytes], max_bytes: int = DEFAULT_LIMITS.max_bytes
) -> Iterator[EvidenceInput | JsonlFile]:
    """Like `iter_inputs`, but a `.jsonl` file comes whole, for the caller to read (or split)."""
    for path_text in paths:
        if path_text == "-":
            yield from _stdin_inputs(stdin)
            continue
        path = Path(path_text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
            if not files:
                yield EvidenceInput(path_text, None, "the folder holds no .json or .jsonl files")
            for file in files:
                yield (
                    JsonlFile(file, str(file))
                    if file.suffix == ".jsonl"
                    else read_evidence_file(file, str(file), max_bytes)
                )
        elif path.suffix == ".jsonl" and path.is_file():
            yield JsonlFile(path, path_text)
        else:
            yield from _file_inputs(path, path_text, max_bytes)


def count_documents(paths: tuple[str, ...]) -> int | None:
    """About how many documents `iter_inputs` gives for `paths`, found quickly: a `.jsonl`
    file's lines are counted, not read as JSON (so a blank line counts too). None when
    standard input is among them: its documents are known only once it is read.
    """
    total = 0
    for path_text in paths:
        if path_text == "-":
            return None
        path = Path(path_text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
            total += sum(_count_lines(file) if file.suffix == ".jsonl" else 1 for file in files) or 1
        elif path.suffix == ".jsonl" and path.is_file():
            total += _count_lines(path)
        else:
            total += 1
    return total


def _count_lines(path: Path) -> int:
    lines = 0
    last = b"\n"
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return 1  # it gives one result: that it cannot be read
    return lines + (last != b"\n")


def read_evidence_file(path: Path, shown: str, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> EvidenceInput:
    """One `.json` evidence file, read as a batch reads it: only a regular file, at most `max_bytes + 1` bytes."""
    (only,) = _file_inputs(path, shown, max_bytes, lines=False)
    return only


def _file_inputs(
    path: Path, shown: str, max_bytes: int = DEFAULT_LIMITS.max_bytes, *, lines: bool | None = None
) -> Iterator[EvidenceInput]:
    """The documents of one file: each line of a `.jsonl` file (`lines`), else the whole file as one."""
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(status.st_mode):  # checked before opening: a pipe would block, a device never end
            yield EvidenceInput(
                shown, None, "this is not a regular file (a device or a pipe); give - for standard input"
            )
            return
        if path.suffix == ".jsonl" if lines is None else lines:
            with path.open("rb") as handle:
                yield from lines_inputs(handle, shown, 1)
            return
        if status.st_size > max_bytes:
            yield EvidenceInput(
                shown,
                None,
                f"the evidence is {status.st_size} bytes, above the limit of {max_bytes}",
                "evidence.too-large",
            )
            return
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since
        yield EvidenceInput(shown, data)
    except FileNotFoundError:
        yield EvidenceInput(shown, None, "there is no such file")
    except IsADirectoryError:
        yield EvidenceInput(shown, None, "this is a folder")
    except OSError as error:
        yield EvidenceInput(shown, None, f"the file cannot be read: {error.strerror}")


def lines_inputs(lines: Iterable[bytes], shown: str, first_number: int) -> Iterator[EvidenceInput]:
    """The documents of `.jsonl` lines (blank ones skipped), numbered from `first_number`.

    A whole file and a worker's byte range of it go through here, so both number and
    skip lines alike.
    """
    for number, line in enumerate(lines, start=first_number):
        if line.strip():
            yield _line_input(f"{shown}:{number}", line)


def _stdin_inputs(stdin: IO[bytes]) -> Iterator[EvidenceInput]:
    data = stdin.read()
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines):
        try:
            json.loads(data)
        except ValueError:
            for number, line in enumerate(data.splitlines(), start=1):
                if line.strip():
                    yield EvidenceInput(f"<stdin>:{number}", line)
            return
    yield EvidenceInput("<stdin>", data)


def evaluate_input(
    rule_set: RuleSet,
    item: EvidenceInput,
    *,
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """Evaluate one input; an unreadable input gives an `invalid_evidence` result."""
    if item.data is None:
        problem = Diagnostic(
            code=item.code,
            message=item.error or "the evidence cannot be read",
            document=item.source,
            pointer="",
        )
        return Result(
            framework=framework,
            framework_title=None,
            rules_digest=rule_set.digest,
            source=item.source,
            subject=None,
            as_of=as_of,
            as_of_from=None if as_of is None else "argument",
            status="invalid_evidence",
            problems=(problem,),
        )
    return rule_set.evaluate_json(
        item.data, as_of, framework=framework, source=item.source, explain=explain, limits=limits
    )


@attrs.frozen(cache_hash=True)
class Tally:
    """How many documents ended each way: what the end-of-run summary counts.

    Each document counts once, under the first that applies: invalid evidence, not in
    force, a rule that failed on it, something undetermined, else evaluated (every
    judgement and check decided). `failed_on` counts, besides, the documents with an
    outcome at or below the `--fail-on` grade.
    """

    evaluated: int = 0
    undetermined: int = 0
    failed: int = 0
    not_in_force: int = 0
    invalid: int = 0
    failed_on: int = 0

    @staticmethod
    def ended(ending: str, failed_on: bool = False) -> Tally:
        """The tally of one document that ended so (`Result.ending`); `failed_on`: it has an
        outcome at or below the --fail-on grade. Frozen, and shared by every such document."""
        return _SHARED[ending, failed_on]

    @classmethod
    def sum(cls, counted: dict[Tally, int]) -> Tally:
        """The total of tallies counted as {tally: how many times}."""
        totals = [0] * 6
        for tally, times in counted.items():
            for index, value in enumerate(attrs.astuple(tally)):
                totals[index] += value * times
        return cls(*totals)

    @property
    def documents(self) -> int:
        """Every document counted."""
        return self.evaluated + self.undetermined + self.failed + self.not_in_force + self.invalid


# One document's tallies, by (how it ended, `Result.ending`; whether it failed on the
# --fail-on grade): frozen, so every document that ended alike shares one.
_SHARED = {
    (ending, failed_on): Tally(**{counted: 1}, failed_on=int(failed_on))
    for ending, counted in (
        ("evaluated", "evaluated"),
        ("undetermined", "undetermined"),
        ("failed", "failed"),
        ("not_in_force", "not_in_force"),
        ("invalid_evidence", "invalid"),
    )
    for failed_on in (False, True)
}


@attrs.frozen
class Rendered:
    """Results already written out, of one document or a run of them: what the command
    prints and how it ends.

    Worker processes send one of these back for each unit of work instead of `Result`
    objects, so the parent only writes bytes, one piece per unit, and little crosses
    between processes.
    """

    data: bytes | None  # the output, UTF-8, documents joined by their format's separator (`Framing`)
    # Evidence problems for standard error: for each document with any, each problem as
    # a diagnostic's text (the command decides how many to show).
    problems: tuple[tuple[str, ...], ...]
    needs_attention: bool  # some document invalid, not in force, undetermined or failed: exit 1
    failed_on: bool  # some outcome at or below the --fail-on grade
    results: tuple[Result, ...] = ()  # for the HTML and Markdown reports, which the command writes itself
    count: int = 1  # how many documents
    tally: Tally = Tally()  # how they ended, for the summary
    # Instead of `data`, for output a worker process holds (`parallel`, direct): writes it
    # into the seekable binary file given, at its position, and moves past it.
    write_into: Callable[[Any], None] | None = attrs.field(default=None, eq=False)

    @classmethod
    def join(cls, parts: list[Rendered], output_format: str) -> Rendered:
        """One piece for several documents' output, in order, as the command writes them."""
        data: bytes | None = None
        if output_format in FRAMINGS:
            data = FRAMINGS[output_format].separator.join(part.data or b"" for part in parts if part.count)
        counted: dict[Tally, int] = {}
        for part in parts:
            counted[part.tally] = counted.get(part.tally, 0) + 1
        return cls(
            data=data,
            problems=tuple(document for part in parts for document in part.problems),
            needs_attention=any(part.needs_attention for part in parts),
            failed_on=any(part.failed_on for part in parts),
            results=tuple(result for part in parts for result in part.results),
            count=sum(part.count for part in parts),
            tally=Tally.sum(counted),
        )


(
    _SET_RENDERED_DATA,
    _SET_PROBLEMS,
    _SET_NEEDS_ATTENTION,
    _SET_FAILED_ON,
    _SET_RESULTS,
    _SET_COUNT,
    _SET_TALLY,
    _SET_WRITE_INTO,
) = _slot_setters(Rendered)


def _one_rendered(
    data: bytes | None,
    problems: tuple[tuple[str, ...], ...],
    needs_attention: bool,
    failed_on: bool,
    results: tuple[Result, ...],
    tally: Tally,
) -> Rendered:
    """`Rendered(...)` of one document (count 1, nothing to write into), made as `_line_input` is."""
    made = _new_object(Rendered)
    _SET_RENDERED_DATA(made, data)
    _SET_PROBLEMS(made, problems)
    _SET_NEEDS_ATTENTION(made, needs_attention)
    _SET_FAILED_ON(made, failed_on)
    _SET_RESULTS(made, results)
    _SET_COUNT(made, 1)
    _SET_TALLY(made, tally)
    _SET_WRITE_INTO(made, None)
    return made


@attrs.frozen
class Framing:
    """How a format puts documents together: `head` doc `separator` doc ... `tail`, or `empty`."""

    head: bytes
    separator: bytes
    tail: bytes
    empty: bytes = b""


# Formats written document by document. HTML and Markdown open with a summary of the whole
# batch: `reports.batch.ReportWriter` puts them together, streaming through temporary files.
FRAMINGS = {
    "json": Framing(head=b"[\n", separator=b",\n", tail=b"\n]\n", empty=b"[]\n"),  # an array
    "jsonl": Framing(head=b"", separator=b"\n", tail=b"\n"),  # one line each
    "text": Framing(head=b"", separator=b"\n", tail=b""),  # reports one after another, a newline between
}
SINGLE_JSON = Framing(head=b"", separator=b"", tail=b"\n")  # json for exactly one input: the object alone


def render(result: Result, output_format: str, *, explain: bool, ranks: dict[str, int]) -> Rendered:
    """Write `result` out in `output_format` (json, jsonl, text; others keep the result)."""
    data: bytes | None = None
    if output_format == "json":
        data = result.to_json_bytes(indent=2, explain=explain)
    elif output_format == "jsonl":
        data = result.to_json_bytes(indent=None, explain=explain)
    elif output_format == "text":
        data = render_result_text(result, explain=explain).encode("utf-8")
    failed_on = bool(ranks) and fails_on(result, ranks)
    ending = result.ending()
    return _one_rendered(
        data,
        (tuple(render_problem_text(p) for p in result.problems),) if result.problems else (),
        ending != "evaluated",
        failed_on,
        (result,) if data is None else (),
        Tally.ended(ending, failed_on),
    )


# `--fail-on failed`: a check whose outcome is `failed` fails the run, as a grade at or
# below the `--fail-on` grade does.
FAILED_CHECK = "failed"


def fail_on_ranks(rule_set: RuleSet, value: str) -> dict[str, int]:
    """What `--fail-on VALUE` matches, as {symbol set: the rank at or below which an outcome matches}.

    A grade matches itself and every worse grade of each scale that has it; `failed`
    matches a failed check (and a grade called `failed`, if a scale has one). Empty: it
    names nothing the rules have.
    """
    ranks: dict[str, int] = {}
    for framework in rule_set.frameworks.values():
        for symbol_set in framework.symbol_sets:
            if symbol_set.kind == "scale":
                member = symbol_set.member(value)
                if member is not None:
                    ranks[symbol_set.qualname] = member.rank
    if value == FAILED_CHECK:
        failed = CHECK_OUTCOME_SET.member(FAILED_CHECK)
        assert failed is not None
        ranks[CHECK_OUTCOME_SET.qualname] = failed.rank
    return ranks


def fails_on(result: Result, ranks: dict[str, int]) -> bool:
    """Whether any decided grade is at or below the rank given for its scale, or a check failed (`failed`)."""
    for _, decision in result.all_decisions():
        if decision.status != "decided":
            continue
        outcomes = decision.value if isinstance(decision.value, tuple) else (decision.value,)
        for outcome in outcomes:
            if (
                isinstance(outcome, Symbol)
                and (outcome.ordered or outcome.owner == CHECK_OUTCOME_SET.qualname)
                and ranks.get(outcome.owner, len(ranks) + 10**6) <= outcome.rank
            ):
                return True
    return False

"""`framework-check`: check evidence against the rules of its framework."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import click

from framework_dsl.cli import end_start_up
from framework_dsl.cli.common import (
    EXIT_FAIL_ON,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_RULES,
    Writeback,
    atomic_output,
    evaluate_input,
    guard,
    iter_inputs,
    iter_sources,
    limit_options,
    limits_of,
    parse_date_option,
    refuse_output_target,
    report_rule_errors,
    terminate_cleanly,
    version_option,
)
from framework_dsl.cli.progress import EVERY_PROBLEM, ProblemDisplay, ProblemLimits, Progress, summary_line
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.evidence import Limits
from framework_dsl.inputs import (
    FAILED_CHECK,
    FRAMINGS,
    SINGLE_JSON,
    EvidenceInput,
    Rendered,
    Tally,
    count_documents,
    fail_on_ranks,
    render,
)
from framework_dsl.reports import REPORT_FORMATS
from framework_dsl.resources import bundled_rules_root
from framework_dsl.ruleset import RuleSet, check_rules

if TYPE_CHECKING:
    from framework_dsl.reports.batch import ReportWriter
    from framework_dsl.result import Result
    from framework_dsl.whatif import WhatIf

# ---------------------------------------------------------------- framework-check


@click.command(name="framework-check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("evidence", nargs=-1, required=True)
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(),
    help="Rule file or folder (repeatable); default: the bundled rules.",
)
@click.option("--framework", default=None, help='Use this framework whatever the evidence\'s "framework" field says.')
@click.option(
    "--as-of",
    "as_of",
    callback=parse_date_option,
    help="Evaluation date, YYYY-MM-DD (default: the evidence's date, then today).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl", "markdown", "html"]),
    default=None,
    help="Output format (default: text on a terminal, JSON otherwise).",
)
@click.option(
    "--output", "output", type=click.Path(dir_okay=False), default=None, help="Write the report to FILE, atomically."
)
@click.option("--explain", is_flag=True, help="Show every clause tried and the values its condition read.")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=1, help="Evaluate with N processes; results keep input order."
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="GRADE|failed",
    help="Exit 3 if any outcome is this grade or worse; with `failed`, if any check failed. Repeatable.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress display and no summary line on standard error (problems are still shown).",
)
@click.option(
    "--all-problems",
    is_flag=True,
    help=f"Show every evidence problem on a terminal too; otherwise a terminal shows at most "
    f"{ProblemLimits().per_document} per document, for the first {ProblemLimits().documents} documents with problems.",
)
@limit_options()
@version_option("framework-check")
@click.option("--debug", is_flag=True, hidden=True)
def framework_check(
    evidence: tuple[str, ...],
    rules: tuple[str, ...],
    framework: str | None,
    as_of: datetime.date | None,
    output_format: str | None,
    output: str | None,
    explain: bool,
    jobs: int,
    fail_on: tuple[str, ...],
    quiet: bool,
    all_problems: bool,
    max_bytes: int,
    max_depth: int,
    max_items: int,
    max_text: int,
    debug: bool,
) -> None:
    """Check EVIDENCE (JSON files, folders of them, .jsonl files, or - for standard input)
    against the rules of its framework, and report graded outcomes with their reasons.

    A batch (more than one document) ends with a one-line summary on standard error; on
    a terminal it also shows its progress there while it runs (when the report does not
    go to the same terminal). Exit status: 0 every document evaluated; 1 some document
    invalid, undetermined, not in force or failed to evaluate; 2 rule errors, wrong usage
    or a report that cannot be written; 3 every document evaluated, but --fail-on matched
    (a grade at or below GRADE, or with --fail-on failed a failed check); 4 an internal error.
    """
    code = guard(
        debug,
        lambda: _framework_check(
            evidence,
            rules,
            framework,
            as_of,
            output_format,
            output,
            explain,
            jobs,
            fail_on,
            limits_of(max_bytes, max_depth, max_items, max_text),
            quiet=quiet,
            all_problems=all_problems,
        ),
    )
    sys.exit(code)


def _framework_check(
    evidence: tuple[str, ...],
    rules: tuple[str, ...],
    framework: str | None,
    as_of: datetime.date | None,
    output_format: str | None,
    output: str | None,
    explain: bool,
    jobs: int,
    fail_on: tuple[str, ...],
    limits: Limits,
    *,
    quiet: bool = False,
    all_problems: bool = False,
) -> int:
    refuse_output_target(output, evidence, [Path(r) for r in rules] or [bundled_rules_root()])
    rule_set, diagnostics = check_rules(*rules)
    # Start-up ends: the garbage collector, off since `main_check`, goes back on.
    context = click.get_current_context(silent=True)
    paused = bool(context is not None and isinstance(context.obj, dict) and context.obj.get("gc_paused"))
    end_start_up(paused=paused, collect=rule_set is None or rule_set.origin == "checked")
    if rule_set is None:
        report_rule_errors(diagnostics)
        return EXIT_RULES
    if framework is not None and framework not in rule_set.frameworks:
        hint = did_you_mean(framework, rule_set.frameworks)
        raise click.BadParameter(
            f"the rules define no framework `{framework}`"
            + (f"; {hint}" if hint else "")
            + f" (known: {', '.join(sorted(rule_set.frameworks))})",
            param_hint="--framework",
        )
    ranks: dict[str, int] = {}
    for value in fail_on:
        matched = fail_on_ranks(rule_set, value)
        if not matched:
            grades = sorted(
                {
                    m.name
                    for f in rule_set.frameworks.values()
                    for s in f.symbol_sets
                    if s.kind == "scale"
                    for m in s.members
                }
            )
            hint = did_you_mean(value, [*grades, FAILED_CHECK])
            raise click.BadParameter(
                f"`{value}` is not a grade of any scale, nor `{FAILED_CHECK}` (a failed check)"
                + (f"; {hint}" if hint else ""),
                param_hint="--fail-on",
            )
        for owner, rank in matched.items():
            ranks[owner] = min(rank, ranks.get(owner, rank))  # the better grade of two on one scale
    if output_format is None:
        output_format = "text" if output is None and sys.stdout.isatty() else "json"
    # A text stream with no binary buffer (an embedding program's) is read as it is.
    stdin = cast("IO[bytes]", getattr(sys.stdin, "buffer", sys.stdin))
    # One input prints one object; several print an array. A folder or a .jsonl file
    # is "several" even when it holds one document; standard input is judged by count.
    many_paths = len(evidence) > 1 or any(Path(p).is_dir() or p.endswith(".jsonl") for p in evidence if p != "-")
    # An HTML or Markdown report of one document says, under each judgement, what would
    # change it: the first document's evidence is kept until it is known whether there is a second.
    one: list[tuple[Result, EvidenceInput]] | None = [] if output_format in REPORT_FORMATS and not many_paths else None
    if jobs > 1:
        from framework_dsl.parallel import evaluate_parallel

        rendered: Iterator[Rendered] = evaluate_parallel(
            rules,
            iter_sources(evidence, stdin, limits.max_bytes),
            rule_set=rule_set,
            as_of=as_of,
            framework=framework,
            explain=explain,
            jobs=jobs,
            limits=limits,
            output_format=output_format,
            ranks=ranks,
            # Into a file, workers write their output themselves, where the parent says. Not
            # when the count of documents decides the framing: counting them means reading
            # ahead, past units that must be written as they come.
            direct=many_paths and output not in (None, "-") and output_format in FRAMINGS,
        )
    else:
        rendered = _serial(rule_set, evidence, stdin, as_of, framework, explain, limits, output_format, ranks, one)
    exit_code = EXIT_OK
    failed_on = False
    to_file = output not in (None, "-")
    terminal = _is_terminal(sys.stderr)
    produced = rendered  # closed at the end, so that workers stop here, not when it is collected
    rendered, single = (rendered, False) if many_paths else _peek_single(rendered)
    progress = None
    if terminal and not quiet and not single and (to_file or not _is_terminal(sys.stdout)):
        progress = Progress(sys.stderr, total=_counted_in_background(evidence), width=_terminal_width())
    write_problem = progress.write if progress is not None else _write_stderr
    problem_display = ProblemDisplay(write_problem, ProblemLimits() if terminal and not all_problems else EVERY_PROBLEM)
    framing = SINGLE_JSON if single and output_format == "json" else FRAMINGS.get(output_format)
    tallies: dict[Tally, int] = {}
    # An HTML or Markdown report opens with counts known only at the end: documents go
    # into temporary files beside the report (or in the system's temporary folder for
    # standard output) as they come, and the report is put together at the end.
    spool_dir = None if output in (None, "-") else str(Path(output).parent)
    try:
        with (
            atomic_output(output) as out,
            _report_writer(output_format, rule_set, explain, spool_dir) as report,
            Writeback(out if to_file else None) as writeback,
        ):
            first = True
            for item in rendered:  # one document's output, or (from workers) a run of documents'
                writeback.start()  # at the first document, once any worker processes have been forked
                if item.needs_attention:
                    exit_code = EXIT_INPUT
                if item.problems:
                    problem_display.show(item.problems)
                failed_on = failed_on or item.failed_on
                tallies[item.tally] = tallies.get(item.tally, 0) + 1
                if progress is not None:
                    progress.advance(item.count)
                if framing is not None and item.count:
                    out.write(framing.head if first else framing.separator)
                    if item.write_into is not None:
                        item.write_into(out)
                    else:
                        out.write(item.data or b"")
                    first = False
                if report is not None:
                    for result in item.results:
                        report.add(result, changes=_changes(rule_set, result, one) if single else None)
            if framing is not None:
                out.write(framing.empty if first else framing.tail)
            elif report is not None:
                report.finish(out)
    except BaseException:
        if progress is not None:  # leave the terminal's line clean for the error that follows
            progress.finish(None)
        raise
    finally:
        # A run that stops early (a full disk) leaves the evaluation unfinished: its workers
        # are stopped now, in this thread, rather than whenever the garbage collector or the
        # interpreter's exit gets to the generator.
        close = getattr(produced, "close", None)
        if close is not None:
            close()
    report_name = output if output is not None and to_file else "standard output"
    closing = [
        problem_display.left_out_text(report=report_name, report_lists_problems=output_format != "text"),
        None if quiet or single else summary_line(Tally.sum(tallies), report=report_name, fail_on=fail_on or None),
    ]
    lines = "".join(line + "\n" for line in closing if line is not None)
    if progress is not None:
        progress.finish(lines.removesuffix("\n") or None)
    elif lines:
        _write_stderr(lines)
    if exit_code == EXIT_OK and failed_on:
        return EXIT_FAIL_ON
    return exit_code


def _serial(
    rule_set: RuleSet,
    evidence: tuple[str, ...],
    stdin: IO[bytes],
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    limits: Limits,
    output_format: str,
    ranks: dict[str, int],
    first: list[tuple[Result, EvidenceInput]] | None,
) -> Iterator[Rendered]:
    """Each document evaluated and written out in this process, in order; the first one's
    result and input kept in `first` (when it is a list), for `_changes`."""
    for index, item in enumerate(iter_inputs(evidence, stdin, limits.max_bytes)):
        result = evaluate_input(rule_set, item, as_of=as_of, framework=framework, explain=explain, limits=limits)
        if first is not None and index == 0:
            first.append((result, item))
        yield render(result, output_format, explain=explain, ranks=ranks)


def _changes(
    rule_set: RuleSet, result: Result, first: list[tuple[Result, EvidenceInput]] | None
) -> Mapping[str, WhatIf] | None:
    """What would change each judgement of the one document of a report (None when not known)."""
    if not first or first[0][0] is not result or result.status != "evaluated" or first[0][1].data is None:
        return None
    from framework_dsl.evidence import parse_json
    from framework_dsl.whatif import what_would_change

    data, problems = parse_json(first[0][1].data, result.source or "<evidence>")
    if problems or not isinstance(data, dict):
        return None
    return what_would_change(rule_set, data, as_of=result.as_of, framework=result.framework)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def _write_stderr(text: str) -> None:
    click.echo(text, err=True, nl=False)


def _counted_in_background(evidence: tuple[str, ...]) -> Callable[[], int | None]:
    """The number of documents, counted by a thread while the first ones are evaluated
    (None until it is known): the progress line's total.

    The thread starts when the total is first asked for, which is after the first
    document: by then any worker processes have been forked (no fork beside a thread).
    """
    import threading

    counted: list[int | None] = []
    counting: list[threading.Thread] = []

    def count() -> None:
        try:
            counted.append(count_documents(evidence))
        except OSError:
            counted.append(None)

    def total() -> int | None:
        if not counting:
            counting.append(threading.Thread(target=count, name="framework-check count", daemon=True))
            counting[0].start()
        return counted[0] if counted else None

    return total


@contextlib.contextmanager
def _report_writer(
    output_format: str, rule_set: RuleSet | None, explain: bool, spool_dir: str | None
) -> Iterator[ReportWriter | None]:
    """The streaming writer of an HTML or Markdown report (None for the other formats)."""
    if output_format not in REPORT_FORMATS:  # decided before the templates are loaded
        yield None
        return
    from framework_dsl.reports.batch import ReportWriter
    from framework_dsl.reports.guide import guides_for

    with ReportWriter(output_format, guides_for(rule_set), explain=explain, spool_dir=spool_dir) as writer:
        yield writer


def _peek_single(results: Iterator[Rendered]) -> tuple[Iterator[Rendered], bool]:
    """Look ahead to the second document to learn whether there is exactly one, without losing any."""
    head: list[Rendered] = []
    seen = 0
    for item in results:
        head.append(item)
        seen += item.count
        if seen > 1:
            break
    return itertools.chain(head, results), seen == 1


def main_check(*, gc_paused: bool = False) -> None:
    """Console entry point of `framework-check`; `gc_paused`: the caller paused the garbage collector."""
    terminate_cleanly()
    framework_check(obj={"gc_paused": gc_paused})

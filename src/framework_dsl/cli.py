"""The commands: `framework-check` (check evidence) and `framework-dsl` (author rules).

Thin by design: parse arguments, call the API, render, and map outcomes to exit
codes. `framework-check` exits 0 when every input was evaluated, 1 when any input
was invalid, undetermined, not in force or failed to evaluate, 2 for rule errors or
wrong usage, 3 when `--fail-on` matched, and 4 for an internal error (a bug, reported
without a traceback unless `--debug`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import click

from framework_dsl import canonical_json
from framework_dsl.diagnostics import Diagnostic, render_all_text, render_gnu, render_text, sort_diagnostics, to_json
from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.report import (
    render_problems_text,
    render_result_text,
    render_results_html,
    render_results_markdown,
)
from framework_dsl.result import Result
from framework_dsl.ruleset import RuleSet, check_rules
from framework_dsl.typesystem import Symbol

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_RULES = 2
EXIT_FAIL_ON = 3
EXIT_INTERNAL = 4


# ---------------------------------------------------------------- inputs


@attrs.frozen
class EvidenceInput:
    """One evidence document to evaluate: where it came from and its bytes (or why not)."""

    source: str
    data: bytes | None
    error: str | None = None


def iter_inputs(paths: tuple[str, ...], stdin: IO[bytes]) -> Iterator[EvidenceInput]:
    """Every evidence document named by `paths`, in order, read lazily."""
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
                yield from _file_inputs(file, str(file))
        else:
            yield from _file_inputs(path, path_text)


def _file_inputs(path: Path, shown: str) -> Iterator[EvidenceInput]:
    try:
        if path.suffix == ".jsonl":
            with path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield EvidenceInput(f"{shown}:{number}", line)
            return
        yield EvidenceInput(shown, path.read_bytes())
    except FileNotFoundError:
        yield EvidenceInput(shown, None, "there is no such file")
    except IsADirectoryError:
        yield EvidenceInput(shown, None, "this is a folder")
    except OSError as error:
        yield EvidenceInput(shown, None, f"the file cannot be read: {error.strerror}")


def _stdin_inputs(stdin: IO[bytes]) -> Iterator[EvidenceInput]:
    data = stdin.read()
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines):
        import json

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
            code="evidence.unreadable",
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
            status="invalid_evidence",
            problems=(problem,),
        )
    return rule_set.evaluate_json(
        item.data, as_of, framework=framework, source=item.source, explain=explain, limits=limits
    )


# ---------------------------------------------------------------- output


@contextlib.contextmanager
def atomic_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or a temporary file renamed onto `path` only when complete."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.",
        suffix=".tmp", delete=False,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def _report_rule_errors(diagnostics: list[Diagnostic]) -> None:
    click.echo(render_all_text(diagnostics), err=True, nl=False)


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD, for example 2019-03-01") from None


def _guard(debug: bool, run: Callable[[], int]) -> int:
    try:
        return run()
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`); nothing left to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - silence the flush at exit
        return EXIT_INPUT
    except Exception:  # noqa: BLE001 - the last line of defence: never a traceback for users
        click.echo(
            "framework-dsl: internal error, please report it with the command you ran"
            + ("" if debug else " (add --debug to see the details)"),
            err=True,
        )
        if debug:
            click.echo(traceback.format_exc(), err=True)
        return EXIT_INTERNAL


# ---------------------------------------------------------------- framework-check


def _grade_rank(rule_set: RuleSet, grade: str) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for framework in rule_set.frameworks.values():
        for symbol_set in framework.symbol_sets:
            if symbol_set.kind == "scale":
                member = symbol_set.member(grade)
                if member is not None:
                    ranks[symbol_set.qualname] = member.rank
    return ranks


def _fails(result: Result, ranks: dict[str, int]) -> bool:
    for _, decision in result.all_decisions():
        if decision.status != "decided":
            continue
        outcomes = decision.outcome if isinstance(decision.outcome, tuple) else (decision.outcome,)
        for outcome in outcomes:
            if isinstance(outcome, Symbol) and outcome.ordered and outcome.owner in ranks:
                if outcome.rank >= ranks[outcome.owner]:
                    return True
    return False


@click.command(name="framework-check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("evidence", nargs=-1, required=True)
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Rule file or folder (repeatable); default: the bundled rules.")
@click.option("--framework", default=None, help="Use this framework whatever the evidence's \"framework\" field says.")
@click.option("--as-of", "as_of", callback=_parse_date, help="Evaluation date, YYYY-MM-DD (default: the evidence's own date, then today).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "jsonl", "markdown", "html"]),
    default=None,
    help="Output format (default: text on a terminal, JSON otherwise).",
)
@click.option("--output", "output", type=click.Path(dir_okay=False), default=None, help="Write the report to FILE, atomically.")
@click.option("--explain", is_flag=True, help="Show every clause tried and the values its condition read.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, help="Evaluate with N processes; results keep input order.")
@click.option("--fail-on", "fail_on", default=None, help="Exit 3 if any outcome is this grade or worse.")
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
    fail_on: str | None,
    debug: bool,
) -> None:
    """Check EVIDENCE (JSON files, folders of them, .jsonl files, or - for standard input)
    against the rules of its framework, and report graded outcomes with their reasons."""
    code = _guard(
        debug,
        lambda: _framework_check(evidence, rules, framework, as_of, output_format, output, explain, jobs, fail_on),
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
    fail_on: str | None,
) -> int:
    rule_set, diagnostics = check_rules(*rules)
    if rule_set is None:
        _report_rule_errors(diagnostics)
        return EXIT_RULES
    if framework is not None and framework not in rule_set.frameworks:
        from framework_dsl.diagnostics import did_you_mean

        hint = did_you_mean(framework, rule_set.frameworks)
        raise click.BadParameter(
            f"the rules define no framework `{framework}`" + (f"; {hint}" if hint else "")
            + f" (known: {', '.join(sorted(rule_set.frameworks))})",
            param_hint="--framework",
        )
    ranks: dict[str, int] = {}
    if fail_on is not None:
        ranks = _grade_rank(rule_set, fail_on)
        if not ranks:
            from framework_dsl.diagnostics import did_you_mean

            grades = sorted(
                {m.name for f in rule_set.frameworks.values() for s in f.symbol_sets if s.kind == "scale" for m in s.members}
            )
            hint = did_you_mean(fail_on, grades)
            raise click.BadParameter(
                f"`{fail_on}` is not a grade of any scale" + (f"; {hint}" if hint else ""), param_hint="--fail-on"
            )
    if output_format is None:
        output_format = "text" if output is None and sys.stdout.isatty() else "json"
    stdin = click.get_binary_stream("stdin")
    inputs = iter_inputs(evidence, stdin)
    if jobs > 1:
        from framework_dsl.parallel import evaluate_parallel

        results: Iterator[Result] = evaluate_parallel(
            rules, inputs, as_of=as_of, framework=framework, explain=explain, jobs=jobs
        )
    else:
        results = (
            evaluate_input(rule_set, item, as_of=as_of, framework=framework, explain=explain) for item in inputs
        )
    exit_code = EXIT_OK
    failed_on = False
    single = len(evidence) == 1 and evidence[0] != "-" and not Path(evidence[0]).is_dir() and not evidence[0].endswith(".jsonl")
    collected: list[Result] = []
    with atomic_output(output) as out:
        first = True
        if output_format == "json" and not single:
            out.write("[")
        for result in results:
            if result.status != "evaluated" or any(d.status != "decided" for _, d in result.all_decisions()):
                exit_code = EXIT_INPUT
            if result.problems:
                click.echo(render_problems_text(result), err=True, nl=False)
            if ranks and _fails(result, ranks):
                failed_on = True
            if output_format == "json":
                text = result.to_json(indent=2, explain=explain)
                if single:
                    out.write(text + "\n")
                else:
                    out.write(("\n" if first else ",\n") + text)
            elif output_format == "jsonl":
                out.write(result.to_json(indent=None, explain=explain) + "\n")
            elif output_format == "text":
                out.write(("" if first else "\n") + render_result_text(result, explain=explain))
            else:
                collected.append(result)
            first = False
        if output_format == "json" and not single:
            out.write("\n]\n" if not first else "]\n")
        elif output_format == "markdown":
            out.write(render_results_markdown(collected))
        elif output_format == "html":
            out.write(render_results_html(collected))
    if exit_code == EXIT_OK and failed_on:
        return EXIT_FAIL_ON
    return exit_code


def main_check() -> None:
    """Console entry point of `framework-check`."""
    framework_check()


# ---------------------------------------------------------------- framework-dsl


@click.group(name="framework-dsl", context_settings={"help_option_names": ["-h", "--help"]})
def framework_dsl() -> None:
    """Tools for people who write rule files."""


def _print_diagnostics(diagnostics: list[Diagnostic], output_format: str) -> None:
    diagnostics = sort_diagnostics(diagnostics)
    if output_format == "json":
        click.echo(canonical_json.dumps([to_json(d) for d in diagnostics], indent=2))
    elif output_format == "gnu":
        for diagnostic in diagnostics:
            click.echo(render_gnu(diagnostic))
    else:
        if diagnostics:
            click.echo(render_all_text(diagnostics), nl=False)
        else:
            click.echo("no problems found")


@framework_dsl.command("check")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "gnu"]), default="text")
@click.option("--debug", is_flag=True, hidden=True)
def check_command(rules: tuple[str, ...], output_format: str, debug: bool) -> None:
    """Parse and type-check RULES (files or folders; default: the bundled rules)."""

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        _print_diagnostics(diagnostics, output_format)
        return EXIT_RULES if rule_set is None else EXIT_OK

    sys.exit(_guard(debug, run))


@framework_dsl.command("test")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option("--framework", "frameworks", multiple=True, help="Only this framework's examples (repeatable).")
@click.option("--coverage", is_flag=True, help="List every clause no example exercised.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, help="Fail below this clause coverage (percent).")
@click.option("--debug", is_flag=True, hidden=True)
def test_command(
    rules: tuple[str, ...], frameworks: tuple[str, ...], coverage: bool, min_coverage: float | None, debug: bool
) -> None:
    """Run the examples written beside RULES and report failures and clause coverage."""

    def run() -> int:
        from framework_dsl.examples import run_examples

        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            _report_rule_errors(diagnostics)
            return EXIT_RULES
        unknown = [f for f in frameworks if f not in rule_set.frameworks]
        if unknown:
            raise click.BadParameter(f"no framework {', '.join(unknown)}", param_hint="--framework")
        report = run_examples(rule_set, list(frameworks) or None)
        for outcome in report.outcomes:
            mark = "ok  " if outcome.passed else "FAIL"
            click.echo(f"{mark} {outcome.framework}: {outcome.title}  ({outcome.location})")
            for failure in outcome.failures:
                click.echo(f"       expected {failure.expectation}")
                click.echo(f"         expected: {failure.expected}")
                click.echo(f"         actual:   {failure.actual}")
                if failure.reason:
                    click.echo(f"         reason:   {failure.reason}")
                click.echo(f"         evidence: {outcome.evidence}  at {failure.location}")
        passed = sum(1 for o in report.outcomes if o.passed)
        click.echo(f"\n{passed} passed, {len(report.outcomes) - passed} failed")
        if coverage or min_coverage is not None:
            uncovered = [c for c in report.coverage if not c.covered]
            click.echo(
                f"clause coverage: {report.coverage_percent:.1f}% "
                f"({len(report.coverage) - len(uncovered)} of {len(report.coverage)} clauses)"
            )
            by_file: dict[str, list[Any]] = {}
            for clause in uncovered:
                by_file.setdefault(clause.location.rsplit(":", 1)[0], []).append(clause)
            for file, clauses in sorted(by_file.items()):
                click.echo(f"  not exercised in {file}:")
                for clause in clauses:
                    click.echo(f"    {clause.location}  {clause.decision}")
        if report.failed:
            return 1
        if min_coverage is not None and report.coverage_percent < min_coverage:
            click.echo(f"coverage {report.coverage_percent:.1f}% is below the required {min_coverage:g}%", err=True)
            return 1
        return EXIT_OK

    sys.exit(_guard(debug, run))


def main_dsl() -> None:
    """Console entry point of `framework-dsl`."""
    framework_dsl()


__all__ = ["framework_check", "framework_dsl", "main_check", "main_dsl", "render_text"]

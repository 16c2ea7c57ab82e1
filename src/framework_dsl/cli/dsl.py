"""`framework-dsl`: the group of commands for people who write rule files."""

from __future__ import annotations

import sys
from typing import Any

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_OK, EXIT_RULES, guard, report_rule_errors, version_option
from framework_dsl.diagnostics import Diagnostic, render_all_text, render_gnu, sort_diagnostics, to_json
from framework_dsl.ruleset import check_rules

# ---------------------------------------------------------------- framework-dsl

# Each command's first sentence is its summary in `framework-dsl --help`: short enough
# to show whole (tests/cli/test_framework_dsl.py keeps it so).
DIAGNOSTICS_FORMAT_HELP = (
    "text: for people, with the line and a caret; json: a list of objects (code, message, "
    "location, hint); gnu: one `file:line:col: severity[code]: message` line each, for editors and CI."
)


@click.group(name="framework-dsl", context_settings={"help_option_names": ["-h", "--help"]})
@version_option("framework-dsl")
def framework_dsl() -> None:
    """Tools for people who write rule files.

    Shell completion (bash, zsh, fish) comes from click: for bash, add
    `eval "$(_FRAMEWORK_DSL_COMPLETE=bash_source framework-dsl)"` to ~/.bashrc
    (see docs/cli.md for the others).
    """


def print_diagnostics(diagnostics: list[Diagnostic], output_format: str) -> None:
    diagnostics = sort_diagnostics(diagnostics)
    if output_format == "json":
        click.echo(canonical_json.dumps([to_json(d) for d in diagnostics], indent=2))
    elif output_format == "gnu":
        for diagnostic in diagnostics:
            click.echo(render_gnu(diagnostic))
    elif diagnostics:
        click.echo(render_all_text(diagnostics), nl=False)
    else:
        click.echo("no problems found")


@framework_dsl.command("check")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "gnu"]),
    default="text",
    show_default=True,
    help=DIAGNOSTICS_FORMAT_HELP,
)
@click.option("--debug", is_flag=True, hidden=True)
def check_command(rules: tuple[str, ...], output_format: str, debug: bool) -> None:
    """Parse and type-check rule files.

    RULES are files or folders (default: the bundled rules). Every problem is reported
    at once. Exit status: 0 the rules check (warnings alone exit 0); 2 they have errors.
    """

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        print_diagnostics(diagnostics, output_format)
        return EXIT_RULES if rule_set is None else EXIT_OK

    sys.exit(guard(debug, run))


@framework_dsl.command("test")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option("--framework", "frameworks", multiple=True, help="Only this framework's examples (repeatable).")
@click.option("--coverage", is_flag=True, help="List every clause no example exercised (text format).")
@click.option(
    "--min-coverage", type=click.FloatRange(0, 100), default=None, help="Fail below this clause coverage (percent)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
    help="text: for people; json: one record per example with each expectation's expected and actual "
    "outcome and reason, then clause coverage; junit: JUnit XML for CI servers.",
)
@click.option(
    "--mutants",
    is_flag=True,
    help="Mutation testing: change the rules one small step at a time (thresholds, comparisons, clauses, "
    "outcomes), run the examples on each change, and report the share they catch and every change they miss.",
)
@click.option(
    "--min-score", type=click.FloatRange(0, 100), default=None, help="With --mutants: fail below this mutation score."
)
@click.option("--debug", is_flag=True, hidden=True)
def test_command(
    rules: tuple[str, ...],
    frameworks: tuple[str, ...],
    coverage: bool,
    min_coverage: float | None,
    output_format: str,
    mutants: bool,
    min_score: float | None,
    debug: bool,
) -> None:
    """Run the examples written beside the rules.

    RULES are files or folders (default: the bundled rules). Each example's evidence is
    evaluated and every expectation compared; a failure shows expected, actual and the
    reason. Exit status: 0 every example passed (and coverage is at least
    --min-coverage, and with --mutants the mutation score at least --min-score);
    1 otherwise; 2 the rules do not check.
    """

    def run() -> int:
        from framework_dsl.examples import report_dict, report_junit, run_examples

        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        unknown = [f for f in frameworks if f not in rule_set.frameworks]
        if unknown:
            raise click.BadParameter(f"no framework {', '.join(unknown)}", param_hint="--framework")
        report = run_examples(rule_set, list(frameworks) or None)
        if mutants and not report.failed:
            from framework_dsl.cli.mutate import mutation_run

            return mutation_run(rule_set, list(frameworks) or None, output_format=output_format, min_score=min_score)
        if mutants:
            click.echo("mutation testing needs examples that pass on the rules as they are; these fail:", err=True)
        below = min_coverage is not None and report.coverage_percent < min_coverage
        if output_format != "text":
            if output_format == "json":
                click.echo(canonical_json.dumps(report_dict(report), indent=2))
            else:
                click.echo(report_junit(report, rules_digest=rule_set.digest), nl=False)
            if below:
                click.echo(f"coverage {report.coverage_percent:.1f}% is below the required {min_coverage:g}%", err=True)
            return 1 if report.failed or below else EXIT_OK
        for outcome in report.outcomes:
            mark = "ok  " if outcome.passed else "FAIL"
            click.echo(f"{mark} {outcome.framework}: {outcome.title}  ({outcome.location})")
            for failure in outcome.failures:
                click.echo(f"       expected {failure.expectation}")
                click.echo(f"         expected: {failure.expected}")
                click.echo(f"         actual:   {failure.actual}")
                if failure.reason:
                    click.echo(f"         reason:   {failure.reason}")
                given = outcome.evidence_text or outcome.evidence
                if len(given) > 300:
                    given = given[:300] + "…"
                click.echo(f"         evidence: {given}")
                click.echo(f"         at:       {failure.location}")
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
        if below:
            click.echo(f"coverage {report.coverage_percent:.1f}% is below the required {min_coverage:g}%", err=True)
            return 1
        return EXIT_OK

    sys.exit(guard(debug, run))


@framework_dsl.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default, and the only way).")
def lsp_command(stdio: bool) -> None:
    """Run the language server, for editors (over stdio).

    Diagnostics as you type, hover, go to definition, completion, formatting, and the
    examples' outcomes on save. Needs `pip install 'framework-dsl[lsp]'`; docs/editors.md
    says how to set up VS Code, Neovim and Helix.
    """
    try:
        from framework_dsl.lsp.server import serve_stdio
    except ImportError as error:
        click.echo(
            f"framework-dsl lsp needs the language server library ({error.name}): pip install 'framework-dsl[lsp]'",
            err=True,
        )
        sys.exit(EXIT_RULES)
    serve_stdio()


def main_dsl() -> None:
    """Console entry point of `framework-dsl`."""
    framework_dsl()


# The subcommands register themselves on the group when imported; they import the
# group from this module, which is complete by this line.
from framework_dsl.cli import citations, diff, explain, fmt, lint, schema, serve, verify, whatif  # noqa: E402, F401

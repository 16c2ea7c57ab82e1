"""`framework-dsl lint RULES`: advice on rules that check but are probably not what was meant."""

from __future__ import annotations

import sys

import click

from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, report_rule_errors
from framework_dsl.cli.dsl import DIAGNOSTICS_FORMAT_HELP, framework_dsl, print_diagnostics
from framework_dsl.diagnostics import Severity
from framework_dsl.linter import lint_rules


@framework_dsl.command("lint")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "gnu"]),
    default="text",
    show_default=True,
    help=DIAGNOSTICS_FORMAT_HELP,
)
@click.option("--no-examples", is_flag=True, help="Skip running the examples (no `lint.untested-clause`).")
@click.option("--debug", is_flag=True, hidden=True)
def lint_command(rules: tuple[str, ...], output_format: str, no_examples: bool, debug: bool) -> None:
    """Advise on rules that check but are probably not what was meant.

    RULES are files or folders (default: the bundled rules). Lints: unreachable clauses,
    unused definitions and imports, clauses without reasons, citations or examples,
    evidence no rule reads (docs/lints.md lists them all).

    Exit status: 0 no lint of severity error (warnings and notes alone exit 0); 1 some lint
    is an error; 2 the rules do not check."""

    def run() -> int:
        rule_set, diagnostics = lint_rules(*rules, examples=not no_examples)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        print_diagnostics(diagnostics, output_format)
        if any(d.severity is Severity.ERROR for d in diagnostics):
            return EXIT_INPUT
        return EXIT_OK

    sys.exit(guard(debug, run))

"""`framework-dsl explain EVIDENCE JUDGEMENT`: the full trace of one judgement."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, parse_date_option, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.inputs import evaluate_input, read_evidence_file
from framework_dsl.reports.text import render_problem_text, render_result_text
from framework_dsl.result import Result
from framework_dsl.ruleset import check_rules


@framework_dsl.command("explain")
@click.argument("evidence", type=click.Path(dir_okay=False))
@click.argument("judgement")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Rule file or folder (default: bundled).")
@click.option("--framework", default=None, help="Use this framework whatever the evidence says.")
@click.option("--as-of", "as_of", callback=parse_date_option, help="Evaluation date, YYYY-MM-DD.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: for people; json: the result JSON (docs/interfaces.md) of this one judgement, "
    "its decision carrying `trace`.",
)
@click.option("--debug", is_flag=True, hidden=True)
def explain_command(
    evidence: str,
    judgement: str,
    rules: tuple[str, ...],
    framework: str | None,
    as_of: datetime.date | None,
    output_format: str,
    debug: bool,
) -> None:
    """Show how one judgement was decided, clause by clause.

    Every clause of JUDGEMENT tried on the EVIDENCE file, the value of each condition and
    sub-expression, and the evidence read; undetermined branches show what was missing.
    Exit status: 0 explained; 1 the evidence is invalid or not in force; 2 wrong usage.
    """

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        item = read_evidence_file(Path(evidence), evidence)  # a regular file only, never past the size limit
        if item.data is None and item.code != "evidence.too-large":
            raise click.BadParameter(f"cannot read {evidence}: {item.error}", param_hint="EVIDENCE")
        result = evaluate_input(rule_set, item, as_of=as_of, framework=framework, explain=True)
        if result.status != "evaluated":
            for problem in result.problems:
                click.echo(render_problem_text(problem), err=True)  # evidence text, control characters escaped
            if output_format == "json":
                click.echo(result.to_json(indent=2))
            else:
                click.echo(render_result_text(result))
            return EXIT_INPUT
        names = [*result.judgements, *result.checks]
        if judgement not in names:
            hint = did_you_mean(judgement, names)
            raise click.BadParameter(
                f"`{result.framework}` has no judgement or check `{judgement}`"
                + (f"; {hint}" if hint else f" (it has: {', '.join(names)})"),
                param_hint="JUDGEMENT",
            )
        only = Result(
            framework=result.framework,
            framework_title=result.framework_title,
            rules_digest=result.rules_digest,
            source=result.source,
            subject=result.subject,
            as_of=result.as_of,
            as_of_from=result.as_of_from,
            status=result.status,
            judgements={judgement: result.judgements[judgement]} if judgement in result.judgements else {},
            checks={judgement: result.checks[judgement]} if judgement in result.checks else {},
        )
        if output_format == "json":
            click.echo(only.to_json(indent=2, explain=True))
        else:
            click.echo(render_result_text(only, explain=True), nl=False)
        return EXIT_OK

    sys.exit(guard(debug, run))

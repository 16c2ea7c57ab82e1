"""`framework-dsl whatif EVIDENCE JUDGEMENT`: the smallest changes to the evidence that move an outcome."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, parse_date_option, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.evidence import parse_json
from framework_dsl.inputs import read_evidence_file
from framework_dsl.reports.terminal import printable
from framework_dsl.reports.text import render_problem_text
from framework_dsl.ruleset import check_rules
from framework_dsl.whatif import WhatIf, WhatIfError, what_if

SHOWN_PER_TARGET = 5


@framework_dsl.command("whatif")
@click.argument("evidence", type=click.Path(dir_okay=False))
@click.argument("judgement")
@click.option("--item", type=click.IntRange(0), default=None, help="The item of a for-each judgement (from 0).")
@click.option(
    "--target",
    default=None,
    help="A grade or outcome to reach, or `up` / `down` (one step on the scale). Default: one step up and one down.",
)
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Rule file or folder (default: bundled).")
@click.option("--framework", default=None, help="Use this framework whatever the evidence says.")
@click.option("--as-of", "as_of", callback=parse_date_option, help="Evaluation date, YYYY-MM-DD.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: for people; json: every change found, each an RFC 6902 JSON Patch with the outcome and reason.",
)
@click.option("--debug", is_flag=True, hidden=True)
def whatif_command(
    evidence: str,
    judgement: str,
    item: int | None,
    target: str | None,
    rules: tuple[str, ...],
    framework: str | None,
    as_of: datetime.date | None,
    output_format: str,
    debug: bool,
) -> None:
    """Find the smallest changes that would move an outcome.

    The smallest changes to EVIDENCE that move JUDGEMENT up or down its scale. Tries
    every grade and member a field can take, booleans, removing optional fields and
    list items, adding absent ones, and numbers at the thresholds the rules compare
    against: single changes first, pairs where none will do. Each answer is a JSON Patch
    of the evidence, with the outcome and reason the rules then give. Exit status: 0 a
    change was found for every target; 1 some target is out of reach, or the evidence is
    invalid; 2 wrong usage.
    """

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        read = read_evidence_file(Path(evidence), evidence)  # a regular file only, never past the size limit
        if read.data is None:
            raise click.BadParameter(f"cannot read {evidence}: {read.error}", param_hint="EVIDENCE")
        data, problems = parse_json(read.data, evidence)
        if problems or not isinstance(data, dict):
            for problem in problems:
                click.echo(render_problem_text(problem), err=True)  # evidence text, control characters escaped
            if not problems:
                click.echo(f"{evidence}: the evidence must be a JSON object", err=True)
            return EXIT_INPUT
        base = rule_set.evaluate(data, as_of, framework=framework, source=evidence)
        if base.status != "evaluated":  # nothing to change: say why, as framework-check would
            for problem in base.problems:
                click.echo(render_problem_text(problem), err=True)
            why = base.status.replace("_", " ") + (f": {base.note}" if base.note else "")
            click.echo(f"{evidence}: {why}; whatif needs evidence the rules evaluate", err=True)
            return EXIT_INPUT
        try:
            answer = what_if(rule_set, data, judgement, item=item, target=target, as_of=as_of, framework=framework)
        except WhatIfError as error:
            raise click.UsageError(str(error)) from None
        if output_format == "json":
            click.echo(canonical_json.dumps(answer.to_dict(), indent=2))
        else:
            click.echo(render_whatif_text(answer), nl=False)
        return EXIT_INPUT if answer.unreachable else EXIT_OK

    sys.exit(guard(debug, run))


def render_whatif_text(answer: WhatIf) -> str:
    """The outcome now, then per target the smallest changes (a few), or why none was found."""
    name = answer.judgement if answer.item is None else f"{answer.judgement}[{answer.item}]"
    now = answer.outcome if answer.outcome is not None else answer.status
    lines = [f"{name} is {printable(str(now))}"]
    for target in answer.targets:
        found = answer.suggestions.get(target, ())
        if not found:
            lines.append(f"\nto {target}: {answer.unreachable.get(target, 'no change found')}")
            continue
        lines.append(f"\nto {target}: {len(found)} found, smallest first")
        for suggestion in found[:SHOWN_PER_TARGET]:
            lines.append(f"  {printable(suggestion.describe())}")
            lines.append(f"    gives {target}: {printable(suggestion.reason or '-')} ({suggestion.rule})")
        if len(found) > SHOWN_PER_TARGET:
            lines.append(f"  ... and {len(found) - SHOWN_PER_TARGET} more (--format json lists them)")
    lines.append(f"\n({answer.evaluations} variants of the evidence evaluated)")
    return "\n".join(lines) + "\n"

"""`framework-dsl diff --before OLD --after NEW CORPUS`: whose outcomes change under new rules."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterator

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, parse_date_option, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.inputs import iter_inputs, iter_sources
from framework_dsl.regrade import DocumentChanges, RegradeSummary, regrade, regrade_parallel
from framework_dsl.reports.terminal import printable
from framework_dsl.ruleset import RuleSet, check_rules


@framework_dsl.command("diff")
@click.argument("corpus", nargs=-1, required=True, type=click.Path())
@click.option(
    "--before", "before", multiple=True, required=True, type=click.Path(), help="The rules as they are (repeatable)."
)
@click.option("--after", "after", multiple=True, required=True, type=click.Path(), help="The new rules (repeatable).")
@click.option("--framework", default=None, help="Use this framework whatever the evidence says.")
@click.option("--as-of", "as_of", callback=parse_date_option, help="Evaluation date, YYYY-MM-DD, for every document.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text: each change with both reasons, then counts; jsonl: one line per changed document, "
    "then a last line with the counts.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Re-grade with N processes; the output is the same, in the same order.",
)
@click.option("--debug", is_flag=True, hidden=True)
def diff_command(
    corpus: tuple[str, ...],
    before: tuple[str, ...],
    after: tuple[str, ...],
    framework: str | None,
    as_of: datetime.date | None,
    output_format: str,
    jobs: int,
    debug: bool,
) -> None:
    """Re-grade a corpus of evidence under two versions of the rules.

    CORPUS is evidence files, folders and .jsonl files (`-` for standard input), read one
    document at a time. Every decision whose outcome or status differs is shown with the
    reason and the rule under each version; the counts by decision and outcome follow.
    A document neither version evaluates (unreadable, invalid or not in force under both)
    is named on standard error with its first problem, and counted apart. Exit status: 0
    no outcome changed and every document was compared; 1 some changed, or some document
    could not be compared; 2 either version of the rules does not check.
    """

    def run() -> int:
        rule_sets: list[RuleSet] = []
        for label, paths in (("--before", before), ("--after", after)):
            rule_set, diagnostics = check_rules(*paths)
            if rule_set is None:
                click.echo(f"the rules of {label} do not check:", err=True)
                report_rule_errors(diagnostics)
                return EXIT_RULES
            rule_sets.append(rule_set)
        summary = RegradeSummary()
        compared: Iterator[DocumentChanges]
        if jobs > 1:
            compared = regrade_parallel(
                rule_sets[0],
                rule_sets[1],
                (before, after),
                iter_sources(corpus, sys.stdin.buffer),
                jobs=jobs,
                as_of=as_of,
                framework=framework,
            )
        else:
            compared = regrade(
                rule_sets[0], rule_sets[1], iter_inputs(corpus, sys.stdin.buffer), as_of=as_of, framework=framework
            )
        for document in compared:
            summary.add(document)
            if not document.compared:
                status = document.status.replace("_", " ")
                click.echo(f"{printable(document.source)}: not compared, {status} under both versions", err=True)
                if document.problem:
                    click.echo(f"  {printable(document.problem)}", err=True)
            elif document.changes:
                if output_format == "jsonl":
                    click.echo(canonical_json.dumps(document.to_dict()))
                else:
                    click.echo(render_changes_text(document))
        if output_format == "jsonl":
            click.echo(canonical_json.dumps({"summary": summary.to_dict()}))
        else:
            click.echo(render_summary_text(summary, rule_sets[0].digest, rule_sets[1].digest), nl=False)
        return EXIT_INPUT if summary.changed_documents or summary.not_compared else EXIT_OK

    sys.exit(guard(debug, run))


def render_changes_text(document: DocumentChanges) -> str:
    """One document's changes: per decision both outcomes, then each side's reason and rule."""
    lines = [f"{printable(document.source)} ({document.framework or 'no framework'}):"]
    for change in document.changes:
        name = change.decision if change.item is None else f"{change.decision}[{change.item}]"
        lines.append(f"  {name}: {printable(change.before.shown())} -> {printable(change.after.shown())}")
        for label, side in (("before", change.before), ("after ", change.after)):
            where = f" ({side.rule})" if side.rule else ""
            lines.append(f"    {label}: {printable(side.reason or '-')}{where}")
    return "\n".join(lines)


def render_summary_text(summary: RegradeSummary, before: str, after: str) -> str:
    """The closing counts."""
    data = summary.to_dict()
    noun = "document" if data["documents"] == 1 else "documents"
    lines = [
        f"{data['documents']} {noun} re-graded (rules {before} -> {after}): "
        f"{data['changed']} changed, {data['unchanged']} unchanged"
        + "".join(
            f", {count} of them {status.replace('_', ' ')} under both (not compared)"
            for status, count in data["not_compared"].items()
        )
    ]
    for row in data["transitions"]:
        lines.append(f"  {row['framework']} {row['decision']}: {row['before']} -> {row['after']}: {row['count']}")
    return "\n".join(lines) + "\n"

"""`framework-dsl verify RULES`: every declared invariant and monotonicity checked over every evidence document."""

from __future__ import annotations

import sys
from typing import Any

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.reports.terminal import printable
from framework_dsl.verify import MAX_DOCUMENTS, PropertyResult, VerifyReport, count_text, verify


@framework_dsl.command("verify")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option("--framework", "frameworks", multiple=True, help="Verify only this framework (repeatable).")
@click.option(
    "--max-items",
    type=click.IntRange(0, 3),
    default=1,
    show_default=True,
    help="Lists and sets in the documents hold up to this many items.",
)
@click.option(
    "--max-documents",
    type=click.IntRange(1),
    default=MAX_DOCUMENTS,
    show_default=True,
    help="A property whose documents number more than this is reported as too large, not checked.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: for people; json: every property with its counts and counterexample, and the reachability findings.",
)
@click.option("--debug", is_flag=True, hidden=True)
def verify_command(
    rules: tuple[str, ...],
    frameworks: tuple[str, ...],
    max_items: int,
    max_documents: int,
    output_format: str,
    debug: bool,
) -> None:
    """Prove the declared invariants and monotonicity.

    RULES are files or folders (default: the bundled rules). Each `invariant` and
    `monotonic` declaration is checked over every document the schema allows for the
    fields its judgements read (every grade, member and boolean, optional fields present
    and absent, numbers at the thresholds the rules compare against, lists of up to
    --max-items items); a failure prints a counterexample, valid evidence that
    framework-check evaluates to the outcomes shown. Where the documents are too many, a
    decision they read is cut: it gives every outcome it can as evidence, and a
    counterexample is rebuilt into real evidence before it is shown. Also lists, for each
    judgement, the outcomes no such document produces and the clauses none reaches. Exit
    status: 0 every property holds; 1 some property fails, is too large to check or is not
    proved over a cut; 2 the rules do not check.
    """

    def run() -> int:
        from framework_dsl.linter import lint_rules

        rule_set, diagnostics = lint_rules(*rules, examples=False)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        unknown = [f for f in frameworks if f not in rule_set.frameworks]
        if unknown:
            raise click.BadParameter(f"no framework {', '.join(unknown)}", param_hint="--framework")
        report = verify(
            rule_set,
            frameworks=frameworks,
            max_items=max_items,
            max_documents=max_documents,
            lint=tuple(diagnostics),
        )
        if output_format == "json":
            click.echo(canonical_json.dumps(report.to_dict(), indent=2))
        else:
            click.echo(render_verify_text(report), nl=False)
        unproven = [p for f in report.frameworks for p in f.properties if p.status != "holds"]
        return EXIT_INPUT if unproven else EXIT_OK

    sys.exit(guard(debug, run))


def render_verify_text(report: VerifyReport) -> str:
    """Per framework each property's verdict (a counterexample for a failure), then what no document reaches."""
    lines: list[str] = []
    for framework in report.frameworks:
        held = sum(1 for p in framework.properties if p.status == "holds")
        total = len(framework.properties)
        lines.append(f"{framework.framework}: {held} of {total} propert{'y' if total == 1 else 'ies'} hold")
        for prop in framework.properties:
            lines.extend(_property_lines(prop))
        findings = [r for r in framework.reachability if r.never_outcomes or r.never_clauses]
        large = [r for r in framework.reachability if r.status == "too_large"]
        for found in [r for r in framework.reachability if r.searched]:
            lines.append(
                f"  reachability of {found.decision}: every outcome and clause reached, searching {found.searched:,} "
                f"of its {count_text(found.documents)} documents (lists of up to {found.max_items})"
            )
        for found in [r for r in framework.reachability if r.cut]:
            lines.append(
                f"  reachability of {found.decision} over {found.documents:,} documents (lists of up to "
                f"{found.max_items}), {_cut_text(found.cut)}"
            )
            for outcome in found.unconfirmed_outcomes:
                lines.append(f"  not decided: {found.decision} = {outcome} (given by the cut framework only)")
            for number, location in found.unconfirmed_clauses:
                where = f"clause {number} of {found.decision}, {location}"
                lines.append(f"  not decided: {where} (reached by the cut framework only)")
        for found in findings:
            over = f"over {found.documents:,} documents, lists of up to {found.max_items}"
            if found.cut:
                over += ", with cuts"
            for outcome in found.never_outcomes:
                also = "lint says so too" if outcome in found.lint_outcomes else "lint does not see this"
                lines.append(f"  never {found.decision} = {outcome} ({over}; {also})")
            for number, location in found.never_clauses:
                also = "lint says so too" if number in found.lint_clauses else "lint does not see this"
                lines.append(f"  never reached: clause {number} of {found.decision}, {location} ({over}; {also})")
        if large:
            names = ", ".join(f"{r.decision} ({count_text(r.documents)})" for r in large)
            lines.append(f"  not enumerated, too many documents: {names}")
        lines.append(f"  ({framework.evaluations:,} documents evaluated)")
        lines.append("")
    failed = report.failed
    lines.append(
        f"every document: each field the properties' judgements read takes every grade, member and boolean, "
        f"present and absent, numbers at each threshold and one step either side, lists of up to "
        f"{report.max_items} item{'' if report.max_items == 1 else 's'} (more, up to 3, where the documents stay "
        f"few); other fields keep one value"
    )
    if any(p.cut for f in report.frameworks for p in f.properties) or any(
        r.cut for f in report.frameworks for r in f.reachability
    ):
        lines.append(
            "with a cut: where the documents are too many, a decision they read gives its outcomes as evidence "
            "(every outcome of its type, or every one its own documents give), the rest evaluated as ever; a "
            "counterexample is rebuilt into a real document and evaluated again before it is shown"
        )
    lines.append(f"{len(failed)} propert{'y' if len(failed) == 1 else 'ies'} failed")
    return "\n".join(lines) + "\n"


def _property_lines(prop: PropertyResult) -> list[str]:
    verdict = {"holds": "holds", "fails": "FAILS", "too_large": "not checked", "unproved": "NOT PROVED"}[prop.status]
    lines = [f"  {verdict}: {prop.name} ({prop.location})"]
    if prop.status == "too_large":
        lines.append(f"    {prop.note}")
        return lines
    where = f"{prop.documents:,} documents (lists of up to {prop.max_items})"
    if prop.cut:
        where += ", " + _cut_text(prop.cut)
    if prop.kind == "invariant":
        lines.append(
            f"    {where}: {prop.compared:,} decided it, {prop.undecided:,} left it undetermined or not in force"
        )
    else:
        pairs = "pair" if prop.compared == 1 else "pairs"
        lines.append(f"    {where}, {prop.compared:,} {pairs} compared")
    if prop.status == "unproved":
        lines.append(f"    {prop.note}")
    example = prop.counterexample
    if example is None:
        return lines
    if prop.kind == "invariant":
        lines.append("    counterexample (evidence):")
        lines.extend(_indented(example["evidence"]))
        lines.append("    gives: " + _outcomes(example["outcomes"]))
    else:
        lines.append("    counterexample, before (evidence):")
        lines.extend(_indented(example["before"]["evidence"]))
        lines.append("    gives: " + _outcomes(example["before"]["outcomes"]))
        lines.append("    after the change " + printable(canonical_json.dumps(example["change"])) + ":")
        lines.append("    gives: " + _outcomes(example["after"]["outcomes"]))
    return lines


def _cut_text(cut: tuple[tuple[str, str], ...]) -> str:
    sources = {"documents": "every outcome its documents give", "type": "every outcome of its type"}
    return "cut: " + "; ".join(f"{name} given as evidence ({sources[source]})" for name, source in cut)


def _indented(data: Any) -> list[str]:
    return ["      " + printable(line) for line in canonical_json.dumps(data, indent=2).splitlines()]


def _outcomes(outcomes: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {printable(canonical_json.dumps(value))}" for name, value in outcomes.items())

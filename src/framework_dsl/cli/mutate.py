"""`framework-dsl test --mutants`: the mutation score of the examples, and every surviving mutant."""

from __future__ import annotations

import sys

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_OK
from framework_dsl.mutants import MutationReport, run_mutants
from framework_dsl.ruleset import RuleSet


def mutation_run(
    rule_set: RuleSet, frameworks: list[str] | None, *, output_format: str, min_score: float | None
) -> int:
    """Run the mutants, print the report in `output_format`; the exit status."""
    terminal = sys.stderr.isatty()

    def progress(done: int) -> None:
        if terminal and done % 25 == 0:
            click.echo(f"\r{done} mutants run", err=True, nl=False)

    report = run_mutants(rule_set, frameworks, progress=progress)
    if terminal:
        click.echo("\r" + " " * 30 + "\r", err=True, nl=False)
    if output_format == "json":
        click.echo(canonical_json.dumps(report.to_dict(), indent=2))
    elif output_format == "junit":
        raise click.UsageError("--mutants reports as text or json, not junit")
    else:
        click.echo(render_mutation_text(report), nl=False)
    below = min_score is not None and report.score() < min_score
    if below:
        click.echo(f"mutation score {report.score():.1f}% is below the required {min_score:g}%", err=True)
    return 1 if below else EXIT_OK


# How the report names each part of an explanation a survivor changes (mutants.EXPLANATION_PARTS).
_PARTS_SHOWN = {
    "reason": "the reason",
    "clause": "the clause named",
    "reads": "the evidence read",
    "missing": "the evidence missing",
    "cite": "the citation",
}


def render_mutation_text(report: MutationReport) -> str:
    """Per framework its score, then the survivors grouped by file, in source order."""
    data = report.to_dict()
    lines = []
    for row in data["frameworks"]:
        lines.append(
            f"{row['framework']}: {row['killed']} of {row['mutants']} mutants killed ({row['score']:.1f}%) "
            f"by {row['examples']} examples"
        )
    lines.append(f"mutation score: {data['score']:.1f}%")
    survivors = data["survivors"]
    if survivors:
        noun = "mutant" if len(survivors) == 1 else "mutants"
        lines.append(f"\n{len(survivors)} surviving {noun} (no example noticed the change):")
        width = max(len(s["location"]) for s in survivors)
        for s in survivors:
            seen = ""
            if s["seen"] is not None:
                what = "an outcome no example asserts" if s["seen"] == "outcome" else "only an explanation"
                if s["explanation"]:
                    what += " (" + ", ".join(_PARTS_SHOWN[part] for part in s["explanation"]) + ")"
                count = len(s["seen_in"])
                seen = f"; changes {what}, in {count} example{'' if count == 1 else 's'}"
            lines.append(f"  {s['location']:<{width}}  {s['decision']}: {s['change']} ({s['kind']}{seen})")
    return "\n".join(lines) + "\n"

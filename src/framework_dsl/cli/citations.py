"""`framework-dsl citations [RULES]`: each registered source, part by part: who cites it, which examples test it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from framework_dsl import canonical_json
from framework_dsl.citations import RegistryError, Source, SourceReport, citation_report, load_registry
from framework_dsl.cli.common import EXIT_INPUT, EXIT_OK, EXIT_RULES, guard, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.examples import run_examples
from framework_dsl.resources import bundled_rules_root
from framework_dsl.ruleset import check_rules


@framework_dsl.command("citations")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: for people; json: every part with the rules citing it and the examples exercising them.",
)
@click.option("--debug", is_flag=True, hidden=True)
def citations_command(rules: tuple[str, ...], output_format: str, debug: bool) -> None:
    """List each cited paragraph with its rules and examples.

    For each paragraph of each registered source: the rules that cite it and the examples
    that exercise them. RULES are files or folders (default: the bundled rules); the registry is `sources.toml`
    in a rules root (docs/lints.md, `lint.unknown-citation`). Exit status: 0 every
    citation names a part its source has; 1 some does not; 2 the rules do not check or
    the registry cannot be read.
    """

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        roots = sorted({Path(p) if Path(p).is_dir() else Path(p).parent for p in rules}) or [bundled_rules_root()]
        sources: list[Source] = []
        try:
            for root in roots:
                sources.extend(load_registry(root))
        except RegistryError as error:
            click.echo(f"framework-dsl citations: {error}", err=True)
            return EXIT_RULES
        if not sources:
            click.echo(f"no sources.toml in {', '.join(str(r) for r in roots)}: no source is registered", err=True)
            return EXIT_OK
        fired: dict[str, list[tuple[str, str]]] = {}
        for outcome in run_examples(rule_set).outcomes:
            if outcome.result is None:
                continue
            for _, decision in outcome.result.all_decisions():
                for clause_id in decision.clause_ids:
                    fired.setdefault(clause_id, []).append((outcome.title, outcome.location))
        frameworks = [rule_set.frameworks[name] for name in sorted(rule_set.frameworks)]
        reports = citation_report(frameworks, tuple(sources), fired)
        if output_format == "json":
            click.echo(canonical_json.dumps([r.to_dict() for r in reports], indent=2))
        else:
            click.echo(render_citations_text(reports), nl=False)
        return EXIT_INPUT if any(r.unknown for r in reports) else EXIT_OK

    sys.exit(guard(debug, run))


def render_citations_text(reports: tuple[SourceReport, ...]) -> str:
    """Per source: a line per part (clauses and examples), the parts no rule cites, citations of missing parts."""
    lines: list[str] = []
    for report in reports:
        source = report.source
        cited = [p for p in report.parts if p.clauses]
        lines.append(f"{source.title} [{source.key}]: {len(cited)} of {len(report.parts)} {source.part}s cited")
        for part in cited:
            tested = f"{len(part.examples)} examples" if part.examples else "no example exercises them"
            lines.append(f"  {source.part} {part.part}: {len(part.clauses)} clauses, {tested}")
            for rule, decision in part.clauses:
                lines.append(f"    {rule}  {decision}")
            if part.examples:
                titles = [f'"{title}"' for title, _ in part.examples]
                more = f" and {len(titles) - 3} more" if len(titles) > 3 else ""
                lines.append(f"    exercised by {', '.join(titles[:3])}{more}")
        uncited = [p.part for p in report.parts if not p.clauses]
        if uncited:
            lines.append(f"  not cited: {', '.join(uncited)}")
        for unknown in report.unknown:
            lines.append(
                f"  {unknown.clause.location}: `{unknown.text}` names {source.part} {unknown.part}, "
                f"which the source does not have"
            )
        lines.append("")
    return "\n".join(lines)

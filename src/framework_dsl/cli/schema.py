"""`framework-dsl schema FRAMEWORK`: the JSON Schema of one framework's evidence."""

from __future__ import annotations

import sys

import click

from framework_dsl import canonical_json
from framework_dsl.cli.common import EXIT_OK, EXIT_RULES, guard, limit_options, limits_of, report_rule_errors
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.json_schema import evidence_schema
from framework_dsl.ruleset import check_rules


@framework_dsl.command("schema")
@click.argument("framework")
@click.option("--rules", "rules", multiple=True, type=click.Path(), help="Rule file or folder (default: bundled).")
@limit_options(stated=True)
@click.option("--debug", is_flag=True, hidden=True)
def schema_command(
    framework: str,
    rules: tuple[str, ...],
    max_bytes: int,
    max_depth: int,
    max_items: int,
    max_text: int,
    debug: bool,
) -> None:
    """Print the JSON Schema of a framework's evidence.

    The schema (draft 2020-12) of FRAMEWORK's evidence documents, for the systems that
    produce evidence to validate against before sending it. It states the limits the
    engine applies (`maxLength`, `maxItems`, and in its description the size and depth);
    give the --max-* options a deployment runs with (`framework-dsl serve` defaults to
    --max-bytes 1048576) to state those.
    """
    limits = limits_of(max_bytes, max_depth, max_items, max_text)

    def run() -> int:
        rule_set, diagnostics = check_rules(*rules)
        if rule_set is None:
            report_rule_errors(diagnostics)
            return EXIT_RULES
        if framework not in rule_set.frameworks:
            known = sorted(rule_set.frameworks)
            hint = did_you_mean(framework, known)
            listing = ", ".join(known) or "none"
            raise click.BadParameter(
                f"the rules define no framework `{framework}`"
                + (f"; {hint}" if hint else f" (they define: {listing})"),
                param_hint="FRAMEWORK",
            )
        click.echo(canonical_json.dumps(evidence_schema(rule_set.frameworks[framework], limits), indent=2))
        return EXIT_OK

    sys.exit(guard(debug, run))

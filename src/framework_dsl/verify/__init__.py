"""Proofs over a framework: its declared properties checked over every evidence document.

`verify(rule_set)` takes each framework's `invariant` and `monotonic` declarations and
checks them over every evidence document of a bounded space the schema allows, and
reports, for each judgement and check, the outcomes no document in its space produces
and the clauses no document reaches. "Every document" means, for the fields the
property's judgements read (and only those: every other field keeps one fixed value):

- every grade or member of a field (members of an enumeration that no rule names are
  alike, and one stands for them all), both booleans, an optional field present and absent,
  every key of a map present (with each value) and absent;
- for a number, each threshold the framework compares numbers against, one step either
  side of it (so one value in each interval), and the bounds of its range;
- for a date, each date the framework compares against and one day either side; the
  date the framework is dated by takes one date in each period in which the same rules
  are in force (dates outside the framework's own dates are not varied: nothing is in
  force there);
- for text, the texts and provisions the framework names, and one other;
- lists and sets of up to `max_items` items (1 unless asked), each item any of the
  above.

Each document is evaluated once by the compiled engine through `RuleSet.evaluate`; an
invariant is evaluated as a check added to the framework (`failed when GUARD and not
CONDITION`), so it has exactly the engine's meaning, unknowns included. A monotonic
declaration compares the judgement's outcome on pairs of documents of the space that
differ only in the input (one moved up its scale, a number raised to a larger candidate,
a list with one item more). A counterexample is a document of the space, valid evidence
that `framework-check` evaluates to the same outcomes.

A space too large to enumerate is checked over a cut framework (`framework_dsl.verify.cuts`): one
decision it reads gives its outcomes as evidence, every outcome the decision's own
documents give (or, when those are too many, every outcome of its type), and the rest is
enumerated as above. That is exact in one direction (what holds there holds for every real
document); a counterexample found there is rebuilt into a real document and evaluated
again, and shown only when it breaks the property too (otherwise the property is
"unproved"). Reachability over a cut reports as never reached only what no cut document
reaches, and as not decided what only cut documents reach.
"""

from __future__ import annotations

import attrs

from framework_dsl.diagnostics import Diagnostic
from framework_dsl.ruleset import RuleSet
from framework_dsl.verify.limits import MAX_DOCUMENTS
from framework_dsl.verify.results import FrameworkReport, PropertyResult, Reachability, VerifyReport, count_text
from framework_dsl.verify.verifier import Verifier

__all__ = [
    "MAX_DOCUMENTS",
    "FrameworkReport",
    "PropertyResult",
    "Reachability",
    "VerifyReport",
    "count_text",
    "verify",
]


def verify(
    rule_set: RuleSet,
    *,
    frameworks: tuple[str, ...] = (),
    max_items: int = 1,
    max_documents: int = MAX_DOCUMENTS,
    reachability: bool = True,
    lint: tuple[Diagnostic, ...] = (),
) -> VerifyReport:
    """Check every declared property of the rule set's frameworks (or of `frameworks`).

    Args:
        rule_set: checked rules.
        frameworks: the frameworks to verify; all when empty.
        max_items: lists and sets hold up to this many items.
        max_documents: a space larger than this is reported as too large, not enumerated.
        reachability: also report outcomes and clauses no document produces or reaches.
        lint: the linter's diagnostics for the same rules, to say which findings it makes too.
    """
    names = frameworks or tuple(sorted(rule_set.frameworks))
    reports = []
    for name in names:
        worker = Verifier(rule_set, rule_set.frameworks[name], max_items, max_documents)
        properties, found = worker.run(reachability)
        found = tuple(_with_lint(r, lint) for r in found)
        reports.append(
            FrameworkReport(framework=name, properties=properties, reachability=found, evaluations=worker.evaluations)
        )
    return VerifyReport(frameworks=tuple(reports), max_items=max_items)


def _with_lint(found: Reachability, lint: tuple[Diagnostic, ...]) -> Reachability:
    outcomes = {
        o
        for d in lint
        if d.code == "lint.unproducible-grade" and d.message.startswith(f"`{found.decision}` ")
        for o in found.never_outcomes
        if f"`{o}`" in d.message
    }
    where = {f"{d.span.source.path}:{d.span.line}" for d in lint if d.code == "lint.unreachable-clause" and d.span}
    clauses = {n for n, location in found.never_clauses if location in where}
    return attrs.evolve(found, lint_outcomes=frozenset(outcomes), lint_clauses=frozenset(clauses))

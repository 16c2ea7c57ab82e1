"""Mutation testing of the examples: do they check anything?

`framework-dsl test --mutants` changes the checked rules one small step at a time (a
mutant), runs the framework's examples against each mutant, and counts a mutant
*killed* when at least one example fails on it. A mutant that survives is a change to
the rules that no example notices: a threshold that could be one higher, a clause
that could be dropped, an outcome that could be another grade. The mutation score is
killed ÷ all; the survivors, with their locations, say where to add examples.

Mutants are made on the checked program (`ir`), so every mutant is well typed and
runs on the same engine as the rules themselves. The kinds:

- `comparison`: `<` ↔ `<=`, `>` ↔ `>=`, `=` ↔ `!=`, `in` ↔ `not in` (grades too);
- `threshold`: a number compared against moves one step (a whole number by 1, a
  decimal by one unit of its last digit: `0.5` to `0.4` and `0.6`); a grade or
  member compared against moves to its neighbours on the scale;
- `logic`: `and` ↔ `or`;
- `negate`: a clause's condition becomes `not (...)`;
- `drop`: a clause with a condition is removed;
- `swap`: two neighbouring clauses with conditions change places;
- `outcome`: a clause's constant outcome becomes each neighbouring grade or member.

Some mutants are *equivalent*: they change the rules' text but no evidence could
tell them apart from the original (dropping a clause that a later one repeats, say).
No example can kill those; the report lists them among the survivors for a person
to judge.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.examples import ExampleOutcome, run_examples
from framework_dsl.result import Decision
from framework_dsl.ruleset import RuleSet
from framework_dsl.semantics.operators import Op
from framework_dsl.source import Span
from framework_dsl.typesystem import BOOLEAN, Choice, Symbol

__all__ = ["EXPLANATION_PARTS", "KINDS", "Mutant", "MutantOutcome", "MutationReport", "mutants_of", "run_mutants"]

KINDS = ("comparison", "threshold", "logic", "negate", "drop", "swap", "outcome")

# The parts of a decision's explanation a mutant can change with its outcome the same,
# in the order the report names them, with the expectation that asserts each.
EXPLANATION_PARTS = {
    "reason": 'expect NAME because "..."',
    "clause": "expect NAME decided by clause N / is undetermined at clause N",
    "reads": "expect NAME reads [...]",
    "missing": "expect NAME is undetermined missing [...]",
    "cite": "none: the citation follows the clause",
}

# A comparison and the one its mutant uses instead.
_COMPARISON_SWAPS = {
    Op.LT: Op.LE,
    Op.LE: Op.LT,
    Op.GT: Op.GE,
    Op.GE: Op.GT,
    Op.EQ: Op.NE,
    Op.NE: Op.EQ,
    Op.GRADE_LT: Op.GRADE_LE,
    Op.GRADE_LE: Op.GRADE_LT,
    Op.GRADE_GT: Op.GRADE_GE,
    Op.GRADE_GE: Op.GRADE_GT,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
}
_COMPARISONS = frozenset(_COMPARISON_SWAPS) | {Op.AT_MOST, Op.AT_LEAST}
# How operators read in a mutant's description.
_SHOWN = {
    Op.LT: "<",
    Op.LE: "<=",
    Op.GT: ">",
    Op.GE: ">=",
    Op.EQ: "=",
    Op.NE: "!=",
    Op.GRADE_LT: "worse than",
    Op.GRADE_LE: "at most",
    Op.GRADE_GT: "better than",
    Op.GRADE_GE: "at least",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.AND: "and",
    Op.OR: "or",
}


@attrs.frozen(kw_only=True)
class Mutant:
    """One small change to one framework's checked rules."""

    framework: str
    decision: str  # the judgement, check or definition it changes
    kind: str  # one of KINDS
    description: str  # what changed, e.g. "`>=` became `>`"
    location: str  # path:line:column of what changed
    rules: ir.Framework = attrs.field(eq=False, repr=False)  # the mutated framework


@attrs.frozen(kw_only=True)
class MutantOutcome:
    """A mutant and what the examples made of it."""

    mutant: Mutant
    killed_by: tuple[str, ...]  # titles of the examples that failed on the mutant
    # For a survivor, what its examples' results show of the change: "outcome" (some
    # decision an example does not assert changed), "explanation" (only what the results
    # say about why: a reason, the clause named, the evidence read or missing) or None
    # (no example's result changed at all); and in which examples.
    seen: str | None = None
    seen_in: tuple[str, ...] = ()
    # For "explanation": which parts of it changed, of EXPLANATION_PARTS, each one an
    # example can assert (`because`, `decided by clause`, `reads`, `missing`) but "cite".
    explanation: tuple[str, ...] = ()

    @property
    def killed(self) -> bool:
        """At least one example noticed the change."""
        return bool(self.killed_by)


@attrs.frozen(kw_only=True)
class MutationReport:
    """Every mutant of the frameworks tested, killed or surviving."""

    outcomes: tuple[MutantOutcome, ...]
    examples: dict[str, int]  # framework -> how many examples it has

    @property
    def survivors(self) -> tuple[MutantOutcome, ...]:
        """Mutants no example noticed."""
        return tuple(o for o in self.outcomes if not o.killed)

    def score(self, framework: str | None = None) -> float:
        """Killed mutants as a percentage of all (of one framework, or of all); 100 when there are none."""
        chosen = [o for o in self.outcomes if framework is None or o.mutant.framework == framework]
        if not chosen:
            return 100.0
        return 100.0 * sum(o.killed for o in chosen) / len(chosen)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON data: per framework its score and counts, then every survivor."""
        frameworks = sorted({o.mutant.framework for o in self.outcomes} | set(self.examples))
        return {
            "frameworks": [
                {
                    "framework": name,
                    "examples": self.examples.get(name, 0),
                    "mutants": sum(o.mutant.framework == name for o in self.outcomes),
                    "killed": sum(o.mutant.framework == name and o.killed for o in self.outcomes),
                    "score": round(self.score(name), 1),
                }
                for name in frameworks
            ],
            "score": round(self.score(), 1),
            "survivors": [
                {
                    "framework": o.mutant.framework,
                    "decision": o.mutant.decision,
                    "kind": o.mutant.kind,
                    "change": o.mutant.description,
                    "location": o.mutant.location,
                    "seen": o.seen,
                    "seen_in": list(o.seen_in),
                    "explanation": list(o.explanation),
                }
                for o in self.survivors
            ],
        }


def run_mutants(
    rule_set: RuleSet,
    frameworks: list[str] | None = None,
    *,
    kinds: tuple[str, ...] = KINDS,
    progress: Callable[[int], None] | None = None,
) -> MutationReport:
    """Make every mutant of the named frameworks (default: all with examples) and run their examples on each.

    The examples must pass on the rules as they are (a failing example would "kill"
    every mutant); `progress`, if given, is called with the number of mutants done.
    """
    names = frameworks or sorted(name for name, f in rule_set.frameworks.items() if f.examples)
    outcomes: list[MutantOutcome] = []
    done = 0
    for name in names:
        original = run_examples(rule_set, [name], engine="reference").outcomes
        for mutant in mutants_of(rule_set.frameworks[name], kinds=kinds):
            mutated = RuleSet(
                frameworks={**rule_set.frameworks, name: mutant.rules},
                digest=f"{rule_set.digest}~mutant",
                clock=rule_set.clock,
            )
            report = run_examples(mutated, [name], engine="reference")
            killed_by = tuple(o.title for o in report.failed)
            seen: str | None = None
            seen_in: tuple[str, ...] = ()
            explanation: tuple[str, ...] = ()
            if not killed_by:
                seen, seen_in, explanation = _seen(original, report.outcomes)
            outcomes.append(
                MutantOutcome(mutant=mutant, killed_by=killed_by, seen=seen, seen_in=seen_in, explanation=explanation)
            )
            done += 1
            if progress is not None:
                progress(done)
    return MutationReport(
        outcomes=tuple(outcomes), examples={name: len(rule_set.frameworks[name].examples) for name in names}
    )


def _seen(
    original: tuple[ExampleOutcome, ...], mutated: tuple[ExampleOutcome, ...]
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """What a surviving mutant changed in its examples' results: outcomes not asserted, else only explanations.

    Returns (what, the examples it shows in, for an explanation the parts that changed).
    A survivor passes every expectation, so a changed outcome is one of a decision the
    example does not assert (add the `expect` and the mutant dies). A changed explanation
    (the reason, the clause named, the evidence read or missing, as the result JSON shows
    them) is one no example asserts: an `expect NAME because`, `decided by clause`,
    `is undetermined at clause`, `reads` or `is undetermined missing` in one of those
    examples would fail on the mutant, and so kill it, like any other expectation. The
    mutant is not counted as killed by comparing the results here: the score is what
    the examples check.
    """
    outcome_in: list[str] = []
    explanation_in: list[str] = []
    parts: set[str] = set()
    for before, after in zip(original, mutated, strict=True):
        if before.result is None or after.result is None:
            continue
        pairs = list(zip(before.result.all_decisions(), after.result.all_decisions(), strict=True))
        if any((a.status, a.item, a.outcome) != (b.status, b.item, b.outcome) for (_, a), (_, b) in pairs):
            outcome_in.append(before.title)
        elif any(a.to_dict() != b.to_dict() for (_, a), (_, b) in pairs):
            explanation_in.append(before.title)
            for (_, a), (_, b) in pairs:
                parts.update(_explanation_changes(a, b))
    if outcome_in:
        return "outcome", tuple(outcome_in), ()
    if explanation_in:
        return "explanation", tuple(explanation_in), tuple(p for p in EXPLANATION_PARTS if p in parts)
    return None, (), ()


def _explanation_changes(before: Decision, after: Decision) -> Iterator[str]:
    """The parts of a decision's explanation that differ between two results with the same outcome."""
    if before.reason != after.reason:
        yield "reason"
    if before.rule != after.rule:
        yield "clause"
    if before.inputs != after.inputs:
        yield "reads"
    if before.missing != after.missing:
        yield "missing"
    if before.cite != after.cite:
        yield "cite"


def mutants_of(framework: ir.Framework, *, kinds: tuple[str, ...] = KINDS) -> Iterator[Mutant]:
    """Every mutant of `framework`, in the order of its definitions, then its judgements and checks."""
    wanted = frozenset(kinds)

    def mutant(decision: str, kind: str, description: str, span: Span, rules: ir.Framework) -> Mutant:
        return Mutant(
            framework=framework.name,
            decision=decision,
            kind=kind,
            description=description,
            location=span.location,
            rules=rules,
        )

    used = _used_definitions(framework)
    for key, definition in framework.definitions.items():
        if key not in used:  # a definition of another framework in the same program
            continue
        for kind, description, span, value in _expression_mutants(definition.value):
            if kind in wanted:
                changed = attrs.evolve(definition, value=value)
                rules = attrs.evolve(framework, definitions={**framework.definitions, key: changed})
                yield mutant(definition.name, kind, description, span, rules)

    for group in ("judgements", "checks"):
        decisions: tuple[ir.Judgement, ...] = getattr(framework, group)
        for position, judgement in enumerate(decisions):
            for at, let in enumerate(judgement.lets):  # `let pct = ...`: mutated like a definition
                for kind, description, span, value in _expression_mutants(let.value):
                    if kind in wanted:
                        lets = (*judgement.lets[:at], attrs.evolve(let, value=value), *judgement.lets[at + 1 :])
                        with_let = attrs.evolve(judgement, lets=lets)
                        replaced_lets = (*decisions[:position], with_let, *decisions[position + 1 :])
                        rules = (
                            attrs.evolve(framework, judgements=replaced_lets)
                            if group == "judgements"
                            else attrs.evolve(framework, checks=replaced_lets)
                        )
                        yield mutant(judgement.name, kind, description, span, rules)
            for kind, description, span, clauses in _clause_mutants(judgement.clauses):
                if kind in wanted:
                    renumbered = tuple(attrs.evolve(c, index=i) for i, c in enumerate(clauses))
                    replaced = (
                        *decisions[:position],
                        attrs.evolve(judgement, clauses=renumbered),
                        *decisions[position + 1 :],
                    )
                    rules = (
                        attrs.evolve(framework, judgements=replaced)
                        if group == "judgements"
                        else attrs.evolve(framework, checks=replaced)
                    )
                    yield mutant(judgement.name, kind, description, span, rules)


def _clause_mutants(clauses: tuple[ir.Clause, ...]) -> Iterator[tuple[str, str, Span, tuple[ir.Clause, ...]]]:
    """(kind, description, where, the clauses changed) for each mutant of one decision's clauses."""
    conditional = [i for i, c in enumerate(clauses) if c.condition is not None]
    for i, clause in enumerate(clauses):
        others = (clauses[:i], clauses[i + 1 :])
        if clause.condition is not None:
            for kind, description, span, condition in _expression_mutants(clause.condition):
                yield kind, description, span, (*others[0], attrs.evolve(clause, condition=condition), *others[1])
            negated = ir.Unary(op=Op.NOT, operand=clause.condition, type=BOOLEAN, span=clause.condition.span)
            yield (
                "negate",
                f"the condition of clause {i + 1} became `not (...)`",
                clause.condition.span,
                (*others[0], attrs.evolve(clause, condition=negated), *others[1]),
            )
            if len(clauses) > 1:
                yield "drop", f"clause {i + 1} was dropped", clause.span, (*others[0], *others[1])
        if isinstance(clause.outcome, ir.Const):
            for neighbour in _neighbours(clause.outcome):
                outcome = attrs.evolve(clause.outcome, value=neighbour.value)
                yield (
                    "outcome",
                    f"the outcome of clause {i + 1} became `{_show(neighbour.value)}`",
                    clause.outcome.span,
                    (*others[0], attrs.evolve(clause, outcome=outcome), *others[1]),
                )
        elif isinstance(clause.outcome, ir.Binary | ir.Unary):
            for kind, description, span, outcome_expr in _expression_mutants(clause.outcome):
                yield kind, description, span, (*others[0], attrs.evolve(clause, outcome=outcome_expr), *others[1])
    for first, second in itertools.pairwise(conditional):
        if second == first + 1 and not _exclusive(clauses[first].condition, clauses[second].condition):
            swapped = (*clauses[:first], clauses[second], clauses[first], *clauses[second + 1 :])
            yield "swap", f"clauses {first + 1} and {second + 1} changed places", clauses[second].span, swapped


def _expression_mutants(expr: ir.Expr) -> Iterator[tuple[str, str, Span, ir.Expr]]:
    """(kind, description, where, the expression changed) for each mutant inside `expr`."""
    match expr:
        case ir.Binary(op=op, left=left, right=right):
            swap = _COMPARISON_SWAPS.get(op)
            if swap is not None:
                yield "comparison", f"`{_SHOWN[op]}` became `{_SHOWN[swap]}`", expr.span, attrs.evolve(expr, op=swap)
            elif op in (Op.AND, Op.OR):
                other = Op.OR if op is Op.AND else Op.AND
                yield "logic", f"`{_SHOWN[op]}` became `{_SHOWN[other]}`", expr.span, attrs.evolve(expr, op=other)
            if op in _COMPARISONS:
                for operand in (left, right):
                    if isinstance(operand, ir.Const):
                        for moved in _neighbours(operand):
                            description = f"`{_show(operand.value)}` became `{_show(moved.value)}`"
                            changed = (
                                attrs.evolve(expr, left=moved) if operand is left else attrs.evolve(expr, right=moved)
                            )
                            yield "threshold", description, operand.span, changed
            for kind, description, span, inner in _expression_mutants(left):
                yield kind, description, span, attrs.evolve(expr, left=inner)
            for kind, description, span, inner in _expression_mutants(right):
                yield kind, description, span, attrs.evolve(expr, right=inner)
        case ir.Unary(operand=operand):
            for kind, description, span, inner in _expression_mutants(operand):
                yield kind, description, span, attrs.evolve(expr, operand=inner)
        case ir.Quantifier(source=source, condition=condition):
            for kind, description, span, inner in _expression_mutants(source):
                yield kind, description, span, attrs.evolve(expr, source=inner)
            for kind, description, span, inner in _expression_mutants(condition):
                yield kind, description, span, attrs.evolve(expr, condition=inner)
        case ir.Ternary(op=Op.BETWEEN, first=first, second=second, third=third):
            for bound, label in ((second, "lower"), (third, "upper")):
                if isinstance(bound, ir.Const):
                    for moved in _neighbours(bound):
                        description = f"the {label} bound `{_show(bound.value)}` became `{_show(moved.value)}`"
                        moved_expr = (
                            attrs.evolve(expr, second=moved) if label == "lower" else attrs.evolve(expr, third=moved)
                        )
                        yield "threshold", description, bound.span, moved_expr
            for kind, description, span, inner in _expression_mutants(first):
                yield kind, description, span, attrs.evolve(expr, first=inner)
        case ir.Comprehension(condition=condition) if condition is not None:
            for kind, description, span, inner in _expression_mutants(condition):
                yield kind, description, span, attrs.evolve(expr, condition=inner)
        case _:
            # Constants on their own, references and list literals: a constant is moved
            # only where it is compared against (a threshold), above.
            return


def _exclusive(one: ir.Expr | None, other: ir.Expr | None) -> bool:
    """Whether two conditions can never both hold, so that swapping their clauses changes nothing.

    Only plain cases are recognised, between a conjunct of each: the same expression
    allowed disjoint constant values (`b.enforcement = warning_notice` and
    `b.enforcement = condition`; `b.regulation = "20"` and `b.regulation in ["9", "10"]`),
    or tested `is present` in one and `is missing` in the other.
    """
    if one is None or other is None:
        return False
    for mine in _conjuncts(one):
        for theirs in _conjuncts(other):
            mine_values, theirs_values = _allowed(mine), _allowed(theirs)
            if (
                mine_values is not None
                and theirs_values is not None
                and mine_values[0] == theirs_values[0]
                and not any(value in theirs_values[1] for value in mine_values[1])
            ):
                return True
            if (
                isinstance(mine, ir.Unary)
                and isinstance(theirs, ir.Unary)
                and {mine.op, theirs.op} == {Op.IS_PRESENT, Op.IS_MISSING}
                and mine.operand == theirs.operand
            ):
                return True
    return False


def _allowed(condition: ir.Expr) -> tuple[ir.Expr, tuple[Any, ...]] | None:
    """`x = c` or `x in [c, d]` with constants: (x, the values it allows); None otherwise."""
    if not isinstance(condition, ir.Binary) or not isinstance(condition.right, ir.Const):
        return None
    if condition.op is Op.EQ:
        return condition.left, (condition.right.value,)
    if condition.op is Op.IN and isinstance(condition.right.value, tuple | list):
        return condition.left, tuple(condition.right.value)
    return None


def _conjuncts(condition: ir.Expr) -> Iterator[ir.Expr]:
    if isinstance(condition, ir.Binary) and condition.op is Op.AND:
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


def _used_definitions(framework: ir.Framework) -> set[str]:
    """The keys of the definitions the framework's decisions use, directly or through other definitions."""
    used: set[str] = set()
    pending: list[Any] = [*framework.judgements, *framework.checks]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.DefinitionRef):
            if node.key not in used and node.key in framework.definitions:
                used.add(node.key)
                pending.append(framework.definitions[node.key])
        elif isinstance(node, tuple | list):
            pending.extend(node)
        elif attrs.has(type(node)) and not isinstance(node, Span):
            pending.extend(getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type"))
    return used


def _neighbours(const: ir.Const) -> Iterator[ir.Const]:
    """The constants one step either side of `const`.

    Numbers move by one unit of their last digit, symbols to their neighbours on their scale.
    """
    value = const.value
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        steps: list[Any] = [value - 1, value + 1]
    elif isinstance(value, decimal.Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        unit = decimal.Decimal(1).scaleb(min(exponent, 0))
        steps = [value - unit, value + unit]
    elif isinstance(value, Symbol) and isinstance(const.type, Choice):
        members = next((s.members for s in const.type.sets if value in s.members), ())
        at = members.index(value) if value in members else -1
        steps = [members[j] for j in (at - 1, at + 1) if at >= 0 and 0 <= j < len(members)]
    else:
        return
    for step in steps:
        yield attrs.evolve(const, value=step)


def _show(value: Any) -> str:
    return value.name if isinstance(value, Symbol) else str(value)

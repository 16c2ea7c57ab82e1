"""First match, checked: clauses that can never be chosen, and judgements that can fall through every clause."""

from __future__ import annotations

from typing import Any

from framework_dsl import ir, nodes
from framework_dsl.checker.scope import Context, DecisionEntity
from framework_dsl.diagnostics import Label
from framework_dsl.semantics.operators import Op
from framework_dsl.typesystem import Choice, Symbol


def check_clause_order(
    ctx: Context, entity: DecisionEntity, clauses: tuple[nodes.Clause, ...], built: list[ir.Clause]
) -> None:
    if entity.collect:
        return  # every matching clause of a collect fires: none is shadowed by another
    # Conditions seen so far, by value: IR nodes are frozen and hash by content (spans
    # aside), so finding a repeat costs one lookup, not a scan of every earlier clause.
    seen_conditions: dict[ir.Expr, nodes.Clause] = {}
    covered: dict[Any, set[str]] = {}
    always: nodes.Clause | None = None
    for clause, checked in zip(clauses, built, strict=True):
        if always is not None:
            ctx.error(
                "judgement.unreachable-clause",
                "this clause can never be chosen",
                clause.span,
                f"the clause on line {always.span.line} always applies, so no clause after it is tried",
                labels=(Label(always.span, "this clause always applies"),),
            )
            continue
        if checked.in_force is not None:
            continue  # a dated clause is skipped outside its dates: it covers nothing after it
        condition = checked.condition
        if condition is None or (isinstance(condition, ir.Const) and condition.value is True):
            always = clause
            continue
        repeat = seen_conditions.get(condition)
        if repeat is not None:
            ctx.error(
                "judgement.unreachable-clause",
                "this clause repeats an earlier condition, so it can never be chosen",
                clause.span,
                f"the clause on line {repeat.span.line} has the same condition and is tried first",
                labels=(Label(repeat.span, "same condition"),),
            )
            continue
        seen_conditions.setdefault(condition, clause)
        case = case_analysis(condition)
        if case is not None:
            subject, members = case
            already = covered.setdefault(subject, set())
            if members <= already:
                ctx.error(
                    "judgement.unreachable-clause",
                    "earlier clauses already cover every case of this clause",
                    clause.span,
                    "remove it, or move it above the clauses that cover "
                    + ", ".join(f"`{m}`" for m in sorted(members)),
                )
            already.update(members)
    if always is not None:
        return
    for subject, names in covered.items():
        subject_type = subject.type
        if isinstance(subject_type, Choice) and {m.name for m in subject_type.members} <= names:
            return
    missing_hint = 'add `otherwise OUTCOME because "..."` as the last clause'
    for subject, names in covered.items():
        subject_type = subject.type
        if isinstance(subject_type, Choice):
            left = [m.name for m in subject_type.members if m.name not in names]
            missing_hint = (
                f"no clause covers {', '.join(f'`{m}`' for m in left)}; add clauses for them or " + missing_hint
            )
            break
    ctx.error(
        "judgement.not-exhaustive",
        f"`{entity.decl.name.text}` has no `otherwise` clause and every condition may be false",
        entity.decl.name.span,
        missing_hint,
    )


def case_analysis(condition: ir.Expr) -> tuple[ir.Expr, frozenset[str]] | None:
    """`S = m`, `S in [m1, m2]` and `or`s of them: (S, members covered), else None."""
    if isinstance(condition, ir.Binary):
        if condition.op is Op.EQ:
            for subject, other in ((condition.left, condition.right), (condition.right, condition.left)):
                if (
                    isinstance(other, ir.Const)
                    and isinstance(other.value, Symbol)
                    and not isinstance(subject, ir.Const)
                ):
                    return subject, frozenset({other.value.name})
        if condition.op is Op.IN and isinstance(condition.right, ir.Const):
            values = condition.right.value
            if isinstance(values, tuple) and all(isinstance(v, Symbol) for v in values):
                return condition.left, frozenset(v.name for v in values)
        if condition.op is Op.OR:
            left = case_analysis(condition.left)
            right = case_analysis(condition.right)
            if left is not None and right is not None and left[0] == right[0]:
                return left[0], left[1] | right[1]
    return None

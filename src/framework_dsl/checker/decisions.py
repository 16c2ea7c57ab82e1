"""Judgements, checks and examples -> IR: typed clauses with stable ids and locations, checked expectations."""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

from framework_dsl import ir, nodes
from framework_dsl.checker import dating
from framework_dsl.checker.exhaustiveness import check_clause_order
from framework_dsl.checker.expressions import ExpressionChecker
from framework_dsl.checker.scope import (
    RESULT_STATUSES,
    Context,
    DecisionEntity,
    Env,
    FileScope,
    LocalName,
    expr_span,
    listing,
)
from framework_dsl.diagnostics import Label, did_you_mean
from framework_dsl.typesystem import (
    BOOLEAN,
    ERROR,
    AnyType,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Type,
    assignable,
    element_type,
)


class DecisionChecker:
    """Checks the decisions and examples of a file, with the expressions they are made of."""

    def __init__(self, ctx: Context, expressions: ExpressionChecker) -> None:
        self.ctx = ctx
        self.expressions = expressions

    def decision(self, scope: FileScope, entity: DecisionEntity) -> ir.Judgement:
        decl = entity.decl
        env = Env(scope, {}, entity.key)
        for_var = None
        for_source = None
        if decl.for_each is not None:
            for_source = self.expressions.expr(decl.for_each.source, env, None)
            item_type = element_type(for_source.type)
            if item_type is None:
                self.ctx.error(
                    "types.mismatch",
                    f"`for each` needs a list, but this is {for_source.type.display()}",
                    expr_span(decl.for_each.source),
                )
                item_type = ERROR
            for_var = decl.for_each.var.text
            env.locals[for_var] = item_type
            env.local_spans[for_var] = decl.for_each.var.span
            self.ctx.refer(decl.for_each.var.span, LocalName(for_var, item_type, decl.for_each.var.span))
            env.for_each = decl.for_each.source
        lets = [self._let(env, let) for let in decl.lets]
        clauses: list[ir.Clause] = []
        for index, clause in enumerate(decl.clauses):
            clauses.append(self._clause(env, entity, clause, index))
        check_clause_order(self.ctx, entity, decl.clauses, clauses)
        return ir.Judgement(
            key=entity.key,
            name=decl.name.text,
            kind="check" if isinstance(decl, nodes.CheckDecl) else "judgement",
            for_each_var=for_var,
            for_each_source=for_source,
            type=entity.outcome_type,
            collect=entity.collect,
            clauses=tuple(clauses),
            in_force=dating.in_force(self.ctx, decl.in_force, f"`{decl.name.text}`"),
            lets=tuple(let for let in lets if let is not None),
            span=decl.name.span,
        )

    def _let(self, env: Env, let: nodes.LetBinding) -> ir.Let | None:
        """`let name = value`: typed in the decision's scope so far; a name already taken is an error."""
        name = let.name.text
        taken = env.scope.names.get(name) or env.scope.types.get(name)
        if name in env.locals or name in env.lets or taken is not None:
            what = (
                "the loop variable"
                if name in env.locals
                else "a local value of this decision"
                if name in env.lets
                else "a field, definition, judgement or declaration in scope"
            )
            span = getattr(taken, "span", None)
            self.ctx.error(
                "names.shadowed",
                f"`{name}` is already {what}, so a local value cannot take its name",
                let.name.span,
                "choose another name: a name means one thing throughout a decision",
                labels=(Label(span, "declared here"),) if span is not None else (),
            )
            self.expressions.expr(let.value, env, None)
            return None
        value = self.expressions.expr(let.value, env, None)
        env.lets[name] = value.type
        return ir.Let(
            name=name,
            value=value,
            type=value.type,
            location=f"{let.span.source.path}:{let.span.line}",
            span=let.name.span,
        )

    def _clause(self, env: Env, entity: DecisionEntity, clause: nodes.Clause, index: int) -> ir.Clause:
        expected = entity.outcome_type
        outcome = self.expressions.expr(clause.outcome, env, expected, outcome_of=entity)
        if not assignable(outcome.type, expected):
            self.ctx.error(
                "types.mismatch",
                f"`{entity.decl.name.text}` gives {expected.display()}, but this outcome is {outcome.type.display()}",
                expr_span(clause.outcome),
            )
        condition = None
        if isinstance(clause, nodes.WhenClause):
            condition = self.expressions.expr(clause.condition, env, BOOLEAN)
            self.expressions.expect(condition, BOOLEAN, clause.condition, "a condition")
        reason: list[str | ir.Expr] = []
        if clause.reason is not None:
            for part in clause.reason.parts:
                if isinstance(part, nodes.Interpolation):
                    reason.append(self.expressions.expr(part.expr, env, None))
                else:
                    reason.append(part)
        line = clause.span.line
        return ir.Clause(
            id=f"{entity.key}#{index + 1}",
            index=index,
            outcome=outcome,
            condition=condition,
            reason=tuple(reason),
            citation=clause.citation.value if clause.citation else None,
            location=f"{clause.span.source.path}:{line}",
            in_force=dating.in_force(self.ctx, clause.in_force, f"clause {index + 1} of `{entity.decl.name.text}`"),
            span=clause.span,
        )

    def _expectation(
        self, scope: FileScope, env: Env, entity: DecisionEntity, expectation: nodes.Expectation
    ) -> ir.Expectation | None:
        """One `expect` about a judgement or check, checked; None when it cannot be used."""
        name = expectation.name.text if not isinstance(expectation, nodes.ExpectStatus) else ""
        match expectation:
            case nodes.ExpectStatus():
                raise AssertionError("a status expectation names no decision")
            case nodes.ExpectUndetermined():
                return ir.Expectation(kind="undetermined", name=name, value=None, span=expectation.span)
            case nodes.ExpectNotInForce():
                return ir.Expectation(kind="not_in_force", name=name, value=None, span=expectation.span)
            case nodes.ExpectReason():
                return ir.Expectation(
                    kind="reason", name=name, value=None, reason=expectation.reason.value, span=expectation.span
                )
            case nodes.ExpectDecidedBy() | nodes.ExpectUndeterminedAt():
                clause = self._clause_of(entity, expectation.clause)
                if clause is None:
                    return None
                index, written = clause
                return ir.Expectation(
                    kind="decided_by" if isinstance(expectation, nodes.ExpectDecidedBy) else "undetermined_at",
                    name=name,
                    value=None,
                    clause_number=index + 1,
                    clause_id=f"{entity.key}#{index + 1}",
                    clause_location=f"{written.span.source.path}:{written.span.line}",
                    span=expectation.span,
                )
            case nodes.ExpectReads() | nodes.ExpectMissing():
                evidence = scope.names.get("__evidence__")
                pointers: list[str] = []
                for pointer in expectation.pointers.items:
                    if pointer.value in pointers:
                        self.ctx.error(
                            "examples.invalid",
                            f"the pointer `{pointer.value}` is listed twice",
                            pointer.span,
                            "the list is compared as a set: each pointer once is enough",
                        )
                        continue
                    problem = pointer_problem(pointer.value, evidence) if isinstance(evidence, RecordType) else None
                    if problem is not None:
                        message, hint = problem
                        self.ctx.error("examples.invalid", message, pointer.span, hint)
                        continue
                    pointers.append(pointer.value)
                if len(pointers) != len(expectation.pointers.items):
                    return None
                return ir.Expectation(
                    kind="reads" if isinstance(expectation, nodes.ExpectReads) else "missing",
                    name=name,
                    value=None,
                    pointers=tuple(pointers),
                    span=expectation.span,
                )
            case nodes.ExpectValue():
                value = self.expressions.expr(expectation.value, env, entity.value_type, outcome_of=entity)
                if not assignable(value.type, entity.value_type):
                    self.ctx.error(
                        "types.mismatch",
                        f"`{name}` gives {entity.value_type.display()}, but this expectation is {value.type.display()}",
                        expr_span(expectation.value),
                    )
                return ir.Expectation(kind="value", name=name, value=value, span=expectation.span)
            case _:
                assert_never(expectation)

    def _clause_of(
        self, entity: DecisionEntity, number: nodes.ClauseNumber
    ) -> tuple[int, nodes.WhenClause | nodes.OtherwiseClause] | None:
        """The clause `clause N` names (its index and declaration); None, reported, when there is none."""
        clauses = entity.decl.clauses
        if number.number == 0:  # not a clause number: the parser said so
            return None
        if number.number > len(clauses):
            last = clauses[-1]
            noun = "clause" if len(clauses) == 1 else "clauses"
            self.ctx.error(
                "examples.invalid",
                f"`{entity.decl.name.text}` has {len(clauses)} {noun}, so there is no clause {number.number}",
                number.span,
                f"clauses are numbered from 1 in the order written; the last, clause {len(clauses)}, "
                f"is at {last.span.source.path}:{last.span.line}",
            )
            return None
        return number.number - 1, clauses[number.number - 1]

    def example(self, scope: FileScope, item: nodes.ExampleDecl) -> ir.Example | None:
        expectations: list[ir.Expectation] = []
        env = Env(scope, {}, None)
        for expectation in item.expectations:
            if isinstance(expectation, nodes.ExpectStatus):
                status = expectation.status.text
                if status not in RESULT_STATUSES:
                    self.ctx.error(
                        "examples.invalid",
                        f"`{status}` is not a result status",
                        expectation.status.span,
                        did_you_mean(status, RESULT_STATUSES) or listing("statuses are", RESULT_STATUSES),
                    )
                expectations.append(ir.Expectation(kind="status", name=status, value=None, span=expectation.span))
                continue
            name = expectation.name.text
            entity = scope.decisions.get(name)
            if not isinstance(entity, DecisionEntity):
                decisions = list(scope.decisions)
                self.ctx.error(
                    "names.unknown",
                    f"there is no judgement or check `{name}` to expect",
                    expectation.name.span,
                    did_you_mean(name, decisions),
                )
                continue
            self.ctx.refer(expectation.name.span, entity)
            checked = self._expectation(scope, env, entity, expectation)
            if checked is not None:
                expectations.append(checked)
        evidence_text = None
        evidence_path = None
        display = f"{item.span.source.path}:{item.span.line}"
        if isinstance(item.given, nodes.JsonLiteral):
            evidence_text = item.given.text
        else:
            base = scope.file.path.parent
            target = (base / item.given.path.value).resolve()
            if not is_inside(target, scope.file.root):
                self.ctx.error(
                    "modules.outside-root",
                    f"the example file `{item.given.path.value}` is outside the rules root",
                    item.given.path.span,
                    "examples may only read files inside the rules root",
                )
            elif not target.is_file():
                self.ctx.error(
                    "examples.invalid",
                    f"there is no example file `{item.given.path.value}`",
                    item.given.path.span,
                    f"the path is read relative to the folder of {scope.file.source.path}",
                )
            else:
                evidence_path = str(target)
                display = item.given.path.value
        return ir.Example(
            title=item.title.value,
            citation=item.citation.value if item.citation else None,
            evidence_text=evidence_text,
            evidence_path=evidence_path,
            evidence_root=str(scope.file.root),
            evidence_display=display,
            as_of=item.as_of,
            expectations=tuple(expectations),
            location=f"{item.span.source.path}:{item.span.line}",
            span=item.span,
        )


def is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def pointer_problem(pointer: str, evidence: RecordType) -> tuple[str, str | None] | None:
    """What is wrong with a JSON pointer into evidence of this schema (message, hint); None if nothing.

    A pointer is RFC 6901's, as a result shows them under `inputs` and `missing`: `/` then
    each field, list index or map key (`~1` for a `/` in one, `~0` for a `~`).
    """
    if not pointer.startswith("/"):
        return (
            f"`{pointer}` is not a JSON pointer",
            f"a pointer starts with `/`, as the result shows them: `/{pointer}`",
        )
    current: Type = evidence
    walked = ""
    for raw in pointer[1:].split("/"):
        segment = raw.replace("~1", "/").replace("~0", "~")
        here = f"`{walked}`" if walked else "the evidence"
        match current:
            case RecordType():
                if segment in current.open_fields:
                    return None  # free-form below this field: anything may be read
                field = current.fields.get(segment)
                if field is None:
                    return (
                        f"{here} has no field `{segment}`, so there is nothing at `{pointer}`",
                        did_you_mean(segment, current.fields) or listing("its fields are", sorted(current.fields)),
                    )
                current = field.type
            case ListOf() | SetOf():
                if not (segment.isdigit() and (segment == "0" or not segment.startswith("0"))):
                    return (
                        f"{here} is {current.display()}: `{segment}` in `{pointer}` is not an item number",
                        f"items are numbered from 0, as in `{walked}/0`",
                    )
                current = current.element
            case MapOf():
                if current.key.member(segment) is None:
                    members = [m.name for m in current.key.members]
                    return (
                        f"{here} is {current.display()}: `{segment}` in `{pointer}` is not one of its keys",
                        did_you_mean(segment, members) or listing("its keys are", members),
                    )
                current = current.value
            case AnyType():
                return None
            case Prim() | Choice():
                return (
                    f"{here} is {current.display()}, so `{pointer}` points inside a value that has no parts",
                    f"the pointer to that value is `{walked}`",
                )
            case _:
                assert_never(current)
        walked += "/" + raw
    return None

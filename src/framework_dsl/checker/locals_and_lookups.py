"""Expressions of the second round of the language -> typed IR: rounding, `between`, map and table lookups.

A mix-in of `expressions.ExpressionChecker`, kept apart so that the core expression
checker stays as it was:

- `round X [to N decimal places] [half even]`: a number, `N` from 0 to
  `operators.MAX_DECIMAL_PLACES`; the IR is `Binary(ROUND_HALF_UP | ROUND_HALF_EVEN, X, N)`.
- `X between A and B`: `Ternary(BETWEEN, X, A, B)`, the type rule in `operators.resolve_between`.
- `m.k` with `k` a local value or loop variable whose type fits the map's keys, and
  `m.(expr)`: `Lookup(m, key)`, unknown with the entry's pointer when the key is absent.
- `table.member` (a row, folded to its constant) and `table.k` / `table.(expr)`:
  `Binary(TABLE_GET, table, key)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framework_dsl import ir, nodes
from framework_dsl.checker.scope import DecisionEntity, Env, TableEntity, expr_span
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.semantics.operators import MAX_DECIMAL_PLACES, Mismatch, Op, Resolved, resolve_between, round_type
from framework_dsl.source import Span
from framework_dsl.typesystem import ERROR, INTEGER, AnyType, Choice, ListOf, MapOf, Type, compatible

if TYPE_CHECKING:
    from framework_dsl.checker.expressions import ExpressionChecker


class LocalsAndLookups:
    """Checks rounding, `between` and lookups (see the module docstring) for an `ExpressionChecker`."""

    def __init__(self, core: ExpressionChecker) -> None:
        self.core = core

    def check(self, node: nodes.Round | nodes.Lookup | nodes.Between, env: Env) -> ir.Expr:
        if isinstance(node, nodes.Round):
            return self.round(node, env)
        if isinstance(node, nodes.Between):
            return self.between(node, env)
        return self.lookup(node, env)

    def round(self, node: nodes.Round, env: Env) -> ir.Expr:
        value = self.core.expr(node.value, env, None)
        typed = round_type(value.type, node.places)
        if isinstance(typed, Mismatch):
            too_many = node.places is not None and node.places > MAX_DECIMAL_PLACES
            where = node.span if too_many else expr_span(node.value)
            self.core.ctx.error("types.mismatch", typed.message, where, typed.hint)
            typed = ERROR
        op = Op.ROUND_HALF_EVEN if node.mode == "half_even" else Op.ROUND_HALF_UP
        places = ir.Const(value=node.places or 0, type=INTEGER, span=node.span)
        return ir.Binary(op=op, left=value, right=places, type=typed, span=node.span)

    def between(self, node: nodes.Between, env: Env) -> ir.Expr:
        value = self.core.expr(node.value, env, None)
        low = self.core.expr(node.low, env, value.type)
        high = self.core.expr(node.high, env, value.type)
        resolved = resolve_between(value.type, low.type, high.type)
        if isinstance(resolved, Mismatch):
            self.core.ctx.error("types.mismatch", resolved.message, node.span, resolved.hint)
        return ir.Ternary(
            op=Op.BETWEEN, first=value, second=low, third=high, type=resolved_type(resolved), span=node.span
        )

    def lookup(self, node: nodes.Lookup, env: Env) -> ir.Expr:
        decision = self.for_each_named(node.target, env)
        if decision is not None:
            return self.item_outcome(decision, self.core.expr(node.key, env, None), node.span, env)
        table = self.table_named(node.target, env)
        if table is not None:
            key = self.core.expr(node.key, env, table.key_type)
            return self.table_get(table, key, node.key, node.span)
        target = self.core.expr(node.target, env, None)
        if isinstance(target.type, AnyType):
            return ir.Const(value=None, type=ERROR, span=node.span)
        if not isinstance(target.type, MapOf):
            self.core.ctx.error(
                "types.mismatch",
                f"`.( )` reads a map or a table by a key, but this is {target.type.display()}",
                expr_span(node.target),
            )
            return ir.Const(value=None, type=ERROR, span=node.span)
        key = self.core.expr(node.key, env, target.type.key)
        self.key_fits(key, target.type.key, node.key)
        return ir.Lookup(target=target, key=key, type=target.type.value, span=node.span)

    def key_fits(self, key: ir.Expr, wanted: Choice, source: nodes.Expr) -> None:
        if not compatible(key.type, wanted) or not isinstance(key.type, Choice | AnyType):
            self.core.ctx.error(
                "types.mismatch",
                f"the keys are {wanted.display()}, so this key cannot be {key.type.display()}",
                expr_span(source),
            )

    def is_key_variable(self, name: str, map_type: MapOf, env: Env) -> bool:
        """Whether `m.name` reads the key held by the local `name`, not the member called `name`."""
        held = env.locals.get(name, env.lets.get(name))
        return held is not None and isinstance(held, Choice) and compatible(held, map_type.key)

    def for_each_named(self, node: nodes.Expr, env: Env) -> DecisionEntity | None:
        """The for-each judgement or check `node` names, if it names one (not shadowed by a local)."""
        if isinstance(node, nodes.Ref) and node.name not in env.locals and node.name not in env.lets:
            entity = env.scope.names.get(node.name)
            if isinstance(entity, DecisionEntity) and entity.decl.for_each is not None:
                return entity
        return None

    def item_outcome(self, decision: DecisionEntity, item: ir.Expr, span: Span, env: Env) -> ir.Expr:
        """`judgement.(item)`: one item's outcome of a for-each decision, found by the item's value."""
        self.core.depend(env, decision.key)
        one: Type = ListOf(decision.outcome_type) if decision.collect else decision.outcome_type
        if not isinstance(item.type, Choice | AnyType):
            self.core.ctx.error(
                "types.mismatch",
                f"`{decision.decl.name.text}` is read by one of its items, a member or grade, "
                f"not {item.type.display()}",
                item.span,
            )
        return ir.ItemOutcome(key=decision.key, item=item, type=one, span=span)

    def table_named(self, node: nodes.Expr, env: Env) -> TableEntity | None:
        """The table `node` names (`points`, `module.points`), if it names one."""
        if isinstance(node, nodes.Ref) and node.name not in env.locals and node.name not in env.lets:
            entity = env.scope.names.get(node.name)
        elif isinstance(node, nodes.FieldAccess) and isinstance(node.target, nodes.Ref):
            module = env.scope.names.get(node.target.name)
            scope = getattr(module, "scope", None)
            entity = scope.exports.get(node.field.text) if scope is not None else None
        else:
            return None
        if not isinstance(entity, TableEntity):
            return None
        self.core.tables(entity)
        return entity

    def table_row(self, table: TableEntity, field: nodes.Name, env: Env, span: Span) -> ir.Expr:
        name = field.text
        if name in env.locals or name in env.lets:
            key = self.core.ref(nodes.Ref(name=name, span=field.span), env, None, None)
            return self.table_get(table, key, nodes.Ref(name=name, span=field.span), span)
        if table.table is None:
            return ir.Const(value=None, type=ERROR, span=span)
        for row, value in table.table.rows:
            if row == name:
                return ir.Const(value=value, type=table.value_type, span=span)
        if isinstance(table.key_type, Choice) and table.key_type.member(name) is not None:
            return ir.Const(value=None, type=ERROR, span=span)  # its row was refused, and reported
        rows = [row for row, _ in table.table.rows]
        hint = did_you_mean(name, rows)
        if name in env.scope.names:
            hint = f"to read the row for the value of `{name}`, write `{table.decl.name.text}.({name})`"
        self.core.ctx.error(
            "names.unknown",
            f"the table `{table.decl.name.text}` has no row `{name}`",
            field.span,
            hint,
        )
        return ir.Const(value=None, type=ERROR, span=span)

    def table_get(self, table: TableEntity, key: ir.Expr, source: nodes.Expr, span: Span) -> ir.Expr:
        if isinstance(table.key_type, Choice):
            self.key_fits(key, table.key_type, source)
        if table.table is None:
            return ir.Const(value=None, type=ERROR, span=span)
        kind: Type = MapOf(table.key_type, table.value_type) if isinstance(table.key_type, Choice) else ERROR
        constant = ir.Const(value=table.table, type=kind, span=span)
        return ir.Binary(op=Op.TABLE_GET, left=constant, right=key, type=table.value_type, span=span)


def resolved_type(resolved: Resolved | Mismatch) -> Type:
    """The result type of a resolved operator, or the error type."""
    return ERROR if isinstance(resolved, Mismatch) else resolved.type

"""Constant tables -> checked rows: `table points: grade -> integer` with `outstanding -> 4, ...`.

A table's key type is a scale or an enumeration, and the checker proves it complete
and unique: every member has exactly one row (`tables.incomplete`,
`tables.duplicate-key`), every row's key is a member (`names.unknown`), and every
value is a constant of the value type (`tables.not-constant`, `types.mismatch`). The
checked table is an `ir.Table`, read by `Op.TABLE_GET`.
"""

from __future__ import annotations

from framework_dsl import ir
from framework_dsl.checker.expressions import ExpressionChecker
from framework_dsl.checker.resolve_types import TypeResolver
from framework_dsl.checker.scope import Context, Env, TableEntity, expr_span, listing
from framework_dsl.diagnostics import Label, did_you_mean
from framework_dsl.source import Span
from framework_dsl.typesystem import ERROR, AnyType, Choice, assignable


class TableChecker:
    """Checks each table once, when it is declared or first used."""

    def __init__(self, ctx: Context, types: TypeResolver, expressions: ExpressionChecker) -> None:
        self.ctx = ctx
        self.types = types
        self.expressions = expressions

    def check(self, entity: TableEntity) -> None:
        """Check `entity`'s types and rows (once), filling `entity.table`."""
        if entity.checked:
            return
        entity.checked = True
        decl = entity.decl
        name = decl.name.text
        key_type = self.types.resolve_type(entity.scope, decl.key_type, context=name)
        value_type = self.types.resolve_type(entity.scope, decl.value_type, context=name)
        entity.key_type, entity.value_type = key_type, value_type
        if not isinstance(key_type, Choice):
            if not isinstance(key_type, AnyType):
                self.ctx.error(
                    "types.mismatch",
                    f"a table's keys are the members of a scale or an enumeration, not {key_type.display()}",
                    decl.key_type.span,
                    "declare an `enum` of the keys, so that the table can be proved complete",
                )
            return
        env = Env(entity.scope, {}, entity.key)
        rows: list[tuple[str, object]] = []
        seen: dict[str, Span] = {}
        for row in decl.rows:
            key = row.key.text
            symbol = key_type.member(key)
            value = self.expressions.expr(row.value, env, value_type)
            if symbol is None:
                members = [m.name for m in key_type.members]
                self.ctx.error(
                    "names.unknown",
                    f"`{key}` is not one of {key_type.display()}",
                    row.key.span,
                    did_you_mean(key, members) or listing("the keys are", members),
                )
                continue
            if key in seen:
                self.ctx.error(
                    "tables.duplicate-key",
                    f"the table `{name}` has two rows for `{key}`",
                    row.key.span,
                    "give each key one row",
                    labels=(Label(seen[key], "first row here"),),
                )
                continue
            seen[key] = row.key.span
            if not isinstance(value, ir.Const):
                self.ctx.error(
                    "tables.not-constant",
                    f"the row `{key}` of `{name}` must be a constant (a number, text, date, member or list of them)",
                    expr_span(row.value),
                    "compute values in a `define` or a `let`; a table only holds what the framework publishes",
                )
                continue
            if not assignable(value.type, value_type):
                self.ctx.error(
                    "types.mismatch",
                    f"`{name}` holds {value_type.display()}, but the row `{key}` is {value.type.display()}",
                    expr_span(row.value),
                )
                continue
            rows.append((symbol.name, value.value))
        missing = [m.name for m in key_type.members if m.name not in seen]
        if missing:
            self.ctx.error(
                "tables.incomplete",
                f"the table `{name}` has no row for " + ", ".join(f"`{m}`" for m in missing),
                decl.name.span,
                f"every member of {key_type.display()} needs a row",
            )
        if value_type is ERROR:
            return
        order = {m.name: i for i, m in enumerate(key_type.members)}
        entity.table = ir.Table(name=name, rows=tuple(sorted(rows, key=lambda r: order[r[0]])))

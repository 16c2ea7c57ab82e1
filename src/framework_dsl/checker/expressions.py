"""Expressions -> typed IR: every name resolved, every operator chosen by its type rule (`semantics.operators`).

A bad expression gets the error type, which matches everything, so one mistake gives
one diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from framework_dsl import ir, nodes
from framework_dsl.checker.locals_and_lookups import LocalsAndLookups
from framework_dsl.checker.provisions import provision_literal, within
from framework_dsl.checker.scope import (
    Context,
    DecisionEntity,
    DefineEntity,
    Env,
    FieldEntity,
    LocalName,
    ModuleEntity,
    RecordEntity,
    RecordField,
    SymbolSetEntity,
    TableEntity,
    expr_span,
    listing,
)
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.semantics.operators import (
    AGGREGATES,
    Mismatch,
    Op,
    aggregate_type,
    list_like,
    resolve_arith,
    resolve_compare,
)
from framework_dsl.source import Span
from framework_dsl.syntax_hints import unknown_name_hint
from framework_dsl.typesystem import (
    ANY,
    BOOLEAN,
    DATE,
    DECIMAL,
    DURATION,
    ERROR,
    INTEGER,
    PROVISION,
    TEXT,
    AnyType,
    Choice,
    Duration,
    ListOf,
    MapOf,
    RecordType,
    SetOf,
    SymbolSet,
    Type,
    assignable,
    compatible,
    element_type,
    unify,
)


class ExpressionChecker:
    """Types expressions; asks `define` for a definition's type, checking its body on first use."""

    def __init__(
        self,
        ctx: Context,
        define: Callable[[DefineEntity], Type],
        tables: Callable[[TableEntity], None] = lambda entity: None,
    ) -> None:
        self.ctx = ctx
        self.define = define
        self.tables = tables
        self.lookups = LocalsAndLookups(self)

    def expect(self, node: ir.Expr, wanted: Type, source: nodes.Expr, what: str) -> None:
        if not assignable(node.type, wanted):
            self.ctx.error(
                "types.mismatch",
                f"{what} must be {wanted.display()}, but this is {node.type.display()}",
                expr_span(source),
            )

    def depend(self, env: Env, key: str) -> None:
        if env.owner is not None:
            self.ctx.dependencies.setdefault(env.owner, set()).add(key)

    def expr(
        self,
        node: nodes.Expr,
        env: Env,
        expected: Type | None,
        *,
        outcome_of: DecisionEntity | None = None,
    ) -> ir.Expr:
        """Check one expression; return its IR (with a type) — never raises."""
        span = expr_span(node)
        if isinstance(node, nodes.Round | nodes.Lookup | nodes.Between):
            return self.lookups.check(node, env)
        if isinstance(node, nodes.Ref):
            return self.ref(node, env, expected, outcome_of)
        if isinstance(node, nodes.FieldAccess):
            return self._field_access(node, env, expected, outcome_of)
        if isinstance(node, nodes.NumberLit):
            if node.is_integer:
                return ir.Const(value=int(node.value), type=INTEGER, span=span)
            return ir.Const(value=node.value, type=DECIMAL, span=span)
        if isinstance(node, nodes.TextLit):
            if isinstance(expected, Choice):
                symbol = expected.member(node.value)
                if symbol is not None:
                    return ir.Const(value=symbol, type=expected, span=span)
                quoted = [m.name for m in expected.members if not m.name.isidentifier()]
                if quoted:
                    self.ctx.error(
                        "outcomes.unknown",
                        f'"{node.value}" is not one of {expected.display()}',
                        span,
                        did_you_mean(node.value, [m.name for m in expected.members]),
                    )
                    return ir.Const(value=None, type=ERROR, span=span)
            if expected == PROVISION:
                return provision_literal(self.ctx, node, span)
            return ir.Const(value=node.value, type=TEXT, span=span)
        if isinstance(node, nodes.DateLit):
            return ir.Const(value=node.value, type=DATE, span=span)
        if isinstance(node, nodes.DurationLit):
            return ir.Const(value=Duration(node.amount, node.unit), type=DURATION, span=span)
        if isinstance(node, nodes.BoolLit):
            return ir.Const(value=node.value, type=BOOLEAN, span=span)
        if isinstance(node, nodes.AsOf):
            return ir.AsOfDate(type=DATE, span=span)
        if isinstance(node, nodes.ListLit):
            return self._list(node, env, expected, outcome_of)
        if isinstance(node, nodes.Comprehension):
            source = self._collection(node.source, env, "`for ... in`")
            inner = attrs.evolve(env, locals={**env.locals, node.var.text: element_type(source.type) or ERROR})
            self._declare_local(node.var, inner, env)
            condition = None
            if node.condition is not None:
                condition = self.expr(node.condition, inner, BOOLEAN)
                self.expect(condition, BOOLEAN, node.condition, "the condition after `where`")
            wanted = element_type(expected) if expected is not None else None
            element = self.expr(node.element, inner, wanted)
            return ir.Comprehension(
                element=element,
                var=node.var.text,
                source=source,
                condition=condition,
                type=ListOf(element.type),
                span=span,
            )
        if isinstance(node, nodes.Quantifier):
            source = self._collection(node.source, env, f"`{node.kind} ... in`")
            inner = attrs.evolve(env, locals={**env.locals, node.var.text: element_type(source.type) or ERROR})
            self._declare_local(node.var, inner, env)
            condition = self.expr(node.condition, inner, BOOLEAN)
            self.expect(condition, BOOLEAN, node.condition, "the condition after `where`")
            return ir.Quantifier(
                kind=ir.QuantifierKind(node.kind),
                var=node.var.text,
                source=source,
                condition=condition,
                type=INTEGER if node.kind == "count" else BOOLEAN,
                span=span,
            )
        if isinstance(node, nodes.CountOf):
            target = self._collection(node.target, env, "`count of`")
            if node.rated is None:
                return ir.Unary(op=Op.COUNT, operand=target, type=INTEGER, span=span)
            item_type = element_type(target.type) or ERROR
            rated = self.expr(node.rated, env, item_type)
            rated_items = element_type(rated.type) if isinstance(rated.type, ListOf | SetOf) else None
            if not compatible(rated_items or rated.type, item_type):
                self.ctx.error(
                    "types.mismatch",
                    f"the items are {item_type.display()}, so they cannot be rated {rated.type.display()}",
                    expr_span(node.rated),
                )
            op = Op.COUNT_RATED_IN if rated_items is not None else Op.COUNT_RATED
            return ir.Binary(op=op, left=target, right=rated, type=INTEGER, span=span)
        if isinstance(node, nodes.Aggregate):
            return self._aggregate(node, env)
        if isinstance(node, nodes.Sorted):
            target = self._collection(node.target, env, "`sorted`")
            return ir.Unary(op=Op.SORTED, operand=target, type=ListOf(element_type(target.type) or ERROR), span=span)
        if isinstance(node, nodes.Not):
            operand = self.expr(node.operand, env, BOOLEAN)
            self.expect(operand, BOOLEAN, node.operand, "the operand of `not`")
            return ir.Unary(op=Op.NOT, operand=operand, type=BOOLEAN, span=span)
        if isinstance(node, nodes.BoolOp):
            left = self.expr(node.left, env, BOOLEAN)
            right = self.expr(node.right, env, BOOLEAN)
            self.expect(left, BOOLEAN, node.left, f"each side of `{node.op}`")
            self.expect(right, BOOLEAN, node.right, f"each side of `{node.op}`")
            return ir.Binary(op=Op(node.op), left=left, right=right, type=BOOLEAN, span=span)
        if isinstance(node, nodes.Compare):
            return self._compare(node, env)
        if isinstance(node, nodes.Membership):
            if isinstance(node.collection, nodes.ListLit) and not (
                isinstance(node.item, nodes.Ref | nodes.TextLit) and self._is_bare_member(node.item, env)
            ):
                item = self.expr(node.item, env, None)
                collection = self.expr(node.collection, env, ListOf(item.type))
            else:
                collection = self._collection(node.collection, env, "`in`")
                item = self.expr(node.item, env, element_type(collection.type))
            items_type = element_type(collection.type) or ERROR
            if not compatible(item.type, items_type):
                self.ctx.error(
                    "types.mismatch",
                    f"the list holds {items_type.display()}, so it cannot hold {item.type.display()}",
                    expr_span(node.item),
                )
            op = Op.NOT_IN if node.negated else Op.IN
            return ir.Binary(op=op, left=item, right=collection, type=BOOLEAN, span=span)
        if isinstance(node, nodes.Within):
            return within(self.ctx, self.expr, node, env)
        if isinstance(node, nodes.IsCheck):
            operand = self.expr(node.operand, env, None)
            if node.kind == "empty" and element_type(operand.type) is None and operand.type != TEXT:
                self.ctx.error(
                    "types.mismatch",
                    f"`is empty` needs a list or a text, but this is {operand.type.display()}",
                    expr_span(node.operand),
                )
            return ir.Unary(op=Op(f"is_{node.kind}"), operand=operand, type=BOOLEAN, span=span)
        if isinstance(node, nodes.IfMissing):
            value = self.expr(node.value, env, expected)
            default = self.expr(node.default, env, value.type if not isinstance(value.type, AnyType) else expected)
            joined = unify(value.type, default.type)
            if joined is None:
                self.ctx.error(
                    "types.mismatch",
                    f"the value is {value.type.display()}, but the default is {default.type.display()}",
                    expr_span(node.default),
                )
                joined = ERROR
            return ir.Binary(op=Op.IF_MISSING, left=value, right=default, type=joined, span=span)
        if isinstance(node, nodes.Bound):
            value = self.expr(node.value, env, expected)
            limit = self.expr(node.limit, env, value.type)
            if not isinstance(value.type, AnyType) and not (
                isinstance(value.type, Choice) and value.type.scale is not None
            ):
                self.ctx.error(
                    "types.mismatch",
                    f"`at {node.kind}` caps or floors a grade, but this is {value.type.display()}",
                    expr_span(node.value),
                )
            elif not compatible(limit.type, value.type):
                self.ctx.error(
                    "types.mismatch",
                    f"the limit must be a grade of {value.type.display()}",
                    expr_span(node.limit),
                )
            return ir.Binary(op=Op(f"at_{node.kind}"), left=value, right=limit, type=value.type, span=span)
        if isinstance(node, nodes.Arith):
            return self._arith(node, env, expected)
        if isinstance(node, nodes.SetOp):
            left = self._collection(node.left, env, f"`{node.op}`")
            right = self.expr(node.right, env, left.type)
            self._same_items(left, right, node)
            return ir.Binary(op=Op(node.op), left=left, right=right, type=list_like(left.type), span=span)
        raise AssertionError(f"unhandled expression {type(node).__name__}")  # pragma: no cover

    def ref(self, node: nodes.Ref, env: Env, expected: Type | None, outcome_of: DecisionEntity | None) -> ir.Expr:
        name = node.name
        span = node.span
        if name in env.locals:
            self.ctx.refer(span, LocalName(name, env.locals[name], env.local_spans.get(name)))
            return ir.Local(name=name, type=env.locals[name], span=span)
        if name in env.lets:
            env.used_lets.add(name)
            return ir.LetRef(name=name, type=env.lets[name], span=span)
        if env.scope.incomplete and (
            (name in env.scope.failed_imports and name not in env.scope.names)
            or (expected is not None and expected == ERROR)
        ):
            # An import failed and said so: its names, and the members of the types it
            # would have brought (`b.key_question = safe`), are not reported again, nor
            # taken for a judgement of the same name (no false cycle through `safe`).
            return ir.Const(value=None, type=ERROR, span=span)
        if isinstance(expected, Choice):
            symbol = expected.member(name)
            if symbol is not None:
                self.ctx.refer(span, symbol)
                return ir.Const(value=symbol, type=expected, span=span)
        if isinstance(expected, ListOf | SetOf) and isinstance(expected.element, Choice):
            symbol = expected.element.member(name)
            if symbol is not None and name not in env.scope.names:
                self.ctx.refer(span, symbol)
                return ir.Const(value=symbol, type=expected.element, span=span)
        entity = env.scope.names.get(name)
        if entity is None:
            entity = env.scope.types.get(name)  # a type used as a value: reported below
        if entity is not None and not isinstance(entity, RecordType):
            self.ctx.refer(span, entity)
            return self._entity_value(entity, name, env, span)
        matches = [
            (symbol_set, symbol)
            for symbol_set in env.scope.visible_symbol_sets()
            for symbol in symbol_set.members
            if symbol.name == name
        ]
        if len(matches) == 1:
            symbol_set, symbol = matches[0]
            self.ctx.refer(span, symbol)
            return ir.Const(value=symbol, type=Choice((symbol_set,)), span=span)
        if len(matches) > 1:
            self.ctx.error(
                "names.ambiguous",
                f"`{name}` is a member of {len(matches)} declarations",
                span,
                "say which one: " + ", ".join(f"`{s.name}.{name}`" for s, _ in matches),
            )
            return ir.Const(value=None, type=ERROR, span=span)
        if outcome_of is not None and isinstance(expected, Choice | ListOf):
            choice = expected if isinstance(expected, Choice) else None
            if isinstance(expected, ListOf):
                inner = expected.element
                while isinstance(inner, ListOf):
                    inner = inner.element
                choice = inner if isinstance(inner, Choice) else None
            if choice is not None:
                members = [m.name for m in choice.members]
                noun = "grade" if choice.is_pure_scale else "outcome"
                self.ctx.error(
                    "outcomes.unknown",
                    f"unknown {noun} `{name}`: `{outcome_of.decl.name.text}` gives {choice.display()}",
                    span,
                    did_you_mean(name, members) or listing("its outcomes are", members),
                )
                return ir.Const(value=None, type=ERROR, span=span)
        candidates = [*env.locals, *(n for n in env.scope.names if not n.startswith("__")), *env.scope.types]
        if isinstance(expected, Choice):
            candidates.extend(m.name for m in expected.members)
        candidates.extend(s.name for ss in env.scope.visible_symbol_sets() for s in ss.members)
        self.ctx.error(
            "names.unknown",
            f"unknown name `{name}`",
            span,
            unknown_name_hint(name) or did_you_mean(name, candidates),
        )
        return ir.Const(value=None, type=ERROR, span=span)

    def _entity_value(self, entity: Any, name: str, env: Env, span: Span) -> ir.Expr:
        if isinstance(entity, FieldEntity):
            return ir.EvidenceField(name=name, type=entity.info.type, optional=entity.info.optional, span=span)
        if isinstance(entity, DefineEntity):
            self.depend(env, entity.key)
            return ir.DefinitionRef(key=entity.key, type=self.define(entity), span=span)
        if isinstance(entity, DecisionEntity):
            self.depend(env, entity.key)
            target_each = entity.decl.for_each
            if env.for_each is not None and target_each is not None and target_each.source == env.for_each:
                one: Type = ListOf(entity.outcome_type) if entity.collect else entity.outcome_type
                return ir.JudgementRef(key=entity.key, type=one, per_item=True, span=span)
            return ir.JudgementRef(key=entity.key, type=entity.value_type, span=span)
        if isinstance(entity, TableEntity):
            self.ctx.error(
                "types.mismatch",
                f"`{name}` is a table: read one of its rows with a key",
                span,
                f"write `{name}.KEY` for a fixed key, or `{name}.(key)` for one computed from the evidence",
            )
            return ir.Const(value=None, type=ERROR, span=span)
        if isinstance(entity, SymbolSetEntity) and entity.symbol_set.kind == "outcome":
            symbol_set = entity.symbol_set
            return ir.Const(value=symbol_set.members[0], type=Choice((symbol_set,)), span=span)
        kind = {
            SymbolSetEntity: "a scale or enumeration",
            RecordEntity: "a record type",
            ModuleEntity: "a module",
        }.get(type(entity), "not a value")
        hint = None
        if isinstance(entity, SymbolSetEntity) and entity.symbol_set.members:
            hint = f"write `{name}.{entity.symbol_set.members[0].name}` for one of its members"
        self.ctx.error("types.mismatch", f"`{name}` is {kind}, not a value", span, hint)
        return ir.Const(value=None, type=ERROR, span=span)

    def _declare_local(self, var: nodes.Name, inner: Env, outer: Env) -> None:
        inner.local_spans = {**outer.local_spans, var.text: var.span}
        self.ctx.refer(var.span, LocalName(var.text, inner.locals[var.text], var.span))

    def _refer_type_path(self, node: nodes.Expr, env: Env) -> None:
        """Record what `rating` or `scales.rating` (before `.grade`) names."""
        if isinstance(node, nodes.Ref):
            self.ctx.refer(node.span, env.scope.types.get(node.name))
        elif isinstance(node, nodes.FieldAccess) and isinstance(node.target, nodes.Ref):
            module = env.scope.names.get(node.target.name)
            if isinstance(module, ModuleEntity):
                self.ctx.refer(node.target.span, module)
                self.ctx.refer(node.field.span, module.scope.type_exports.get(node.field.text))

    def _symbol_set_of(self, node: nodes.Expr, env: Env) -> SymbolSet | None:
        """The scale/enum that `node` names (`rating`, `scales.rating`), if it names one."""
        if isinstance(node, nodes.Ref) and node.name not in env.locals:
            entity = env.scope.types.get(node.name)
            value = env.scope.names.get(node.name)
            if isinstance(value, FieldEntity) and isinstance(value.info.type, RecordType | MapOf):
                return None  # a record field of the same name: `x.y` reads its field
            if isinstance(entity, SymbolSetEntity):
                return entity.symbol_set
        if isinstance(node, nodes.FieldAccess) and isinstance(node.target, nodes.Ref):
            module = env.scope.names.get(node.target.name)
            if isinstance(module, ModuleEntity):
                entity = module.scope.type_exports.get(node.field.text)
                if isinstance(entity, SymbolSetEntity):
                    return entity.symbol_set
        return None

    def _field_access(
        self, node: nodes.FieldAccess, env: Env, expected: Type | None, outcome_of: DecisionEntity | None
    ) -> ir.Expr:
        span = node.span
        symbol_set = self._symbol_set_of(node.target, env)
        if symbol_set is not None:
            self._refer_type_path(node.target, env)
            symbol = symbol_set.member(node.field.text)
            if symbol is None:
                what = "grade" if symbol_set.kind == "scale" else "member"
                self.ctx.error(
                    "outcomes.unknown" if outcome_of is not None else "names.unknown",
                    f"`{node.field.text}` is not a {what} of `{symbol_set.name}`",
                    node.field.span,
                    did_you_mean(node.field.text, [m.name for m in symbol_set.members]),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            self.ctx.refer(node.field.span, symbol)
            return ir.Const(value=symbol, type=Choice((symbol_set,)), span=span)
        if isinstance(node.target, nodes.Ref) and node.target.name not in env.locals:
            module = env.scope.names.get(node.target.name)
            if module is None and node.target.name in env.scope.failed_imports:
                return ir.Const(value=None, type=ERROR, span=span)  # `standards.x` after a failed import
            if isinstance(module, ModuleEntity):
                self.ctx.refer(node.target.span, module)
                entity = module.scope.exports.get(node.field.text) or module.scope.type_exports.get(node.field.text)
                if entity is None:
                    self.ctx.error(
                        "names.unknown",
                        f"the module `{node.target.name}` has no `{node.field.text}`",
                        node.field.span,
                        did_you_mean(node.field.text, [*module.scope.exports, *module.scope.type_exports]),
                    )
                    return ir.Const(value=None, type=ERROR, span=span)
                self.ctx.refer(node.field.span, entity)
                return self._entity_value(entity, node.field.text, env, span)
        decision = self.lookups.for_each_named(node.target, env)
        if decision is not None and (node.field.text in env.locals or node.field.text in env.lets):
            item = self.ref(nodes.Ref(name=node.field.text, span=node.field.span), env, None, None)
            return self.lookups.item_outcome(decision, item, span, env)
        table = self.lookups.table_named(node.target, env)
        if table is not None:
            return self.lookups.table_row(table, node.field, env, span)
        target = self.expr(node.target, env, None)
        target_type = target.type
        name = node.field.text
        if isinstance(target_type, AnyType):
            return ir.Const(value=None, type=ERROR, span=span)
        if isinstance(target_type, MapOf) and self.lookups.is_key_variable(name, target_type, env):
            computed = self.ref(nodes.Ref(name=name, span=node.field.span), env, None, None)
            return ir.Lookup(target=target, key=computed, type=target_type.value, span=span)
        if isinstance(target_type, RecordType):
            info = target_type.fields.get(name)
            if info is None:
                self.ctx.error(
                    "names.unknown",
                    f"`{target_type.name}` has no field `{name}`",
                    node.field.span,
                    did_you_mean(name, target_type.fields) or listing("its fields are", target_type.fields),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            self.ctx.refer(node.field.span, RecordField(target_type, info))
            return ir.GetField(target=target, name=name, type=info.type, optional=info.optional, span=span)
        if isinstance(target_type, MapOf):
            key = target_type.key.member(name)
            if key is not None:
                self.ctx.refer(node.field.span, key)
            if key is None:
                members = [m.name for m in target_type.key.members]
                self.ctx.error(
                    "names.unknown",
                    f"`{name}` is not a key of {target_type.display()}",
                    node.field.span,
                    did_you_mean(name, members) or listing("its keys are", members),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            return ir.GetField(target=target, name=name, type=target_type.value, optional=True, span=span)
        self.ctx.error(
            "types.mismatch",
            f"`.{name}` reads a field of a record, but this is {target_type.display()}",
            node.field.span,
        )
        return ir.Const(value=None, type=ERROR, span=span)

    def _list(self, node: nodes.ListLit, env: Env, expected: Type | None, outcome_of: DecisionEntity | None) -> ir.Expr:
        wanted = element_type(expected) if isinstance(expected, ListOf | SetOf) else None
        items = [self.expr(item, env, wanted, outcome_of=outcome_of) for item in node.items]
        item_type: Type = ANY
        for item, source in zip(items, node.items, strict=True):
            joined = unify(item_type, item.type)
            if joined is None:
                self.ctx.error(
                    "types.mismatch",
                    f"a list holds one kind of value: {item_type.display()} and {item.type.display()} do not mix",
                    expr_span(source),
                )
                joined = ERROR
            item_type = joined
        if wanted is not None and isinstance(item_type, AnyType) and item_type.reason == "any":
            item_type = wanted
        list_type = ListOf(item_type)
        if all(isinstance(item, ir.Const) for item in items):
            return ir.Const(value=tuple(item.value for item in items), type=list_type, span=node.span)  # type: ignore[union-attr]
        return ir.ListExpr(items=tuple(items), type=list_type, span=node.span)

    def _collection(self, node: nodes.Expr, env: Env, what: str) -> ir.Expr:
        value = self.expr(node, env, None)
        if element_type(value.type) is None:
            self.ctx.error(
                "types.mismatch",
                f"{what} needs a list, but this is {value.type.display()}",
                expr_span(node),
            )
            return ir.Const(value=(), type=ERROR, span=expr_span(node))
        return value

    def _same_items(self, left: ir.Expr, right: ir.Expr, node: nodes.Expr) -> None:
        right_items = element_type(right.type)
        if right_items is None:
            self.ctx.error(
                "types.mismatch",
                f"both sides must be lists, but the right is {right.type.display()}",
                expr_span(node),
            )
            return
        left_items = element_type(left.type) or ERROR
        if not compatible(left_items, right_items):
            self.ctx.error(
                "types.mismatch",
                f"lists of {left_items.display()} and of {right_items.display()} cannot be combined",
                expr_span(node),
            )

    def _aggregate(self, node: nodes.Aggregate, env: Env) -> ir.Expr:
        op = AGGREGATES[node.op]
        target = self._collection(node.target, env, f"`{node.op} of`")
        typed = aggregate_type(op, element_type(target.type) or ERROR)
        if isinstance(typed, Mismatch):
            self.ctx.error("types.mismatch", typed.message, expr_span(node.target), typed.hint)
            typed = ERROR
        return ir.Unary(op=op, operand=target, type=typed, span=node.span)

    def _compare(self, node: nodes.Compare, env: Env) -> ir.Expr:
        left_first = not (isinstance(node.left, nodes.Ref | nodes.TextLit) and self._is_bare_member(node.left, env))
        if left_first:
            left = self.expr(node.left, env, None)
            right = self.expr(node.right, env, left.type)
        else:
            right = self.expr(node.right, env, None)
            left = self.expr(node.left, env, right.type)
        resolved = resolve_compare(node.op, left.type, right.type, compatible)
        if isinstance(resolved, Mismatch):
            self.ctx.error("types.mismatch", resolved.message, node.span, resolved.hint)
            return ir.Binary(op=Op.EQ, left=left, right=right, type=BOOLEAN, span=node.span)
        return ir.Binary(op=resolved.op, left=left, right=right, type=resolved.type, span=node.span)

    def _is_bare_member(self, node: nodes.Ref | nodes.TextLit, env: Env) -> bool:
        if isinstance(node, nodes.TextLit):
            return True
        return node.name not in env.locals and node.name not in env.scope.names

    def _arith(self, node: nodes.Arith, env: Env, expected: Type | None) -> ir.Expr:
        left = self.expr(node.left, env, expected if node.op == "-" else None)
        right = self.expr(node.right, env, left.type if element_type(left.type) is not None else None)
        resolved = resolve_arith(node.op, left.type, right.type)
        if isinstance(resolved, Mismatch):
            self.ctx.error("types.mismatch", resolved.message, node.span, resolved.hint)
            return ir.Binary(op=Op.ADD, left=left, right=right, type=ERROR, span=node.span)
        if resolved.op is Op.SET_DIFF:
            self._same_items(left, right, node)
        if resolved.swap:
            left, right = right, left
        return ir.Binary(op=resolved.op, left=left, right=right, type=resolved.type, span=node.span)

"""Types written in rule files -> `typesystem` types: records and their fields, the evidence schema, `or` types.

Also what is checked of a schema as a whole: that a framework's `dated by` names a date
field, and that records do not nest deeper than evidence can be.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import Any

import attrs

from framework_dsl import nodes
from framework_dsl.checker.scope import (
    MAX_SCHEMA_DEPTH,
    Context,
    DecisionEntity,
    FileScope,
    ModuleEntity,
    RecordEntity,
    RecordField,
    SymbolSetEntity,
    type_names,
)
from framework_dsl.diagnostics import Label, did_you_mean
from framework_dsl.source import Span
from framework_dsl.typesystem import (
    CHECK_OUTCOME,
    DATE,
    DECIMAL,
    ERROR,
    INTEGER,
    PRIMITIVES,
    AnyType,
    Choice,
    FieldInfo,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Symbol,
    SymbolSet,
    Type,
)


class TypeResolver:
    """Resolves type expressions in one rule set (inline enumerations join the file's scope)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def fill_record(self, scope: FileScope, record: RecordType, fields: Iterable[nodes.FieldDecl]) -> None:
        spans: dict[str, Span] = {}
        for field in fields:
            if field.name.text in record.fields or field.name.text in spans:
                self.ctx.error(
                    "names.duplicate",
                    f"the field `{field.name.text}` is declared twice",
                    field.name.span,
                    "give each field its own name",
                    labels=(Label(spans[field.name.text], "first declared here"),) if field.name.text in spans else (),
                )
                continue
            spans[field.name.text] = field.name.span
            optional = isinstance(field.type, nodes.OptionalType)
            inner = field.type.inner if isinstance(field.type, nodes.OptionalType) else field.type
            field_type = self.resolve_type(scope, inner, context=f"{record.name}.{field.name.text}", in_evidence=True)
            record.fields[field.name.text] = FieldInfo(
                field.name.text,
                field_type,
                optional,
                field.description.value if field.description else None,
            )

    def resolve_type(
        self,
        scope: FileScope,
        node: nodes.TypeExpr,
        *,
        context: str,
        allow_collect: bool = False,
        in_evidence: bool = False,
    ) -> Type:
        if isinstance(node, nodes.RangedType):
            return self.ranged_type(scope, node, in_evidence=in_evidence)
        if isinstance(node, nodes.OptionalType):
            self.ctx.error(
                "types.mismatch",
                "`optional` describes an evidence field that may be absent",
                node.span,
                "write `optional` only right after a field's colon: `impact: optional impact_level`",
            )
            return self.resolve_type(scope, node.inner, context=context, in_evidence=in_evidence)
        if isinstance(node, nodes.ListType):
            return ListOf(self.resolve_type(scope, node.element, context=context, in_evidence=in_evidence))
        if isinstance(node, nodes.SetType):
            return SetOf(self.resolve_type(scope, node.element, context=context, in_evidence=in_evidence))
        if isinstance(node, nodes.MapType):
            key = self.resolve_type(scope, node.key, context=context)
            value = self.resolve_type(scope, node.value, context=context, in_evidence=in_evidence)
            if not isinstance(key, Choice):
                if not isinstance(key, AnyType):
                    self.ctx.error(
                        "types.mismatch",
                        f"a map's keys must be an enumeration, not {key.display()}",
                        node.key.span,
                        "declare the keys with `enum`, then write `map of KEYS to VALUES`",
                    )
                return ERROR
            return MapOf(key, value)
        if isinstance(node, nodes.InlineEnum):
            qualname = f"{scope.module}.{context}"
            symbols = []
            seen: set[str] = set()
            for rank, member in enumerate(node.members):
                if member.name.text in seen:
                    self.ctx.error("names.duplicate", f"`{member.name.text}` is listed twice", member.name.span)
                    continue
                seen.add(member.name.text)
                symbols.append(
                    Symbol(qualname, member.name.text, rank, False, member.label.value if member.label else None)
                )
            names = ", ".join(s.name for s in symbols)
            symbol_set = SymbolSet(kind="enum", qualname=qualname, name=f"one of ({names})", members=tuple(symbols))
            scope.symbol_sets.append(symbol_set)
            return Choice((symbol_set,))
        if isinstance(node, nodes.CollectType):
            if not allow_collect:
                self.ctx.error(
                    "types.mismatch",
                    "`collect` only applies to a judgement's type",
                    node.span,
                    "write `judgement NAME: collect OUTCOME_TYPE` to gather every matching clause",
                )
            return self.resolve_type(scope, node.element, context=context)
        # named type, possibly a union
        resolved: list[Any] = []
        for qualified in node.names:
            resolved.append(self.resolve_type_name(scope, qualified))
        if len(resolved) == 1:
            single = resolved[0]
            if isinstance(single, SymbolSet):
                return Choice((single,))
            return single  # type: ignore[no-any-return]
        sets: list[SymbolSet] = []
        base: Any = None
        for qualified, item in zip(node.names, resolved, strict=True):
            if isinstance(item, SymbolSet):
                sets.append(item)
            elif isinstance(item, AnyType):
                return ERROR
            elif item in PRIMITIVES.values() and base is None:
                base = item
            else:
                self.ctx.error(
                    "types.mismatch",
                    f"`{qualified.dotted}` cannot be part of an `or` type",
                    qualified.span,
                    "`or` joins scales, enumerations and outcomes, and at most one of text, integer, "
                    "decimal, boolean or date: `date or not_applicable`",
                )
                return ERROR
        if not sets:
            self.ctx.error("types.mismatch", "an `or` type needs a scale, enumeration or outcome", node.span)
            return ERROR
        return Choice(tuple(sets), base)

    def ranged_type(self, scope: FileScope, node: nodes.RangedType, *, in_evidence: bool) -> Type:
        """`integer from 1 to 4`: the number type with its bounds, or ERROR after saying what is wrong."""
        base = self.resolve_type_name(scope, node.base)
        if isinstance(base, AnyType):
            return ERROR
        if base not in (INTEGER, DECIMAL):
            self.ctx.error(
                "types.mismatch",
                f"only a number can have a range, not `{node.base.dotted}`",
                node.span,
                "write a range after `integer` or `decimal`: `score: integer from 1 to 4`",
            )
            return ERROR
        assert isinstance(base, Prim)
        written = _written(node)
        if not in_evidence:
            self.ctx.error(
                "types.mismatch",
                f"`{written}`: a range describes evidence, and only evidence is checked against it",
                node.span,
                f"declare the range on the evidence field, and write `{base.name}` here",
            )
            return base
        bounds = [b for b in (node.low, node.high) if b is not None]
        if base == INTEGER and any(b != b.to_integral_value() for b in bounds):
            low = node.low.to_integral_value(ROUND_CEILING)
            high = None if node.high is None else node.high.to_integral_value(ROUND_FLOOR)
            if high is None or low <= high:
                suggestion = f"integer from {low}" + ("" if high is None else f" to {high}")
                self.ctx.error(
                    "types.mismatch",
                    f"`{written}`: the bounds of an integer range are whole numbers",
                    node.span,
                    f"write `{suggestion}`, or make the field `decimal`",
                )
                return base
            self.empty_range(node, written, "no whole number lies between its bounds")
            return base
        if node.high is not None and node.low > node.high:
            self.empty_range(node, written, f"its lower bound {node.low} is above its upper bound {node.high}")
            return base
        return attrs.evolve(base, low=node.low, high=node.high)

    def empty_range(self, node: nodes.RangedType, written: str, why: str) -> None:
        swapped = ""
        if node.high is not None and node.low > node.high:
            swapped = f": `{node.base.dotted} from {node.high} to {node.low}`"
        self.ctx.error(
            "types.empty-range",
            f"`{written}` holds no value: {why}",
            node.span,
            f"write the smaller bound first{swapped}" if swapped else "widen the range so that a value fits",
        )

    def resolve_type_name(self, scope: FileScope, qualified: nodes.QualifiedName) -> SymbolSet | Type:
        parts = [p.text for p in qualified.parts]
        entity: Any
        if len(parts) == 1 and parts[0] in PRIMITIVES:
            return PRIMITIVES[parts[0]]
        entity = scope.names.get(parts[0]) if len(parts) == 2 else scope.types.get(parts[0])
        if entity is None and parts[0] in scope.failed_imports:
            return ERROR  # its import failed, and said so
        if len(parts) == 2:
            if isinstance(entity, ModuleEntity):
                self.ctx.refer(qualified.parts[0].span, entity)
                entity = entity.scope.type_exports.get(parts[1])
                if entity is None:
                    self.ctx.error(
                        "names.unknown",
                        f"unknown type `{qualified.dotted}`",
                        qualified.span,
                        did_you_mean(parts[1], type_names(self.scopes_of(scope, parts[0]))),
                    )
                    return ERROR
            elif entity is not None:
                self.ctx.error(
                    "names.unknown",
                    f"`{parts[0]}` is not a module, so `{qualified.dotted}` is not a type",
                    qualified.span,
                )
                return ERROR
        if isinstance(entity, SymbolSetEntity | RecordEntity):
            self.ctx.refer(qualified.parts[-1].span, entity)
        if isinstance(entity, SymbolSetEntity):
            return entity.symbol_set
        if isinstance(entity, RecordEntity):
            return entity.record
        if entity is None:
            self.ctx.error(
                "names.unknown",
                f"unknown type `{qualified.dotted}`",
                qualified.span,
                did_you_mean(qualified.dotted, [*PRIMITIVES, *type_names(scope)])
                or "types are text, integer, decimal, boolean, date, duration, or a declared scale, enum or record",
            )
            return ERROR
        self.ctx.error(
            "types.mismatch",
            f"`{qualified.dotted}` is not a type",
            qualified.span,
            "types are text, integer, decimal, boolean, date, duration, or a declared scale, enum or record",
        )
        return ERROR

    def scopes_of(self, scope: FileScope, alias: str) -> FileScope:
        entity = scope.names.get(alias)
        return entity.scope if isinstance(entity, ModuleEntity) else scope

    def decision_type(self, scope: FileScope, decision: DecisionEntity) -> None:
        decl = decision.decl
        if isinstance(decl, nodes.CheckDecl):
            decision.outcome_type = CHECK_OUTCOME
            return
        decision.collect = isinstance(decl.type, nodes.CollectType)
        decision.outcome_type = self.resolve_type(scope, decl.type, context=decl.name.text, allow_collect=True)

    def check_schema_depth(self, scope: FileScope, evidence: RecordType, where: Span) -> None:
        """Refuse records nested deeper than evidence can be (iterative: the schema may be deep)."""
        chain = deepest_chain(evidence)  # chain[i] sits i levels deep: the evidence itself is level 0
        if len(chain) - 1 <= MAX_SCHEMA_DEPTH:
            return
        spans = {
            id(entity.record): entity.span
            for module_scope in self.ctx.scopes.values()
            for entity in module_scope.types.values()
            if isinstance(entity, RecordEntity)
        }
        deep = chain[MAX_SCHEMA_DEPTH + 1]
        self.ctx.error(
            "types.too-deep",
            f"the evidence nests records {len(chain) - 1} levels deep, through `{chain[1].name}` to "
            f"`{chain[-1].name}`; evidence is never more than {MAX_SCHEMA_DEPTH} levels deep",
            spans.get(id(deep), where),
            f"`{deep.name}` and the records inside it could never be given: flatten the records, "
            "or make a record contain itself for evidence of any depth",
        )

    def check_dated_by(self, evidence: RecordType, path: tuple[nodes.Name, ...]) -> None:
        record: Type = evidence
        for index, name in enumerate(path):
            if not isinstance(record, RecordType):
                self.ctx.error(
                    "types.mismatch",
                    f"`{'.'.join(n.text for n in path[:index])}` is not a record",
                    name.span,
                )
                return
            info = record.fields.get(name.text)
            if info is None:
                self.ctx.error(
                    "names.unknown",
                    f"the evidence has no field `{name.text}`",
                    name.span,
                    did_you_mean(name.text, record.fields),
                )
                return
            self.ctx.refer(name.span, RecordField(record, info))
            record = info.type
        if record != DATE and not isinstance(record, AnyType):
            self.ctx.error(
                "types.mismatch",
                f"`dated by` needs a date field, but this field is {record.display()}",
                path[-1].span,
            )


def _written(node: nodes.RangedType) -> str:
    """The ranged type as written (the formatter's layout, which comes later in the pipeline)."""
    high = "" if node.high is None else f" to {node.high:f}"
    return f"{node.base.dotted} from {node.low:f}{high}"


def deepest_chain(root: RecordType) -> list[RecordType]:
    """The longest chain of records nested in `root` (root first), not going round a record that contains itself."""
    best: list[RecordType] = [root]
    stack: list[tuple[RecordType, list[RecordType]]] = [(root, [root])]
    longest: dict[int, int] = {}
    while stack:
        record, path = stack.pop()
        if len(path) > len(best):
            best = path
        if longest.get(id(record), -1) >= len(path):
            continue  # reached before by a longer way: nothing deeper from here
        longest[id(record)] = len(path)
        for info in record.fields.values():
            inner: Type = info.type
            while isinstance(inner, ListOf | SetOf | MapOf):
                inner = inner.value if isinstance(inner, MapOf) else inner.element
            if isinstance(inner, RecordType) and all(inner is not r for r in path):
                stack.append((inner, [*path, inner]))
    return best

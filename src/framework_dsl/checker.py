"""The check stage: parsed files -> checked frameworks (`ir.Framework`) + diagnostics.

Before any evidence is seen, the checker:
- resolves every name (fields, definitions, judgements, grades, members, modules),
  suggesting the nearest known name when one is unknown;
- gives every expression a type and rejects what cannot work (comparing a grade with
  a number, `worst of` a list of dates, an outcome outside the judgement's type);
- proves each judgement without `otherwise` exhaustive (its clauses cover every member
  of one subject) and reports clauses that can never be chosen;
- reports cycles between judgements and definitions, naming the cycle.
A bad expression gets the error type, which matches everything, so one mistake gives
one diagnostic. All diagnostics are collected; none is raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from framework_dsl import ir, nodes
from framework_dsl.diagnostics import Diagnostic, Label, did_you_mean
from framework_dsl.loader import LoadedFile, LoadedRules
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
from framework_dsl.typesystem import (
    ANY,
    BOOLEAN,
    CHECK_OUTCOME,
    DATE,
    DECIMAL,
    DURATION,
    ERROR,
    INTEGER,
    PRIMITIVES,
    TEXT,
    AnyType,
    Choice,
    Duration,
    FieldInfo,
    ListOf,
    MapOf,
    RecordType,
    SetOf,
    Symbol,
    SymbolSet,
    Type,
    assignable,
    compatible,
    element_type,
    unify,
)

RESULT_STATUSES = ("evaluated", "invalid_evidence", "not_in_force")
# Far beyond any published framework's chain of reasoning, and shallow enough that
# checking and evaluating a chain stays well inside Python's recursion limit.
MAX_DEPENDENCY_DEPTH = 48
# Evidence is never nested deeper than this (`evidence.Limits.max_depth`): a schema whose
# records nest deeper, not through a record that contains itself, describes evidence
# that cannot be given, and every stage that walks the schema stays within this depth.
MAX_SCHEMA_DEPTH = 64
BUILT_IN_FIELDS = ("framework", "subject")

# ---------------------------------------------------------------- entities in scope


@attrs.frozen(eq=False)
class _SymbolSetEntity:
    symbol_set: SymbolSet
    span: Span


@attrs.frozen(eq=False)
class _RecordEntity:
    record: RecordType
    span: Span


@attrs.frozen(eq=False)
class _FieldEntity:
    info: FieldInfo
    span: Span


@attrs.frozen(eq=False)
class _ModuleEntity:
    scope: _FileScope
    span: Span


@attrs.define(eq=False)
class _DefineEntity:
    key: str
    decl: nodes.DefineDecl
    scope: _FileScope
    span: Span
    type: Type | None = None
    visiting: bool = False
    result: ir.Definition | None = None


@attrs.define(eq=False)
class _DecisionEntity:
    key: str
    decl: nodes.JudgementDecl | nodes.CheckDecl
    span: Span
    outcome_type: Type = ERROR  # one decision's outcome (element type for collect)
    collect: bool = False

    @property
    def value_type(self) -> Type:
        """The type other rules see when they name this judgement."""
        one: Type = ListOf(self.outcome_type) if self.collect else self.outcome_type
        return ListOf(one) if self.decl.for_each is not None else one


_Entity = _SymbolSetEntity | _RecordEntity | _FieldEntity | _ModuleEntity | _DefineEntity | _DecisionEntity


@attrs.define(eq=False)
class _FileScope:
    file: LoadedFile
    names: dict[str, Any] = attrs.field(factory=dict)  # values: fields, definitions, judgements, modules
    types: dict[str, Any] = attrs.field(factory=dict)  # scales, enumerations, outcomes, records
    exports: dict[str, Any] = attrs.field(factory=dict)
    type_exports: dict[str, Any] = attrs.field(factory=dict)
    decisions: dict[str, Any] = attrs.field(factory=dict)  # judgements and checks, by name
    symbol_sets: list[SymbolSet] = attrs.field(factory=list)

    @property
    def module(self) -> str:
        return self.file.module

    def visible_symbol_sets(self) -> Iterator[SymbolSet]:
        seen: set[int] = set()
        for entity in self.types.values():
            if isinstance(entity, _SymbolSetEntity) and id(entity.symbol_set) not in seen:
                seen.add(id(entity.symbol_set))
                yield entity.symbol_set
        for symbol_set in self.symbol_sets:  # inline enums
            if id(symbol_set) not in seen:
                seen.add(id(symbol_set))
                yield symbol_set


@attrs.define
class _Env:
    """What an expression can see: the file scope, loop variables, and whose body it is."""

    scope: _FileScope
    locals: dict[str, Type]
    owner: str | None  # key of the definition or judgement being checked
    for_each: nodes.Expr | None = None  # the list a for-each decision runs over


def check_program(loaded: LoadedRules) -> tuple[dict[str, ir.Framework], list[Diagnostic]]:
    """Check every loaded file; return the frameworks that checked cleanly and all diagnostics."""
    checker = _Checker(loaded)
    frameworks = checker.run()
    return frameworks, checker.diagnostics


class _Checker:
    def __init__(self, loaded: LoadedRules) -> None:
        self.loaded = loaded
        self.diagnostics: list[Diagnostic] = list(loaded.diagnostics)
        self.scopes: dict[tuple[str, str], _FileScope] = {}
        self.definitions: dict[str, ir.Definition] = {}
        self.dependencies: dict[str, set[str]] = {}
        self.entities_by_key: dict[str, _DefineEntity | _DecisionEntity] = {}
        self._define_depth = 0

    # -- reporting

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None, **extra: Any) -> None:
        self.diagnostics.append(Diagnostic(code=code, message=message, span=span, hint=hint, **extra))

    # -- driver

    def run(self) -> dict[str, ir.Framework]:
        for file in self._dependency_order():
            self._check_file(file)
        frameworks: dict[str, ir.Framework] = {}
        seen: dict[str, nodes.FrameworkDecl] = {}
        for file in self.loaded.files:
            header = file.framework
            if header is None:
                continue
            if header.name.text in seen:
                self.error(
                    "modules.duplicate-framework",
                    f"the framework `{header.name.text}` is declared twice",
                    header.name.span,
                    "each framework is declared by one file; rename one or remove it",
                    labels=(Label(seen[header.name.text].name.span, "first declared here"),),
                )
                continue
            seen[header.name.text] = header
            framework = self._build_framework(file)
            if framework is not None:
                frameworks[framework.name] = framework
        self._report_cycles()
        return frameworks

    def _dependency_order(self) -> list[LoadedFile]:
        by_module = {(str(f.root), f.module): f for f in self.loaded.files}
        order: list[LoadedFile] = []
        state: dict[int, int] = {}

        def visit(file: LoadedFile) -> None:
            state[id(file)] = 1
            for module in file.imports.values():
                target = by_module.get((str(file.root), module))
                if target is not None and id(target) not in state:
                    visit(target)
            state[id(file)] = 2
            order.append(file)

        for file in self.loaded.files:
            if id(file) not in state:
                visit(file)
        return order

    # -- one file

    def _check_file(self, file: LoadedFile) -> None:
        scope = _FileScope(file=file)
        self.scopes[(str(file.root), file.module)] = scope
        is_framework = file.framework is not None
        items = file.tree.items

        headers = [i for i in items if isinstance(i, nodes.FrameworkDecl)]
        for extra in headers[1:]:
            self.error(
                "names.duplicate",
                "a file declares one framework; this is a second `framework` line",
                extra.span,
                "split the second framework into its own file",
            )

        # 1. vocabulary and record shells
        for item in items:
            if isinstance(item, nodes.OutcomeDecl):
                symbol_set = SymbolSet(
                    kind="outcome",
                    qualname=f"{file.module}.{item.name.text}",
                    name=item.name.text,
                    members=(
                        Symbol(
                            f"{file.module}.{item.name.text}",
                            item.name.text,
                            0,
                            False,
                            item.label.value if item.label else None,
                        ),
                    ),
                    label=item.label.value if item.label else None,
                )
                self._declare(scope, item.name, _SymbolSetEntity(symbol_set, item.name.span), export=True)
            elif isinstance(item, nodes.ScaleDecl):
                self._declare_symbols(scope, item, "scale", [(g.name, g.label) for g in item.grades])
            elif isinstance(item, nodes.EnumDecl):
                self._declare_symbols(scope, item, "enum", [(m.name, m.label) for m in item.members])
            elif isinstance(item, nodes.RecordDecl):
                record = RecordType(qualname=f"{file.module}.{item.name.text}", name=item.name.text)
                self._declare(scope, item.name, _RecordEntity(record, item.name.span), export=True)

        # 2. imports
        for item in items:
            if isinstance(item, nodes.ImportModule | nodes.ImportNames):
                self._import(scope, item)

        # 3. record fields and the evidence schema
        for item in items:
            if isinstance(item, nodes.RecordDecl):
                entity = scope.types.get(item.name.text)
                if isinstance(entity, _RecordEntity) and not entity.record.fields:
                    self._fill_record(scope, entity.record, item.fields)
        evidence = RecordType(qualname=f"{file.module}.evidence", name="evidence", open_fields=frozenset({"subject"}))
        evidence.fields["framework"] = FieldInfo("framework", TEXT, True, "The framework this evidence is for")
        evidence_blocks = [i for i in items if isinstance(i, nodes.EvidenceDecl)]
        for block in evidence_blocks:
            for field in block.fields:
                if field.name.text in BUILT_IN_FIELDS:
                    self.error(
                        "names.duplicate",
                        f"`{field.name.text}` is a built-in evidence field",
                        field.name.span,
                        "every evidence document may carry `framework` and `subject`; choose another name",
                    )
                    continue
            self._fill_record(scope, evidence, [f for f in block.fields if f.name.text not in BUILT_IN_FIELDS])
        for block in evidence_blocks:
            for field in block.fields:
                info = evidence.fields.get(field.name.text)
                if info is not None and field.name.text not in BUILT_IN_FIELDS:
                    self._declare(scope, field.name, _FieldEntity(info, field.name.span), export=False)
        scope.names.setdefault("__evidence__", evidence)

        # 4. definitions and decisions
        for item in items:
            if isinstance(item, nodes.DefineDecl):
                key = f"{file.module}:{item.name.text}"
                entity = _DefineEntity(key=key, decl=item, scope=scope, span=item.name.span)
                if self._declare(scope, item.name, entity, export=True):
                    self.entities_by_key[key] = entity
            elif isinstance(item, nodes.JudgementDecl | nodes.CheckDecl):
                key = f"{file.module}:{item.name.text}"
                decision = _DecisionEntity(key=key, decl=item, span=item.name.span)
                if item.name.text in scope.decisions:
                    self._declare(scope, item.name, decision, export=False)  # reports the duplicate
                    continue
                # A decision may share its name with an evidence field (CQC's contract names
                # both `special_measures`): in expressions the bare name then reads the field,
                # and examples still expect the decision by that name.
                shares_field = isinstance(scope.names.get(item.name.text), _FieldEntity)
                if shares_field or self._declare(scope, item.name, decision, export=False):
                    scope.decisions[item.name.text] = decision
                    self.entities_by_key[key] = decision
                    self._decision_type(scope, decision)

        if not is_framework:
            for item in items:
                if isinstance(item, nodes.EvidenceDecl | nodes.JudgementDecl | nodes.CheckDecl | nodes.ExampleDecl):
                    kind = type(item).__name__.removesuffix("Decl").lower()
                    self.error(
                        "modules.not-allowed",
                        f"a shared module cannot hold {'an' if kind[0] in 'aeiou' else 'a'} {kind}",
                        item.span,
                        "start this file with a `framework` line, or move this into a framework file",
                    )

        # 5. bodies
        for item in items:
            if isinstance(item, nodes.DefineDecl):
                entity = scope.names.get(item.name.text)
                if isinstance(entity, _DefineEntity) and entity.decl is item:
                    self._define(entity)

    def _declare(self, scope: _FileScope, name: nodes.Name, entity: Any, *, export: bool) -> bool:
        is_type = isinstance(entity, _SymbolSetEntity | _RecordEntity)
        is_value = not is_type or (isinstance(entity, _SymbolSetEntity) and entity.symbol_set.kind == "outcome")
        namespaces = [(scope.types, scope.type_exports)] if is_type else []
        if is_value:
            namespaces.append((scope.names, scope.exports))
        existing = next((space[name.text] for space, _ in namespaces if name.text in space), None)
        if existing is not None:
            self.error(
                "names.duplicate",
                f"`{name.text}` is declared twice",
                name.span,
                "give each declaration its own name",
                labels=(Label(existing.span, "first declared here"),),
            )
            return False
        for space, exports in namespaces:
            space[name.text] = entity
            if export:
                exports[name.text] = entity
        return True

    def _declare_symbols(
        self,
        scope: _FileScope,
        item: nodes.ScaleDecl | nodes.EnumDecl,
        kind: str,
        members: list[tuple[nodes.Name, nodes.Text | None]],
    ) -> None:
        qualname = f"{scope.module}.{item.name.text}"
        symbols: list[Symbol] = []
        seen: dict[str, nodes.Name] = {}
        for rank, (name, label) in enumerate(members):
            if name.text in seen:
                self.error(
                    "names.duplicate",
                    f"`{name.text}` appears twice in `{item.name.text}`",
                    name.span,
                    "list each grade or member once",
                    labels=(Label(seen[name.text].span, "first listed here"),),
                )
                continue
            seen[name.text] = name
            symbols.append(Symbol(qualname, name.text, rank, kind == "scale", label.value if label else None))
        symbol_set = SymbolSet(
            kind=kind,
            qualname=qualname,
            name=item.name.text,
            members=tuple(symbols),
            label=item.label.value if item.label else None,
        )
        self._declare(scope, item.name, _SymbolSetEntity(symbol_set, item.name.span), export=True)

    def _import(self, scope: _FileScope, item: nodes.ImportModule | nodes.ImportNames) -> None:
        module = scope.file.imports.get(id(item))
        if module is None:
            return  # the loader reported it
        target = self.scopes.get((str(scope.file.root), module))
        if target is None:
            return  # part of an import cycle, reported by the loader
        if isinstance(item, nodes.ImportModule):
            alias = item.alias or item.path[-1]
            self._declare(scope, alias, _ModuleEntity(target, alias.span), export=False)
            return
        for name in item.names:
            found = [
                (space, entity)
                for space, exports in ((scope.names, target.exports), (scope.types, target.type_exports))
                if (entity := exports.get(name.text)) is not None
            ]
            if not found:
                declared = [*target.exports, *target.type_exports]
                self.error(
                    "names.unknown",
                    f"the module `{module}` has no `{name.text}`",
                    name.span,
                    did_you_mean(name.text, declared) or _listing("it declares", declared),
                )
                continue
            for space, entity in found:
                existing = space.get(name.text)
                if existing is entity:
                    continue
                if existing is not None:
                    self.error(
                        "names.duplicate",
                        f"`{name.text}` is imported but is already declared here",
                        name.span,
                        f"import the module instead (`import {module}`) and write "
                        f"`{module.split('.')[-1]}.{name.text}`",
                        labels=(Label(existing.span, "declared here"),),
                    )
                    break
                space[name.text] = entity

    # -- types

    def _fill_record(self, scope: _FileScope, record: RecordType, fields: Iterable[nodes.FieldDecl]) -> None:
        spans: dict[str, Span] = {}
        for field in fields:
            if field.name.text in record.fields or field.name.text in spans:
                self.error(
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
            field_type = self._resolve_type(scope, inner, context=f"{record.name}.{field.name.text}")
            record.fields[field.name.text] = FieldInfo(
                field.name.text,
                field_type,
                optional,
                field.description.value if field.description else None,
            )

    def _resolve_type(
        self, scope: _FileScope, node: nodes.TypeExpr, *, context: str, allow_collect: bool = False
    ) -> Type:
        if isinstance(node, nodes.OptionalType):
            self.error(
                "types.mismatch",
                "`optional` describes an evidence field that may be absent",
                node.span,
                "write `optional` only right after a field's colon: `impact: optional impact_level`",
            )
            return self._resolve_type(scope, node.inner, context=context)
        if isinstance(node, nodes.ListType):
            return ListOf(self._resolve_type(scope, node.element, context=context))
        if isinstance(node, nodes.SetType):
            return SetOf(self._resolve_type(scope, node.element, context=context))
        if isinstance(node, nodes.MapType):
            key = self._resolve_type(scope, node.key, context=context)
            value = self._resolve_type(scope, node.value, context=context)
            if not isinstance(key, Choice):
                if not isinstance(key, AnyType):
                    self.error(
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
                    self.error("names.duplicate", f"`{member.name.text}` is listed twice", member.name.span)
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
                self.error(
                    "types.mismatch",
                    "`collect` only applies to a judgement's type",
                    node.span,
                    "write `judgement NAME: collect OUTCOME_TYPE` to gather every matching clause",
                )
            return self._resolve_type(scope, node.element, context=context)
        # named type, possibly a union
        resolved: list[Any] = []
        for qualified in node.names:
            resolved.append(self._resolve_type_name(scope, qualified))
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
                self.error(
                    "types.mismatch",
                    f"`{qualified.dotted}` cannot be part of an `or` type",
                    qualified.span,
                    "`or` joins scales, enumerations and outcomes, and at most one of text, integer, "
                    "decimal, boolean or date: `date or not_applicable`",
                )
                return ERROR
        if not sets:
            self.error("types.mismatch", "an `or` type needs a scale, enumeration or outcome", node.span)
            return ERROR
        return Choice(tuple(sets), base)

    def _resolve_type_name(self, scope: _FileScope, qualified: nodes.QualifiedName) -> SymbolSet | Type:
        parts = [p.text for p in qualified.parts]
        entity: Any
        if len(parts) == 1 and parts[0] in PRIMITIVES:
            return PRIMITIVES[parts[0]]
        entity = scope.names.get(parts[0]) if len(parts) == 2 else scope.types.get(parts[0])
        if len(parts) == 2:
            if isinstance(entity, _ModuleEntity):
                entity = entity.scope.type_exports.get(parts[1])
                if entity is None:
                    self.error(
                        "names.unknown",
                        f"unknown type `{qualified.dotted}`",
                        qualified.span,
                        did_you_mean(parts[1], _type_names(self.scopes_of(scope, parts[0]))),
                    )
                    return ERROR
            elif entity is not None:
                self.error(
                    "names.unknown",
                    f"`{parts[0]}` is not a module, so `{qualified.dotted}` is not a type",
                    qualified.span,
                )
                return ERROR
        if isinstance(entity, _SymbolSetEntity):
            return entity.symbol_set
        if isinstance(entity, _RecordEntity):
            return entity.record
        if entity is None:
            self.error(
                "names.unknown",
                f"unknown type `{qualified.dotted}`",
                qualified.span,
                did_you_mean(qualified.dotted, [*PRIMITIVES, *_type_names(scope)])
                or "types are text, integer, decimal, boolean, date, duration, or a declared scale, enum or record",
            )
            return ERROR
        self.error(
            "types.mismatch",
            f"`{qualified.dotted}` is not a type",
            qualified.span,
            "types are text, integer, decimal, boolean, date, duration, or a declared scale, enum or record",
        )
        return ERROR

    def scopes_of(self, scope: _FileScope, alias: str) -> _FileScope:
        entity = scope.names.get(alias)
        return entity.scope if isinstance(entity, _ModuleEntity) else scope

    def _decision_type(self, scope: _FileScope, decision: _DecisionEntity) -> None:
        decl = decision.decl
        if isinstance(decl, nodes.CheckDecl):
            decision.outcome_type = CHECK_OUTCOME
            return
        decision.collect = isinstance(decl.type, nodes.CollectType)
        decision.outcome_type = self._resolve_type(scope, decl.type, context=decl.name.text, allow_collect=True)

    # -- definitions

    def _define(self, entity: _DefineEntity) -> Type:
        if entity.type is not None:
            return entity.type
        if entity.visiting:
            return ERROR  # a cycle: reported once, by _report_cycles
        if self._define_depth > MAX_DEPENDENCY_DEPTH:
            return ERROR  # too deep a chain: reported once, by _report_cycles; checked on its own turn
        self._define_depth += 1
        try:
            return self._define_now(entity)
        finally:
            self._define_depth -= 1

    def _define_now(self, entity: _DefineEntity) -> Type:
        entity.visiting = True
        decl = entity.decl
        env = _Env(entity.scope, {}, entity.key)
        declared = (
            self._resolve_type(entity.scope, decl.type, context=decl.name.text) if decl.type is not None else None
        )
        value = self.expr(decl.value, env, declared)
        value_type = value.type
        if declared is not None:
            if not assignable(value_type, declared):
                self.error(
                    "types.mismatch",
                    f"`{decl.name.text}` is declared {declared.display()} but its value is {value_type.display()}",
                    _expr_span(decl.value),
                )
            value_type = declared
        entity.type = value_type
        entity.visiting = False
        entity.result = ir.Definition(
            key=entity.key, name=decl.name.text, value=value, type=value_type, span=decl.name.span
        )
        self.definitions[entity.key] = entity.result
        return value_type

    # -- frameworks

    def _build_framework(self, file: LoadedFile) -> ir.Framework | None:
        scope = self.scopes.get((str(file.root), file.module))
        header = file.framework
        if scope is None or header is None:
            return None
        evidence: RecordType = scope.names["__evidence__"]
        if header.effective_from and header.effective_until and header.effective_until < header.effective_from:
            self.error(
                "framework.invalid-dates",
                f"`{header.name.text}` stops being in force ({header.effective_until}) before it starts "
                f"({header.effective_from})",
                header.span,
                "check the `effective from` and `until` dates",
            )
        if header.effective_from is None:
            self.error(
                "framework.missing-header",
                f"the framework `{header.name.text}` does not say when it came into force",
                header.name.span,
                "add `effective from YYYY-MM-DD` to the framework line",
            )
        dated_by: tuple[str, ...] | None = None
        if header.dated_by is not None:
            dated_by = tuple(n.text for n in header.dated_by)
            self._check_dated_by(evidence, header.dated_by)
        self._check_schema_depth(scope, evidence, header.span)
        judgements: list[ir.Judgement] = []
        checks: list[ir.Judgement] = []
        for item in file.tree.items:
            if isinstance(item, nodes.JudgementDecl | nodes.CheckDecl):
                entity = scope.decisions.get(item.name.text)
                if isinstance(entity, _DecisionEntity) and entity.decl is item:
                    built = self._decision(scope, entity)
                    (checks if isinstance(item, nodes.CheckDecl) else judgements).append(built)
        examples = [self._example(scope, item) for item in file.tree.items if isinstance(item, nodes.ExampleDecl)]
        definitions = {key: d for key, d in self.definitions.items() if self._visible_definition(file, key)}
        return ir.Framework(
            name=header.name.text,
            title=header.title.value,
            source_text=header.source_text.value if header.source_text else None,
            effective_from=header.effective_from,
            effective_until=header.effective_until,
            dated_by=dated_by,
            evidence=evidence,
            definitions=definitions,
            judgements=tuple(judgements),
            checks=tuple(checks),
            examples=tuple(e for e in examples if e is not None),
            symbol_sets=tuple(scope.visible_symbol_sets()),
            path=file.source.path,
            span=header.span,
        )

    def _check_schema_depth(self, scope: _FileScope, evidence: RecordType, where: Span) -> None:
        """Refuse records nested deeper than evidence can be (iterative: the schema may be deep)."""
        chain = _deepest_chain(evidence)  # chain[i] sits i levels deep: the evidence itself is level 0
        if len(chain) - 1 <= MAX_SCHEMA_DEPTH:
            return
        spans = {
            id(entity.record): entity.span
            for module_scope in self.scopes.values()
            for entity in module_scope.types.values()
            if isinstance(entity, _RecordEntity)
        }
        deep = chain[MAX_SCHEMA_DEPTH + 1]
        self.error(
            "types.too-deep",
            f"the evidence nests records {len(chain) - 1} levels deep, through `{chain[1].name}` to "
            f"`{chain[-1].name}`; evidence is never more than {MAX_SCHEMA_DEPTH} levels deep",
            spans.get(id(deep), where),
            f"`{deep.name}` and the records inside it could never be given: flatten the records, "
            "or make a record contain itself for evidence of any depth",
        )

    def _visible_definition(self, file: LoadedFile, key: str) -> bool:
        module = key.split(":", 1)[0]
        return any(f.module == module and f.root == file.root for f in self.loaded.files)

    def _check_dated_by(self, evidence: RecordType, path: tuple[nodes.Name, ...]) -> None:
        record: Type = evidence
        for index, name in enumerate(path):
            if not isinstance(record, RecordType):
                self.error(
                    "types.mismatch",
                    f"`{'.'.join(n.text for n in path[:index])}` is not a record",
                    name.span,
                )
                return
            info = record.fields.get(name.text)
            if info is None:
                self.error(
                    "names.unknown",
                    f"the evidence has no field `{name.text}`",
                    name.span,
                    did_you_mean(name.text, record.fields),
                )
                return
            record = info.type
        if record != DATE and not isinstance(record, AnyType):
            self.error(
                "types.mismatch",
                f"`dated by` needs a date field, but this field is {record.display()}",
                path[-1].span,
            )

    def _decision(self, scope: _FileScope, entity: _DecisionEntity) -> ir.Judgement:
        decl = entity.decl
        env = _Env(scope, {}, entity.key)
        for_var = None
        for_source = None
        if decl.for_each is not None:
            for_source = self.expr(decl.for_each.source, env, None)
            item_type = element_type(for_source.type)
            if item_type is None:
                self.error(
                    "types.mismatch",
                    f"`for each` needs a list, but this is {for_source.type.display()}",
                    _expr_span(decl.for_each.source),
                )
                item_type = ERROR
            for_var = decl.for_each.var.text
            env.locals[for_var] = item_type
            env.for_each = decl.for_each.source
        clauses: list[ir.Clause] = []
        for index, clause in enumerate(decl.clauses):
            clauses.append(self._clause(env, entity, clause, index))
        self._check_clause_order(entity, decl.clauses, clauses)
        return ir.Judgement(
            key=entity.key,
            name=decl.name.text,
            kind="check" if isinstance(decl, nodes.CheckDecl) else "judgement",
            for_each_var=for_var,
            for_each_source=for_source,
            type=entity.outcome_type,
            collect=entity.collect,
            clauses=tuple(clauses),
            span=decl.name.span,
        )

    def _clause(self, env: _Env, entity: _DecisionEntity, clause: nodes.Clause, index: int) -> ir.Clause:
        expected = entity.outcome_type
        outcome = self.expr(clause.outcome, env, expected, outcome_of=entity)
        if not assignable(outcome.type, expected):
            self.error(
                "types.mismatch",
                f"`{entity.decl.name.text}` gives {expected.display()}, but this outcome is {outcome.type.display()}",
                _expr_span(clause.outcome),
            )
        condition = None
        if isinstance(clause, nodes.WhenClause):
            condition = self.expr(clause.condition, env, BOOLEAN)
            self._expect(condition, BOOLEAN, clause.condition, "a condition")
        reason: list[str | ir.Expr] = []
        if clause.reason is not None:
            for part in clause.reason.parts:
                if isinstance(part, nodes.Interpolation):
                    reason.append(self.expr(part.expr, env, None))
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
            span=clause.span,
        )

    def _check_clause_order(
        self, entity: _DecisionEntity, clauses: tuple[nodes.Clause, ...], built: list[ir.Clause]
    ) -> None:
        if entity.collect:
            return  # every matching clause of a collect fires: none is shadowed by another
        seen_conditions: list[tuple[ir.Expr, nodes.Clause]] = []
        covered: dict[Any, set[str]] = {}
        always: nodes.Clause | None = None
        for clause, checked in zip(clauses, built, strict=True):
            if always is not None:
                self.error(
                    "judgement.unreachable-clause",
                    "this clause can never be chosen",
                    clause.span,
                    f"the clause on line {always.span.line} always applies, so no clause after it is tried",
                    labels=(Label(always.span, "this clause always applies"),),
                )
                continue
            condition = checked.condition
            if condition is None or (isinstance(condition, ir.Const) and condition.value is True):
                always = clause
                continue
            repeat = next((c for cond, c in seen_conditions if cond == condition), None)
            if repeat is not None:
                self.error(
                    "judgement.unreachable-clause",
                    "this clause repeats an earlier condition, so it can never be chosen",
                    clause.span,
                    f"the clause on line {repeat.span.line} has the same condition and is tried first",
                    labels=(Label(repeat.span, "same condition"),),
                )
                continue
            seen_conditions.append((condition, clause))
            case = _case_analysis(condition)
            if case is not None:
                subject, members = case
                already = covered.setdefault(subject, set())
                if members <= already:
                    self.error(
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
        self.error(
            "judgement.not-exhaustive",
            f"`{entity.decl.name.text}` has no `otherwise` clause and every condition may be false",
            entity.decl.name.span,
            missing_hint,
        )

    # -- examples

    def _example(self, scope: _FileScope, item: nodes.ExampleDecl) -> ir.Example | None:
        expectations: list[ir.Expectation] = []
        env = _Env(scope, {}, None)
        for expectation in item.expectations:
            if isinstance(expectation, nodes.ExpectStatus):
                status = expectation.status.text
                if status not in RESULT_STATUSES:
                    self.error(
                        "examples.invalid",
                        f"`{status}` is not a result status",
                        expectation.status.span,
                        did_you_mean(status, RESULT_STATUSES) or _listing("statuses are", RESULT_STATUSES),
                    )
                expectations.append(ir.Expectation(kind="status", name=status, value=None, span=expectation.span))
                continue
            name = expectation.name.text
            entity = scope.decisions.get(name)
            if not isinstance(entity, _DecisionEntity):
                decisions = list(scope.decisions)
                self.error(
                    "names.unknown",
                    f"there is no judgement or check `{name}` to expect",
                    expectation.name.span,
                    did_you_mean(name, decisions),
                )
                continue
            if isinstance(expectation, nodes.ExpectUndetermined):
                expectations.append(ir.Expectation(kind="undetermined", name=name, value=None, span=expectation.span))
                continue
            value = self.expr(expectation.value, env, entity.value_type, outcome_of=entity)
            if not assignable(value.type, entity.value_type):
                self.error(
                    "types.mismatch",
                    f"`{name}` gives {entity.value_type.display()}, but this expectation is {value.type.display()}",
                    _expr_span(expectation.value),
                )
            expectations.append(ir.Expectation(kind="value", name=name, value=value, span=expectation.span))
        evidence_text = None
        evidence_path = None
        display = f"{item.span.source.path}:{item.span.line}"
        if isinstance(item.given, nodes.JsonLiteral):
            evidence_text = item.given.text
        else:
            base = scope.file.path.parent
            target = (base / item.given.path.value).resolve()
            if not _is_inside(target, scope.file.root):
                self.error(
                    "modules.outside-root",
                    f"the example file `{item.given.path.value}` is outside the rules root",
                    item.given.path.span,
                    "examples may only read files inside the rules root",
                )
            elif not target.is_file():
                self.error(
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

    # -- cycles

    def _report_cycles(self) -> None:
        """Report each cycle once, and chains deeper than MAX_DEPENDENCY_DEPTH; iterative."""
        graph = {key: sorted(targets) for key, targets in self.dependencies.items()}
        state: dict[str, int] = {}
        depth: dict[str, int] = {}
        reported: set[frozenset[str]] = set()
        in_cycle = False
        for root in sorted(graph):
            if root in state:
                continue
            path: list[str] = [root]
            iterators = [iter(graph.get(root, ()))]
            state[root] = 1
            while path:
                key = path[-1]
                target = next(iterators[-1], None)
                if target is None:
                    state[key] = 2
                    depth[key] = 1 + max((depth.get(t, 0) for t in graph.get(key, ())), default=0)
                    path.pop()
                    iterators.pop()
                elif state.get(target) == 1:
                    in_cycle = True
                    self._report_cycle(path[path.index(target) :], target, reported)
                elif target not in state:
                    state[target] = 1
                    path.append(target)
                    iterators.append(iter(graph.get(target, ())))
        if in_cycle:
            return
        deepest = max(depth.items(), key=lambda item: (item[1], item[0]), default=None)
        if deepest is not None and deepest[1] > MAX_DEPENDENCY_DEPTH:
            key, length = deepest
            self.error(
                "names.too-deep",
                f"`{key.split(':', 1)[1]}` rests on a chain of {length} judgements and definitions, "
                f"each using the next (at most {MAX_DEPENDENCY_DEPTH})",
                self.entities_by_key[key].span,
                "combine steps of the chain, or compute them side by side rather than one from the next",
            )

    def _report_cycle(self, cycle: list[str], target: str, reported: set[frozenset[str]]) -> None:
        members = frozenset(cycle)
        if members in reported:
            return
        reported.add(members)
        names = " → ".join([*(k.split(":", 1)[1] for k in cycle), target.split(":", 1)[1]])
        self.error(
            "names.cycle",
            f"`{target.split(':', 1)[1]}` depends on itself: {names}",
            self.entities_by_key[target].span,
            "a judgement or definition cannot use its own outcome, even through others",
        )

    # -- expressions

    def _expect(self, node: ir.Expr, wanted: Type, source: nodes.Expr, what: str) -> None:
        if not assignable(node.type, wanted):
            self.error(
                "types.mismatch",
                f"{what} must be {wanted.display()}, but this is {node.type.display()}",
                _expr_span(source),
            )

    def _depend(self, env: _Env, key: str) -> None:
        if env.owner is not None:
            self.dependencies.setdefault(env.owner, set()).add(key)

    def expr(
        self,
        node: nodes.Expr,
        env: _Env,
        expected: Type | None,
        *,
        outcome_of: _DecisionEntity | None = None,
    ) -> ir.Expr:
        """Check one expression; return its IR (with a type) — never raises."""
        span = _expr_span(node)
        if isinstance(node, nodes.Ref):
            return self._ref(node, env, expected, outcome_of)
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
                    self.error(
                        "outcomes.unknown",
                        f'"{node.value}" is not one of {expected.display()}',
                        span,
                        did_you_mean(node.value, [m.name for m in expected.members]),
                    )
                    return ir.Const(value=None, type=ERROR, span=span)
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
            inner = _Env(
                env.scope, {**env.locals, node.var.text: element_type(source.type) or ERROR}, env.owner, env.for_each
            )
            condition = None
            if node.condition is not None:
                condition = self.expr(node.condition, inner, BOOLEAN)
                self._expect(condition, BOOLEAN, node.condition, "the condition after `where`")
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
            inner = _Env(
                env.scope, {**env.locals, node.var.text: element_type(source.type) or ERROR}, env.owner, env.for_each
            )
            condition = self.expr(node.condition, inner, BOOLEAN)
            self._expect(condition, BOOLEAN, node.condition, "the condition after `where`")
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
                self.error(
                    "types.mismatch",
                    f"the items are {item_type.display()}, so they cannot be rated {rated.type.display()}",
                    _expr_span(node.rated),
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
            self._expect(operand, BOOLEAN, node.operand, "the operand of `not`")
            return ir.Unary(op=Op.NOT, operand=operand, type=BOOLEAN, span=span)
        if isinstance(node, nodes.BoolOp):
            left = self.expr(node.left, env, BOOLEAN)
            right = self.expr(node.right, env, BOOLEAN)
            self._expect(left, BOOLEAN, node.left, f"each side of `{node.op}`")
            self._expect(right, BOOLEAN, node.right, f"each side of `{node.op}`")
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
                self.error(
                    "types.mismatch",
                    f"the list holds {items_type.display()}, so it cannot hold {item.type.display()}",
                    _expr_span(node.item),
                )
            op = Op.NOT_IN if node.negated else Op.IN
            return ir.Binary(op=op, left=item, right=collection, type=BOOLEAN, span=span)
        if isinstance(node, nodes.IsCheck):
            operand = self.expr(node.operand, env, None)
            if node.kind == "empty" and element_type(operand.type) is None and operand.type != TEXT:
                self.error(
                    "types.mismatch",
                    f"`is empty` needs a list or a text, but this is {operand.type.display()}",
                    _expr_span(node.operand),
                )
            return ir.Unary(op=Op(f"is_{node.kind}"), operand=operand, type=BOOLEAN, span=span)
        if isinstance(node, nodes.IfMissing):
            value = self.expr(node.value, env, expected)
            default = self.expr(node.default, env, value.type if not isinstance(value.type, AnyType) else expected)
            joined = unify(value.type, default.type)
            if joined is None:
                self.error(
                    "types.mismatch",
                    f"the value is {value.type.display()}, but the default is {default.type.display()}",
                    _expr_span(node.default),
                )
                joined = ERROR
            return ir.Binary(op=Op.IF_MISSING, left=value, right=default, type=joined, span=span)
        if isinstance(node, nodes.Bound):
            value = self.expr(node.value, env, expected)
            limit = self.expr(node.limit, env, value.type)
            if not isinstance(value.type, AnyType) and not (
                isinstance(value.type, Choice) and value.type.scale is not None
            ):
                self.error(
                    "types.mismatch",
                    f"`at {node.kind}` caps or floors a grade, but this is {value.type.display()}",
                    _expr_span(node.value),
                )
            elif not compatible(limit.type, value.type):
                self.error(
                    "types.mismatch",
                    f"the limit must be a grade of {value.type.display()}",
                    _expr_span(node.limit),
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

    def _ref(self, node: nodes.Ref, env: _Env, expected: Type | None, outcome_of: _DecisionEntity | None) -> ir.Expr:
        name = node.name
        span = node.span
        if name in env.locals:
            return ir.Local(name=name, type=env.locals[name], span=span)
        if isinstance(expected, Choice):
            symbol = expected.member(name)
            if symbol is not None:
                return ir.Const(value=symbol, type=expected, span=span)
        if isinstance(expected, ListOf | SetOf) and isinstance(expected.element, Choice):
            symbol = expected.element.member(name)
            if symbol is not None and name not in env.scope.names:
                return ir.Const(value=symbol, type=expected.element, span=span)
        entity = env.scope.names.get(name)
        if entity is None:
            entity = env.scope.types.get(name)  # a type used as a value: reported below
        if entity is not None and not isinstance(entity, RecordType):
            return self._entity_value(entity, name, env, span)
        matches = [
            (symbol_set, symbol)
            for symbol_set in env.scope.visible_symbol_sets()
            for symbol in symbol_set.members
            if symbol.name == name
        ]
        if len(matches) == 1:
            symbol_set, symbol = matches[0]
            return ir.Const(value=symbol, type=Choice((symbol_set,)), span=span)
        if len(matches) > 1:
            self.error(
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
                self.error(
                    "outcomes.unknown",
                    f"unknown {noun} `{name}`: `{outcome_of.decl.name.text}` gives {choice.display()}",
                    span,
                    did_you_mean(name, members) or _listing("its outcomes are", members),
                )
                return ir.Const(value=None, type=ERROR, span=span)
        candidates = [*env.locals, *(n for n in env.scope.names if not n.startswith("__")), *env.scope.types]
        if isinstance(expected, Choice):
            candidates.extend(m.name for m in expected.members)
        candidates.extend(s.name for ss in env.scope.visible_symbol_sets() for s in ss.members)
        self.error(
            "names.unknown",
            f"unknown name `{name}`",
            span,
            did_you_mean(name, candidates),
        )
        return ir.Const(value=None, type=ERROR, span=span)

    def _entity_value(self, entity: Any, name: str, env: _Env, span: Span) -> ir.Expr:
        if isinstance(entity, _FieldEntity):
            return ir.EvidenceField(name=name, type=entity.info.type, optional=entity.info.optional, span=span)
        if isinstance(entity, _DefineEntity):
            self._depend(env, entity.key)
            return ir.DefinitionRef(key=entity.key, type=self._define(entity), span=span)
        if isinstance(entity, _DecisionEntity):
            self._depend(env, entity.key)
            target_each = entity.decl.for_each
            if env.for_each is not None and target_each is not None and target_each.source == env.for_each:
                one: Type = ListOf(entity.outcome_type) if entity.collect else entity.outcome_type
                return ir.JudgementRef(key=entity.key, type=one, per_item=True, span=span)
            return ir.JudgementRef(key=entity.key, type=entity.value_type, span=span)
        if isinstance(entity, _SymbolSetEntity) and entity.symbol_set.kind == "outcome":
            symbol_set = entity.symbol_set
            return ir.Const(value=symbol_set.members[0], type=Choice((symbol_set,)), span=span)
        kind = {
            _SymbolSetEntity: "a scale or enumeration",
            _RecordEntity: "a record type",
            _ModuleEntity: "a module",
        }.get(type(entity), "not a value")
        hint = None
        if isinstance(entity, _SymbolSetEntity) and entity.symbol_set.members:
            hint = f"write `{name}.{entity.symbol_set.members[0].name}` for one of its members"
        self.error("types.mismatch", f"`{name}` is {kind}, not a value", span, hint)
        return ir.Const(value=None, type=ERROR, span=span)

    def _symbol_set_of(self, node: nodes.Expr, env: _Env) -> SymbolSet | None:
        """The scale/enum that `node` names (`rating`, `scales.rating`), if it names one."""
        if isinstance(node, nodes.Ref) and node.name not in env.locals:
            entity = env.scope.types.get(node.name)
            value = env.scope.names.get(node.name)
            if isinstance(value, _FieldEntity) and isinstance(value.info.type, RecordType | MapOf):
                return None  # a record field of the same name: `x.y` reads its field
            if isinstance(entity, _SymbolSetEntity):
                return entity.symbol_set
        if isinstance(node, nodes.FieldAccess) and isinstance(node.target, nodes.Ref):
            module = env.scope.names.get(node.target.name)
            if isinstance(module, _ModuleEntity):
                entity = module.scope.type_exports.get(node.field.text)
                if isinstance(entity, _SymbolSetEntity):
                    return entity.symbol_set
        return None

    def _field_access(
        self, node: nodes.FieldAccess, env: _Env, expected: Type | None, outcome_of: _DecisionEntity | None
    ) -> ir.Expr:
        span = node.span
        symbol_set = self._symbol_set_of(node.target, env)
        if symbol_set is not None:
            symbol = symbol_set.member(node.field.text)
            if symbol is None:
                what = "grade" if symbol_set.kind == "scale" else "member"
                self.error(
                    "outcomes.unknown" if outcome_of is not None else "names.unknown",
                    f"`{node.field.text}` is not a {what} of `{symbol_set.name}`",
                    node.field.span,
                    did_you_mean(node.field.text, [m.name for m in symbol_set.members]),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            return ir.Const(value=symbol, type=Choice((symbol_set,)), span=span)
        if isinstance(node.target, nodes.Ref) and node.target.name not in env.locals:
            module = env.scope.names.get(node.target.name)
            if isinstance(module, _ModuleEntity):
                entity = module.scope.exports.get(node.field.text) or module.scope.type_exports.get(node.field.text)
                if entity is None:
                    self.error(
                        "names.unknown",
                        f"the module `{node.target.name}` has no `{node.field.text}`",
                        node.field.span,
                        did_you_mean(node.field.text, [*module.scope.exports, *module.scope.type_exports]),
                    )
                    return ir.Const(value=None, type=ERROR, span=span)
                return self._entity_value(entity, node.field.text, env, span)
        target = self.expr(node.target, env, None)
        target_type = target.type
        name = node.field.text
        if isinstance(target_type, AnyType):
            return ir.Const(value=None, type=ERROR, span=span)
        if isinstance(target_type, RecordType):
            info = target_type.fields.get(name)
            if info is None:
                self.error(
                    "names.unknown",
                    f"`{target_type.name}` has no field `{name}`",
                    node.field.span,
                    did_you_mean(name, target_type.fields) or _listing("its fields are", target_type.fields),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            return ir.GetField(target=target, name=name, type=info.type, optional=info.optional, span=span)
        if isinstance(target_type, MapOf):
            if target_type.key.member(name) is None:
                members = [m.name for m in target_type.key.members]
                self.error(
                    "names.unknown",
                    f"`{name}` is not a key of {target_type.display()}",
                    node.field.span,
                    did_you_mean(name, members) or _listing("its keys are", members),
                )
                return ir.Const(value=None, type=ERROR, span=span)
            return ir.GetField(target=target, name=name, type=target_type.value, optional=True, span=span)
        self.error(
            "types.mismatch",
            f"`.{name}` reads a field of a record, but this is {target_type.display()}",
            node.field.span,
        )
        return ir.Const(value=None, type=ERROR, span=span)

    def _list(
        self, node: nodes.ListLit, env: _Env, expected: Type | None, outcome_of: _DecisionEntity | None
    ) -> ir.Expr:
        wanted = element_type(expected) if isinstance(expected, ListOf | SetOf) else None
        items = [self.expr(item, env, wanted, outcome_of=outcome_of) for item in node.items]
        item_type: Type = ANY
        for item, source in zip(items, node.items, strict=True):
            joined = unify(item_type, item.type)
            if joined is None:
                self.error(
                    "types.mismatch",
                    f"a list holds one kind of value: {item_type.display()} and {item.type.display()} do not mix",
                    _expr_span(source),
                )
                joined = ERROR
            item_type = joined
        if wanted is not None and isinstance(item_type, AnyType) and item_type.reason == "any":
            item_type = wanted
        list_type = ListOf(item_type)
        if all(isinstance(item, ir.Const) for item in items):
            return ir.Const(value=tuple(item.value for item in items), type=list_type, span=node.span)  # type: ignore[union-attr]
        return ir.ListExpr(items=tuple(items), type=list_type, span=node.span)

    def _collection(self, node: nodes.Expr, env: _Env, what: str) -> ir.Expr:
        value = self.expr(node, env, None)
        if element_type(value.type) is None:
            self.error(
                "types.mismatch",
                f"{what} needs a list, but this is {value.type.display()}",
                _expr_span(node),
            )
            return ir.Const(value=(), type=ERROR, span=_expr_span(node))
        return value

    def _same_items(self, left: ir.Expr, right: ir.Expr, node: nodes.Expr) -> None:
        right_items = element_type(right.type)
        if right_items is None:
            self.error(
                "types.mismatch",
                f"both sides must be lists, but the right is {right.type.display()}",
                _expr_span(node),
            )
            return
        left_items = element_type(left.type) or ERROR
        if not compatible(left_items, right_items):
            self.error(
                "types.mismatch",
                f"lists of {left_items.display()} and of {right_items.display()} cannot be combined",
                _expr_span(node),
            )

    def _aggregate(self, node: nodes.Aggregate, env: _Env) -> ir.Expr:
        op = AGGREGATES[node.op]
        target = self._collection(node.target, env, f"`{node.op} of`")
        typed = aggregate_type(op, element_type(target.type) or ERROR)
        if isinstance(typed, Mismatch):
            self.error("types.mismatch", typed.message, _expr_span(node.target), typed.hint)
            typed = ERROR
        return ir.Unary(op=op, operand=target, type=typed, span=node.span)

    def _compare(self, node: nodes.Compare, env: _Env) -> ir.Expr:
        left_first = not (isinstance(node.left, nodes.Ref | nodes.TextLit) and self._is_bare_member(node.left, env))
        if left_first:
            left = self.expr(node.left, env, None)
            right = self.expr(node.right, env, left.type)
        else:
            right = self.expr(node.right, env, None)
            left = self.expr(node.left, env, right.type)
        resolved = resolve_compare(node.op, left.type, right.type, compatible)
        if isinstance(resolved, Mismatch):
            self.error("types.mismatch", resolved.message, node.span, resolved.hint)
            return ir.Binary(op=Op.EQ, left=left, right=right, type=BOOLEAN, span=node.span)
        return ir.Binary(op=resolved.op, left=left, right=right, type=resolved.type, span=node.span)

    def _is_bare_member(self, node: nodes.Ref | nodes.TextLit, env: _Env) -> bool:
        if isinstance(node, nodes.TextLit):
            return True
        return node.name not in env.locals and node.name not in env.scope.names

    def _arith(self, node: nodes.Arith, env: _Env, expected: Type | None) -> ir.Expr:
        left = self.expr(node.left, env, expected if node.op == "-" else None)
        right = self.expr(node.right, env, left.type if element_type(left.type) is not None else None)
        resolved = resolve_arith(node.op, left.type, right.type)
        if isinstance(resolved, Mismatch):
            self.error("types.mismatch", resolved.message, node.span, resolved.hint)
            return ir.Binary(op=Op.ADD, left=left, right=right, type=ERROR, span=node.span)
        if resolved.op is Op.SET_DIFF:
            self._same_items(left, right, node)
        if resolved.swap:
            left, right = right, left
        return ir.Binary(op=resolved.op, left=left, right=right, type=resolved.type, span=node.span)


# ---------------------------------------------------------------- helpers


def _expr_span(node: Any) -> Span:
    return node.span  # type: ignore[no-any-return]


def _type_names(scope: _FileScope) -> list[str]:
    return list(scope.types)


def _listing(prefix: str, names: Iterable[str]) -> str | None:
    shown = [n for n in names if not n.startswith("__")]
    if not shown:
        return None
    if len(shown) > 8:
        shown = [*shown[:8], "…"]
    return f"{prefix} " + ", ".join(f"`{n}`" for n in shown)


def _deepest_chain(root: RecordType) -> list[RecordType]:
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


def _case_analysis(condition: ir.Expr) -> tuple[ir.Expr, frozenset[str]] | None:
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
            left = _case_analysis(condition.left)
            right = _case_analysis(condition.right)
            if left is not None and right is not None and left[0] == right[0]:
                return left[0], left[1] | right[1]
    return None


def _is_inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True

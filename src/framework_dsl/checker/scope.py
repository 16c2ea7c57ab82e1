"""What the checker knows while it works: the entities in scope, what an expression sees, and the diagnostics.

`Context` holds the state every part of the checker shares (the loaded files, each
file's scope, the checked definitions, the dependency graph, the diagnostics); the
parts themselves (`resolve_types`, `expressions`, `decisions`, `declarations`,
`program`) hold none of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from framework_dsl import ir, nodes
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.loader import LoadedFile, LoadedRules
from framework_dsl.source import Span
from framework_dsl.typesystem import ERROR, FieldInfo, ListOf, RecordType, Symbol, SymbolSet, Type

RESULT_STATUSES = ("evaluated", "invalid_evidence", "not_in_force")
# Far beyond any published framework's chain of reasoning, and shallow enough that
# checking and evaluating a chain stays well inside Python's recursion limit.
MAX_DEPENDENCY_DEPTH = 48
# Evidence is never nested deeper than this (`evidence.Limits.max_depth`): a schema whose
# records nest deeper, not through a record that contains itself, describes evidence
# that cannot be given, and every stage that walks the schema stays within this depth.
MAX_SCHEMA_DEPTH = 64
BUILT_IN_FIELDS = ("framework", "subject")


@attrs.frozen(eq=False)
class SymbolSetEntity:
    symbol_set: SymbolSet
    span: Span


@attrs.frozen(eq=False)
class RecordEntity:
    record: RecordType
    span: Span


@attrs.frozen(eq=False)
class FieldEntity:
    info: FieldInfo
    span: Span


@attrs.frozen(eq=False)
class ModuleEntity:
    scope: FileScope
    span: Span


@attrs.define(eq=False)
class DefineEntity:
    key: str
    decl: nodes.DefineDecl
    scope: FileScope
    span: Span
    type: Type | None = None
    visiting: bool = False
    result: ir.Definition | None = None


@attrs.define(eq=False)
class DecisionEntity:
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


@attrs.define(eq=False)
class TableEntity:
    """A constant table (`table points: grade -> integer`), checked once: its rows by key member."""

    key: str
    decl: nodes.TableDecl
    scope: FileScope
    span: Span
    key_type: Type = ERROR
    value_type: Type = ERROR
    table: ir.Table | None = None
    checked: bool = False


Entity = TableEntity | SymbolSetEntity | RecordEntity | FieldEntity | ModuleEntity | DefineEntity | DecisionEntity


@attrs.frozen(eq=False)
class LocalName:
    """A loop variable (`for b in breaches`, `for each kq in ...`), where it is declared or used."""

    name: str
    type: Type
    declared: Span | None


@attrs.frozen(eq=False)
class RecordField:
    """A field of a record type, read through `.` (`b.regulation`)."""

    record: RecordType
    info: FieldInfo


# What a name written in a rule file was resolved to, for editors (`checker.symbols`).
Referent = Entity | Symbol | LocalName | RecordField


@attrs.define(eq=False)
class FileScope:
    file: LoadedFile
    names: dict[str, Any] = attrs.field(factory=dict)  # values: fields, definitions, judgements, modules
    types: dict[str, Any] = attrs.field(factory=dict)  # scales, enumerations, outcomes, records
    exports: dict[str, Any] = attrs.field(factory=dict)
    type_exports: dict[str, Any] = attrs.field(factory=dict)
    decisions: dict[str, Any] = attrs.field(factory=dict)  # judgements and checks, by name
    symbol_sets: list[SymbolSet] = attrs.field(factory=list)
    # Names an import should have brought in but could not (the module is missing, in
    # a cycle, or lacks the name): the import's diagnostic is the only one, and a later
    # use of these names, or of members of the types they were, is not reported again.
    failed_imports: set[str] = attrs.field(factory=set)

    @property
    def module(self) -> str:
        return self.file.module

    @property
    def incomplete(self) -> bool:
        """Whether an import of this file failed, so some of its names cannot be known."""
        return bool(self.failed_imports)

    def visible_symbol_sets(self) -> Iterator[SymbolSet]:
        seen: set[int] = set()
        for entity in self.types.values():
            if isinstance(entity, SymbolSetEntity) and id(entity.symbol_set) not in seen:
                seen.add(id(entity.symbol_set))
                yield entity.symbol_set
        for symbol_set in self.symbol_sets:  # inline enums
            if id(symbol_set) not in seen:
                seen.add(id(symbol_set))
                yield symbol_set


@attrs.define
class Env:
    """What an expression can see: the file scope, loop variables, and whose body it is."""

    scope: FileScope
    locals: dict[str, Type]
    owner: str | None  # key of the definition or judgement being checked
    for_each: nodes.Expr | None = None  # the list a for-each decision runs over
    local_spans: dict[str, Span] = attrs.field(factory=dict)  # where each loop variable is declared
    lets: dict[str, Type] = attrs.field(factory=dict)  # the decision's local values declared so far
    used_lets: set[str] = attrs.field(factory=set)  # which of them some expression read


class Context:
    """The checker's shared state, and the one way to report a problem."""

    def __init__(self, loaded: LoadedRules) -> None:
        self.loaded = loaded
        self.diagnostics: list[Diagnostic] = list(loaded.diagnostics)
        self.scopes: dict[tuple[str, str], FileScope] = {}
        self.definitions: dict[str, ir.Definition] = {}
        self.dependencies: dict[str, set[str]] = {}
        self.entities_by_key: dict[str, DefineEntity | DecisionEntity] = {}
        # (where a name is written, what it was resolved to): read by `checker.symbols` only.
        self.references: list[tuple[Span, Referent]] = []

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None, **extra: Any) -> None:
        """Report a problem (every one is kept; none is raised)."""
        self.diagnostics.append(Diagnostic(code=code, message=message, span=span, hint=hint, **extra))

    def refer(self, span: Span | None, referent: Referent | None) -> None:
        """Record that the name written at `span` means `referent` (for go to definition and hover)."""
        if span is not None and referent is not None:
            self.references.append((span, referent))

    def scope_of(self, file: LoadedFile) -> FileScope | None:
        """The scope of a checked file."""
        return self.scopes.get((str(file.root), file.module))


def expr_span(node: Any) -> Span:
    """The span of a syntax node."""
    return node.span  # type: ignore[no-any-return]


def type_names(scope: FileScope) -> list[str]:
    """The types a scope declares or imports, for suggestions."""
    return list(scope.types)


def listing(prefix: str, names: Iterable[str]) -> str | None:
    """`prefix `a`, `b`, ...` for a hint, at most eight names; None for none."""
    shown = [n for n in names if not n.startswith("__")]
    if not shown:
        return None
    if len(shown) > 8:
        shown = [*shown[:8], "…"]
    return f"{prefix} " + ", ".join(f"`{n}`" for n in shown)

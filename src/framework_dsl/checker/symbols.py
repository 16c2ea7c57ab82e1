"""The check stage, for editors: every name in the loaded files, what it means and where it is declared.

`index_program` checks the loaded files as `check_program` does and also returns a
`SymbolIndex`: for each place a name is written (a declaration, or a use the checker
resolved), the symbol it stands for, with its kind, a one-line description in the
language's own words (`judgement safe: rating`), its label or description, and the
span of its declaration. A language server answers hover, go to definition and
completion from it; nothing in it is needed to evaluate evidence.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from framework_dsl import ir, nodes
from framework_dsl.checker.program import Checker
from framework_dsl.checker.scope import (
    DecisionEntity,
    DefineEntity,
    FieldEntity,
    FileScope,
    LocalName,
    ModuleEntity,
    RecordEntity,
    RecordField,
    Referent,
    SymbolSetEntity,
)
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.loader import LoadedFile, LoadedRules
from framework_dsl.source import SourceFile, Span
from framework_dsl.typesystem import Choice, MapOf, RecordType, Symbol, SymbolSet, Type

KINDS = (
    *("scale", "enum", "outcome", "grade", "member", "record", "field"),
    *("definition", "judgement", "check", "module", "variable"),
)


@attrs.frozen(eq=False)
class SymbolInfo:
    """A declared thing: a grade, member, scale, enum, outcome, record, field, definition, judgement, check,
    module or loop variable."""

    kind: str  # one of KINDS
    name: str
    detail: str  # one line, in the language's words: "judgement safe: rating"
    doc: str | None = None  # its label or description, as written in quotes
    span: Span | None = None  # the name where it is declared; None for a module (see `file`)
    file: Path | None = None  # the file it is declared in (for a module: the module's file)


@attrs.frozen(eq=False)
class Occurrence:
    """A name written in a rule file, and the symbol it stands for."""

    span: Span
    symbol: SymbolInfo


class SymbolIndex:
    """Every name the checker resolved in a set of loaded files, by file and position."""

    def __init__(self, loaded: LoadedRules, checker: Checker) -> None:
        self._ctx = checker.ctx
        self._files: dict[Path, LoadedFile] = {f.path: f for f in loaded.files}
        self._paths: dict[int, Path] = {id(f.source): f.path for f in loaded.files}
        self._spans: dict[tuple[str, str], Span] = {}  # (owner qualname, member or field) -> declared name
        self._labels: dict[tuple[int, int], str] = {}  # (source id, name start) -> the declaration's label
        self._outcomes: set[str] = set()  # qualnames of `outcome x` declarations
        for file in loaded.files:
            self._collect_declarations(file)
        self._by_file: dict[Path, list[Occurrence]] = {}
        for span, referent in self._ctx.references:
            self._add(span, referent)
        for file in loaded.files:
            self._declaration_occurrences(file)
        for found in self._by_file.values():
            found.sort(key=lambda o: (o.span.start, -o.span.end))
        self._starts = {path: [o.span.start for o in found] for path, found in self._by_file.items()}

    # -- queries

    def file_of(self, source: SourceFile) -> Path | None:
        """The file a loaded source was read from."""
        return self._paths.get(id(source))

    def occurrences(self, file: Path) -> Sequence[Occurrence]:
        """Every name written in `file` that the index knows, in order of position."""
        return self._by_file.get(file.resolve(), [])

    def at(self, file: Path, offset: int) -> Occurrence | None:
        """The name written at character `offset` of `file` (the innermost, when names nest), or None.

        An offset just after a name still finds it, as an editor's cursor sits there.
        """
        file = file.resolve()
        found = self._by_file.get(file, [])
        index = bisect.bisect_right(self._starts.get(file, []), offset)
        best: Occurrence | None = None
        for occurrence in reversed(found[:index]):
            if occurrence.span.start <= offset <= occurrence.span.end and (
                best is None or occurrence.span.end - occurrence.span.start < best.span.end - best.span.start
            ):
                best = occurrence
            if offset - occurrence.span.start > 4096:
                break  # nothing written this far back spans the offset in a real file
        return best

    def visible(self, file: Path) -> list[SymbolInfo]:
        """What a name written anywhere in `file` may be: its names and types in scope, and the grades and
        members of every scale and enumeration it can see."""
        scope = self._scope(file)
        if scope is None:
            return []
        found: dict[tuple[str, str], SymbolInfo] = {}
        for name, entity in [*scope.names.items(), *scope.types.items(), *scope.decisions.items()]:
            if name.startswith("__"):
                continue
            info = self.describe(entity, name)
            if info is not None:
                found.setdefault((info.kind, name), info)
        for symbol_set in scope.visible_symbol_sets():
            for symbol in symbol_set.members:
                info = self._symbol(symbol, symbol_set)
                found.setdefault((info.kind, symbol.name), info)
        return sorted(found.values(), key=lambda i: (i.name, i.kind))

    def members(self, file: Path, chain: Sequence[str], offset: int) -> list[SymbolInfo]:
        """What may follow `a.b.` at `offset` in `file`, where `chain` is `["a", "b"]`: a module's
        declarations, a scale's grades, an enumeration's members, a record's fields or a map's keys."""
        scope = self._scope(file)
        if scope is None or not chain:
            return []
        head, rest = chain[0], list(chain[1:])
        current: Any = self._local_type(file, head, offset)
        if current is None:
            value = scope.names.get(head)
            kind = scope.types.get(head)
            if isinstance(kind, SymbolSetEntity) and not (
                isinstance(value, FieldEntity) and isinstance(value.info.type, RecordType | MapOf)
            ):
                current = kind
            else:
                current = value if value is not None else kind
        for name in rest:
            current = self._step(current, name)
            if current is None:
                return []
        return self._children(current)

    def describe(self, referent: Referent | Any, name: str | None = None) -> SymbolInfo | None:
        """The symbol a checker entity stands for (None for what is not a symbol)."""
        match referent:
            case SymbolSetEntity(symbol_set=symbol_set, span=span):
                return self._symbol_set(symbol_set, span)
            case RecordEntity(record=record, span=span):
                fields = ", ".join(record.fields)
                return SymbolInfo(
                    kind="record",
                    name=record.name,
                    detail=f"record {record.name}" + (f" ({fields})" if fields else ""),
                    doc=self._label(span),
                    span=span,
                    file=self.file_of(span.source),
                )
            case FieldEntity(info=info, span=span):
                return SymbolInfo(
                    kind="field",
                    name=info.name,
                    detail=f"evidence field {info.name}: {_field_type(info.type, info.optional)}",
                    doc=info.description,
                    span=span,
                    file=self.file_of(span.source),
                )
            case RecordField(record=record, info=info):
                declared = self._spans.get((record.qualname, info.name))
                return SymbolInfo(
                    kind="field",
                    name=info.name,
                    detail=f"field {info.name} of {record.name}: {_field_type(info.type, info.optional)}",
                    doc=info.description,
                    span=declared,
                    file=self.file_of(declared.source) if declared else None,
                )
            case DefineEntity(decl=decl, type=value_type, span=span):
                shown = f": {value_type.display()}" if value_type is not None else ""
                return SymbolInfo(
                    kind="definition",
                    name=decl.name.text,
                    detail=f"define {decl.name.text}{shown}",
                    span=span,
                    file=self.file_of(span.source),
                )
            case DecisionEntity(decl=decl, span=span):
                return self._decision(referent, decl, span)
            case ModuleEntity(scope=target):
                return self._module(target.file, name or target.module)
            case Symbol():
                return self._symbol(referent, None)
            case LocalName(name=local, type=local_type, declared=declared):
                return SymbolInfo(
                    kind="variable",
                    name=local,
                    detail=f"variable {local}: {local_type.display()}",
                    span=declared,
                    file=self.file_of(declared.source) if declared else None,
                )
        return None

    # -- building

    def _add(self, span: Span, referent: Referent | Any) -> None:
        path = self.file_of(span.source)
        info = self.describe(referent)
        if path is not None and info is not None:
            self._by_file.setdefault(path, []).append(Occurrence(span, info))

    def _collect_declarations(self, file: LoadedFile) -> None:
        for item in file.tree.items:
            labelled = isinstance(item, nodes.ScaleDecl | nodes.EnumDecl | nodes.RecordDecl | nodes.OutcomeDecl)
            label = item.label if labelled else None  # type: ignore[union-attr]
            if label is not None:
                self._labels[(id(file.source), item.name.span.start)] = label.value  # type: ignore[union-attr]
            match item:
                case nodes.ScaleDecl(name=name, grades=grades):
                    for grade in grades:
                        self._spans.setdefault((f"{file.module}.{name.text}", grade.name.text), grade.name.span)
                case nodes.EnumDecl(name=name, members=members):
                    for member in members:
                        self._spans.setdefault((f"{file.module}.{name.text}", member.name.text), member.name.span)
                case nodes.OutcomeDecl(name=name):
                    self._outcomes.add(f"{file.module}.{name.text}")
                    self._spans.setdefault((f"{file.module}.{name.text}", name.text), name.span)
                case nodes.RecordDecl(name=name, fields=fields):
                    for field in fields:
                        self._spans.setdefault((f"{file.module}.{name.text}", field.name.text), field.name.span)
                case nodes.EvidenceDecl(fields=fields):
                    for field in fields:
                        self._spans.setdefault((f"{file.module}.evidence", field.name.text), field.name.span)
                case _:
                    pass

    def _declaration_occurrences(self, file: LoadedFile) -> None:
        scope = self._ctx.scope_of(file)
        if scope is None:
            return
        for item in file.tree.items:
            for span, referent in self._declared_in(file, scope, item):
                self._add(span, referent)

    def _declared_in(self, file: LoadedFile, scope: FileScope, item: nodes.Decl) -> Iterator[tuple[Span, Any]]:
        match item:
            case nodes.ScaleDecl() | nodes.EnumDecl() | nodes.OutcomeDecl():
                entity = scope.types.get(item.name.text)
                if isinstance(entity, SymbolSetEntity) and entity.span is item.name.span:
                    yield item.name.span, entity
                    names = [g.name for g in item.grades] if isinstance(item, nodes.ScaleDecl) else []
                    names += [m.name for m in item.members] if isinstance(item, nodes.EnumDecl) else []
                    for name in names:
                        symbol = entity.symbol_set.member(name.text)
                        if symbol is not None:
                            yield name.span, symbol
            case nodes.RecordDecl():
                entity = scope.types.get(item.name.text)
                if isinstance(entity, RecordEntity) and entity.span is item.name.span:
                    yield item.name.span, entity
                    for field in item.fields:
                        info = entity.record.fields.get(field.name.text)
                        if info is not None:
                            yield field.name.span, RecordField(entity.record, info)
            case nodes.EvidenceDecl():
                for field in item.fields:
                    entity = scope.names.get(field.name.text)
                    if isinstance(entity, FieldEntity):
                        yield field.name.span, entity
            case nodes.DefineDecl() | nodes.JudgementDecl() | nodes.CheckDecl():
                entity = scope.names.get(item.name.text)
                if not isinstance(item, nodes.DefineDecl):
                    entity = scope.decisions.get(item.name.text, entity)
                if entity is not None and getattr(entity, "span", None) is item.name.span:
                    yield item.name.span, entity
            case nodes.ImportModule() | nodes.ImportNames():
                module = file.imports.get(id(item))
                target = self._ctx.scopes.get((str(file.root), module)) if module else None
                if target is None:
                    return
                path_span = item.path[0].span.cover(item.path[-1].span)
                yield path_span, ModuleEntity(target, path_span)
                if isinstance(item, nodes.ImportNames):
                    for name in item.names:
                        entity = target.exports.get(name.text) or target.type_exports.get(name.text)
                        if entity is not None:
                            yield name.span, entity
            case _:
                return

    # -- describing

    def _symbol_set(self, symbol_set: SymbolSet, span: Span | None) -> SymbolInfo:
        file = self.file_of(span.source) if span else None
        if symbol_set.kind == "outcome":
            return SymbolInfo(
                kind="outcome",
                name=symbol_set.name,
                detail=f"outcome {symbol_set.name}",
                doc=symbol_set.label,
                span=span,
                file=file,
            )
        separator = " > " if symbol_set.kind == "scale" else ", "
        listing = separator.join(m.name for m in symbol_set.members)
        return SymbolInfo(
            kind=symbol_set.kind,
            name=symbol_set.name,
            detail=f"{symbol_set.kind} {symbol_set.name}: {listing}",
            doc=symbol_set.label,
            span=span,
            file=file,
        )

    def _symbol(self, symbol: Symbol, symbol_set: SymbolSet | None) -> SymbolInfo:
        owner = symbol.owner.rsplit(".", 1)[-1]
        span = self._spans.get((symbol.owner, symbol.name))
        if symbol.owner in self._outcomes:
            kind, detail = "outcome", f"outcome {symbol.name}"
        elif symbol.ordered:
            kind, detail = "grade", f"grade {symbol.name} of scale {owner}"
        else:
            owner_name = symbol_set.name if symbol_set is not None else owner
            kind, detail = "member", f"member {symbol.name} of enum {owner_name}"
        return SymbolInfo(
            kind=kind,
            name=symbol.name,
            detail=detail,
            doc=symbol.label,
            span=span,
            file=self.file_of(span.source) if span else None,
        )

    def _decision(self, entity: DecisionEntity, decl: nodes.JudgementDecl | nodes.CheckDecl, span: Span) -> SymbolInfo:
        kind = "check" if isinstance(decl, nodes.CheckDecl) else "judgement"
        each = f" for each {decl.for_each.var.text}" if decl.for_each is not None else ""
        one = entity.outcome_type.display()
        shown = f"collect {one}" if entity.collect else one
        return SymbolInfo(
            kind=kind,
            name=decl.name.text,
            detail=f"{kind} {decl.name.text}{each}: {shown}",
            span=span,
            file=self.file_of(span.source),
        )

    def _module(self, file: LoadedFile, name: str) -> SymbolInfo:
        comment = _leading_comment(file.tree)
        doc = f"reads {file.source.path}" + (f"\n\n{comment}" if comment else "")
        return SymbolInfo(kind="module", name=name, detail=f"module {file.module}", doc=doc, span=None, file=file.path)

    def _label(self, span: Span) -> str | None:
        return self._labels.get((id(span.source), span.start))

    # -- completion helpers

    def _scope(self, file: Path) -> FileScope | None:
        loaded = self._files.get(file.resolve())
        return self._ctx.scope_of(loaded) if loaded is not None else None

    def _local_type(self, file: Path, name: str, offset: int) -> Type | None:
        found: Type | None = None
        for span, referent in self._ctx.references:
            if (
                isinstance(referent, LocalName)
                and referent.name == name
                and span.start <= offset
                and self.file_of(span.source) == file.resolve()
            ):
                found = referent.type  # the nearest before the cursor wins: references are in order
        return found

    def _step(self, current: Any, name: str) -> Any:
        match current:
            case ModuleEntity(scope=target):
                return target.exports.get(name) or target.type_exports.get(name)
            case FieldEntity(info=info):
                return self._step(info.type, name)
            case DefineEntity(type=value_type) if value_type is not None:
                return self._step(value_type, name)
            case RecordType(fields=fields) if name in fields:
                return fields[name].type
            case MapOf(value=value):
                return value
        return None

    def _children(self, current: Any) -> list[SymbolInfo]:
        match current:
            case ModuleEntity(scope=target):
                found = [self.describe(e, n) for n, e in [*target.exports.items(), *target.type_exports.items()]]
                return _unique(found)
            case SymbolSetEntity(symbol_set=symbol_set):
                return [self._symbol(s, symbol_set) for s in symbol_set.members]
            case FieldEntity(info=info):
                return self._children(info.type)
            case DefineEntity(type=value_type) if value_type is not None:
                return self._children(value_type)
            case DecisionEntity():
                return []
            case RecordType(fields=fields):
                found = [self.describe(RecordField(current, info)) for info in fields.values()]
                return _unique(found)
            case MapOf(key=key):
                return [self._symbol(s, key.sets[0] if len(key.sets) == 1 else None) for s in key.members]
            case Choice():
                return []
        return []


def index_program(loaded: LoadedRules) -> tuple[dict[str, ir.Framework], list[Diagnostic], SymbolIndex]:
    """Check every loaded file (as `check_program` does) and index the names in them.

    Returns the frameworks that checked, every diagnostic, and the index. The index is
    as complete as the files allow: a file that does not parse has no entries, and a
    name the checker could not resolve is not in it.
    """
    checker = Checker(loaded)
    frameworks = checker.run()
    return frameworks, checker.ctx.diagnostics, SymbolIndex(loaded, checker)


def _field_type(value: Type, optional: bool) -> str:
    return ("optional " if optional else "") + value.display()


def _unique(found: Sequence[SymbolInfo | None]) -> list[SymbolInfo]:
    seen: dict[tuple[str, str], SymbolInfo] = {}
    for info in found:
        if info is not None:
            seen.setdefault((info.kind, info.name), info)
    return list(seen.values())


def _leading_comment(tree: nodes.RuleFile) -> str | None:
    """The comment lines at the top of a file, before its first declaration, without their `#`."""
    first = tree.items[0].span.start if tree.items and tree.items[0].span is not None else None
    lines = [
        c.text.removeprefix("#").strip()
        for c in tree.comments
        if c.span is not None and (first is None or c.span.start < first)
    ]
    text = "\n".join(lines).strip()
    return text or None

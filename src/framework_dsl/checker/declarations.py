"""A file's declarations: its vocabulary, records, imports, evidence schema, definitions and decisions, in scope.

Declaring comes before checking any body, so that a judgement may use a definition
declared further down, or in an imported module.
"""

from __future__ import annotations

from typing import Any

from framework_dsl import nodes
from framework_dsl.checker.resolve_types import TypeResolver
from framework_dsl.checker.scope import (
    BUILT_IN_FIELDS,
    Context,
    DecisionEntity,
    DefineEntity,
    FieldEntity,
    FileScope,
    ModuleEntity,
    RecordEntity,
    SymbolSetEntity,
    TableEntity,
    listing,
)
from framework_dsl.diagnostics import Label, did_you_mean
from framework_dsl.loader import LoadedFile
from framework_dsl.syntax_hints import keyword_hint, keyword_name_problem
from framework_dsl.typesystem import TEXT, FieldInfo, RecordType, Symbol, SymbolSet


class Declarations:
    """Puts each file's declarations in its scope, reporting duplicates and bad imports."""

    def __init__(self, ctx: Context, types: TypeResolver) -> None:
        self.ctx = ctx
        self.types = types

    def declare_file(self, file: LoadedFile) -> FileScope:
        """Declare everything `file` holds in a new scope for it; its bodies are checked later."""
        scope = FileScope(file=file)
        self.ctx.scopes[(str(file.root), file.module)] = scope
        is_framework = file.framework is not None
        items = file.tree.items

        headers = [i for i in items if isinstance(i, nodes.FrameworkDecl)]
        for extra in headers[1:]:
            self.ctx.error(
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
                self.declare(scope, item.name, SymbolSetEntity(symbol_set, item.name.span), export=True)
            elif isinstance(item, nodes.ScaleDecl):
                self._declare_symbols(scope, item, "scale", [(g.name, g.label) for g in item.grades])
            elif isinstance(item, nodes.EnumDecl):
                self._declare_symbols(scope, item, "enum", [(m.name, m.label) for m in item.members])
            elif isinstance(item, nodes.RecordDecl):
                record = RecordType(qualname=f"{file.module}.{item.name.text}", name=item.name.text)
                self.declare(scope, item.name, RecordEntity(record, item.name.span), export=True)

        # 2. imports
        for item in items:
            if isinstance(item, nodes.ImportModule | nodes.ImportNames):
                self._import(scope, item)

        # 3. record fields and the evidence schema
        for item in items:
            if isinstance(item, nodes.RecordDecl):
                entity = scope.types.get(item.name.text)
                if isinstance(entity, RecordEntity) and not entity.record.fields:
                    self.types.fill_record(scope, entity.record, item.fields)
        evidence = RecordType(qualname=f"{file.module}.evidence", name="evidence", open_fields=frozenset({"subject"}))
        evidence.fields["framework"] = FieldInfo("framework", TEXT, True, "The framework this evidence is for")
        evidence_blocks = [i for i in items if isinstance(i, nodes.EvidenceDecl)]
        for block in evidence_blocks:
            for field in block.fields:
                if field.name.text in BUILT_IN_FIELDS:
                    self.ctx.error(
                        "names.duplicate",
                        f"`{field.name.text}` is a built-in evidence field",
                        field.name.span,
                        "every evidence document may carry `framework` and `subject`; choose another name",
                    )
                    continue
            self.types.fill_record(scope, evidence, [f for f in block.fields if f.name.text not in BUILT_IN_FIELDS])
        for block in evidence_blocks:
            for field in block.fields:
                info = evidence.fields.get(field.name.text)
                if info is not None and field.name.text not in BUILT_IN_FIELDS:
                    self.declare(scope, field.name, FieldEntity(info, field.name.span), export=False)
        scope.names.setdefault("__evidence__", evidence)

        # 4. tables, definitions and decisions
        for item in items:
            if isinstance(item, nodes.TableDecl):
                key = f"{file.module}:{item.name.text}"
                self.declare(
                    scope, item.name, TableEntity(key=key, decl=item, scope=scope, span=item.name.span), export=True
                )
            elif isinstance(item, nodes.DefineDecl):
                key = f"{file.module}:{item.name.text}"
                entity = DefineEntity(key=key, decl=item, scope=scope, span=item.name.span)
                if self.declare(scope, item.name, entity, export=True):
                    self.ctx.entities_by_key[key] = entity
            elif isinstance(item, nodes.JudgementDecl | nodes.CheckDecl):
                key = f"{file.module}:{item.name.text}"
                decision = DecisionEntity(key=key, decl=item, span=item.name.span)
                if item.name.text in scope.decisions:
                    self.declare(scope, item.name, decision, export=False)  # reports the duplicate
                    continue
                # A decision may share its name with an evidence field (CQC's contract names
                # both `special_measures`): in expressions the bare name then reads the field,
                # and examples still expect the decision by that name.
                shares_field = isinstance(scope.names.get(item.name.text), FieldEntity)
                if shares_field or self.declare(scope, item.name, decision, export=False):
                    scope.decisions[item.name.text] = decision
                    self.ctx.entities_by_key[key] = decision
                    self.types.decision_type(scope, decision)

        if not is_framework:
            for item in items:
                if isinstance(
                    item,
                    nodes.EvidenceDecl
                    | nodes.JudgementDecl
                    | nodes.CheckDecl
                    | nodes.ExampleDecl
                    | nodes.InvariantDecl
                    | nodes.MonotonicDecl,
                ):
                    kind = type(item).__name__.removesuffix("Decl").lower()
                    self.ctx.error(
                        "modules.not-allowed",
                        f"a shared module cannot hold {'an' if kind[0] in 'aeiou' else 'a'} {kind}",
                        item.span,
                        "start this file with a `framework` line, or move this into a framework file",
                    )
        return scope

    def declare(self, scope: FileScope, name: nodes.Name, entity: Any, *, export: bool) -> bool:
        """Put `entity` in scope under `name`; False (and a diagnostic) when the name is taken."""
        is_type = isinstance(entity, SymbolSetEntity | RecordEntity)
        is_value = not is_type or (isinstance(entity, SymbolSetEntity) and entity.symbol_set.kind == "outcome")
        namespaces = [(scope.types, scope.type_exports)] if is_type else []
        if is_value:
            namespaces.append((scope.names, scope.exports))
        if not isinstance(entity, ModuleEntity | DecisionEntity):
            # A judgement or check named `average` is still reported under its name; the
            # parser refuses it when a rule tries to read it.
            self.refuse_keyword(name, as_type=is_type)
        existing = next((space[name.text] for space, _ in namespaces if name.text in space), None)
        if existing is not None:
            self.ctx.error(
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

    def refuse_keyword(self, name: nodes.Name, *, as_type: bool = False) -> None:
        """`define all = ...` parses, but `all` could never be read as the name: say so here."""
        problem = keyword_name_problem(name.text, as_type=as_type)
        if problem is not None:
            self.ctx.error("names.keyword", f"{problem}; choose another name", name.span, keyword_hint(name.text))

    def _declare_symbols(
        self,
        scope: FileScope,
        item: nodes.ScaleDecl | nodes.EnumDecl,
        kind: str,
        members: list[tuple[nodes.Name, nodes.Text | None]],
    ) -> None:
        qualname = f"{scope.module}.{item.name.text}"
        symbols: list[Symbol] = []
        seen: dict[str, nodes.Name] = {}
        for rank, (name, label) in enumerate(members):
            if name.text in seen:
                self.ctx.error(
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
        self.declare(scope, item.name, SymbolSetEntity(symbol_set, item.name.span), export=True)

    def _import(self, scope: FileScope, item: nodes.ImportModule | nodes.ImportNames) -> None:
        module = scope.file.imports.get(id(item))
        target = None if module is None else self.ctx.scopes.get((str(scope.file.root), module))
        if module is None or target is None:
            # The loader reported it (missing, outside the root, or part of a cycle).
            if isinstance(item, nodes.ImportModule):
                scope.failed_imports.add((item.alias or item.path[-1]).text)
            else:
                scope.failed_imports.update(name.text for name in item.names)
            return
        if isinstance(item, nodes.ImportModule):
            alias = item.alias or item.path[-1]
            self.declare(scope, alias, ModuleEntity(target, alias.span), export=False)
            return
        for name in item.names:
            found = [
                (space, entity)
                for space, exports in ((scope.names, target.exports), (scope.types, target.type_exports))
                if (entity := exports.get(name.text)) is not None
            ]
            if not found:
                scope.failed_imports.add(name.text)
                declared = [*target.exports, *target.type_exports]
                self.ctx.error(
                    "names.unknown",
                    f"the module `{module}` has no `{name.text}`",
                    name.span,
                    did_you_mean(name.text, declared) or listing("it declares", declared),
                )
                continue
            for space, entity in found:
                existing = space.get(name.text)
                if existing is entity:
                    continue
                if existing is not None:
                    self.ctx.error(
                        "names.duplicate",
                        f"`{name.text}` is imported but is already declared here",
                        name.span,
                        f"import the module instead (`import {module}`) and write "
                        f"`{module.split('.')[-1]}.{name.text}`",
                        labels=(Label(existing.span, "declared here"),),
                    )
                    break
                space[name.text] = entity

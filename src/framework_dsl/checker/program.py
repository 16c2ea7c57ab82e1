"""The check stage: parsed files -> checked frameworks (`ir.Framework`) + diagnostics.

Before any evidence is seen, the checker:
- resolves every name (fields, definitions, judgements, grades, members, modules),
  suggesting the nearest known name when one is unknown (`declarations`, `expressions`);
- gives every expression a type and rejects what cannot work (comparing a grade with
  a number, `worst of` a list of dates, an outcome outside the judgement's type),
  taking each operator's type rule from `semantics.operators` (`expressions`);
- proves each judgement without `otherwise` exhaustive and reports clauses that can
  never be chosen (`exhaustiveness`);
- reports cycles and over-long chains between judgements and definitions
  (`dependencies`), and evidence schemas nested deeper than evidence can be
  (`resolve_types`).
A bad expression gets the error type, which matches everything, so one mistake gives
one diagnostic. All diagnostics are collected; none is raised.
"""

from __future__ import annotations

from framework_dsl import ir, nodes
from framework_dsl.checker import dating
from framework_dsl.checker.decisions import DecisionChecker
from framework_dsl.checker.declarations import Declarations
from framework_dsl.checker.dependencies import report_cycles
from framework_dsl.checker.expressions import ExpressionChecker
from framework_dsl.checker.properties import PropertyChecker
from framework_dsl.checker.resolve_types import TypeResolver
from framework_dsl.checker.scope import (
    MAX_DEPENDENCY_DEPTH,
    Context,
    DecisionEntity,
    DefineEntity,
    Env,
    TableEntity,
    expr_span,
)
from framework_dsl.checker.tables import TableChecker
from framework_dsl.diagnostics import Diagnostic, Label
from framework_dsl.loader import LoadedFile, LoadedRules
from framework_dsl.typesystem import ERROR, RecordType, Type, assignable


def check_program(loaded: LoadedRules) -> tuple[dict[str, ir.Framework], list[Diagnostic]]:
    """Check every loaded file; return the frameworks that checked cleanly and all diagnostics."""
    checker = Checker(loaded)
    frameworks = checker.run()
    return frameworks, checker.ctx.diagnostics


class Checker:
    """Runs the parts of the check over a loaded rule set, in order."""

    def __init__(self, loaded: LoadedRules) -> None:
        self.ctx = Context(loaded)
        self.types = TypeResolver(self.ctx)
        self.declarations = Declarations(self.ctx, self.types)
        self.expressions = ExpressionChecker(self.ctx, self._define, self._table)
        self.tables = TableChecker(self.ctx, self.types, self.expressions)
        self.decisions = DecisionChecker(self.ctx, self.expressions)
        self.properties = PropertyChecker(self.ctx, self.expressions)
        self._define_depth = 0

    def run(self) -> dict[str, ir.Framework]:
        """Check every file; the frameworks that checked, by name."""
        for file in self._dependency_order():
            scope = self.declarations.declare_file(file)
            for item in file.tree.items:
                if isinstance(item, nodes.TableDecl):
                    table = scope.names.get(item.name.text)
                    if isinstance(table, TableEntity) and table.decl is item:
                        self._table(table)
            for item in file.tree.items:
                if isinstance(item, nodes.DefineDecl):
                    entity = scope.names.get(item.name.text)
                    if isinstance(entity, DefineEntity) and entity.decl is item:
                        self._define(entity)
        frameworks: dict[str, ir.Framework] = {}
        seen: dict[str, nodes.FrameworkDecl] = {}
        for file in self.ctx.loaded.files:
            header = file.framework
            if header is None:
                continue
            if header.name.text in seen:
                self.ctx.error(
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
        report_cycles(self.ctx)
        return frameworks

    def _dependency_order(self) -> list[LoadedFile]:
        by_module = {(str(f.root), f.module): f for f in self.ctx.loaded.files}
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

        for file in self.ctx.loaded.files:
            if id(file) not in state:
                visit(file)
        return order

    def _table(self, entity: TableEntity) -> None:
        self.tables.check(entity)

    def _define(self, entity: DefineEntity) -> Type:
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

    def _define_now(self, entity: DefineEntity) -> Type:
        entity.visiting = True
        decl = entity.decl
        env = Env(entity.scope, {}, entity.key)
        declared = (
            self.types.resolve_type(entity.scope, decl.type, context=decl.name.text) if decl.type is not None else None
        )
        value = self.expressions.expr(decl.value, env, declared)
        value_type = value.type
        if declared is not None:
            if not assignable(value_type, declared):
                self.ctx.error(
                    "types.mismatch",
                    f"`{decl.name.text}` is declared {declared.display()} but its value is {value_type.display()}",
                    expr_span(decl.value),
                )
            value_type = declared
        entity.type = value_type
        entity.visiting = False
        entity.result = ir.Definition(
            key=entity.key, name=decl.name.text, value=value, type=value_type, span=decl.name.span
        )
        self.ctx.definitions[entity.key] = entity.result
        return value_type

    def _build_framework(self, file: LoadedFile) -> ir.Framework | None:
        scope = self.ctx.scopes.get((str(file.root), file.module))
        header = file.framework
        if scope is None or header is None:
            return None
        evidence: RecordType = scope.names["__evidence__"]
        if header.effective_from and header.effective_until and header.effective_until < header.effective_from:
            self.ctx.error(
                "framework.invalid-dates",
                f"`{header.name.text}` stops being in force ({header.effective_until}) before it starts "
                f"({header.effective_from})",
                header.span,
                "check the `effective from` and `until` dates",
            )
        if header.effective_from is None:
            self.ctx.error(
                "framework.missing-header",
                f"the framework `{header.name.text}` does not say when it came into force",
                header.name.span,
                "add `effective from YYYY-MM-DD` to the framework line",
            )
        dated_by: tuple[str, ...] | None = None
        if header.dated_by is not None:
            dated_by = tuple(n.text for n in header.dated_by)
            self.types.check_dated_by(evidence, header.dated_by)
        self.types.check_schema_depth(scope, evidence, header.span)
        judgements: list[ir.Judgement] = []
        checks: list[ir.Judgement] = []
        for item in file.tree.items:
            if isinstance(item, nodes.JudgementDecl | nodes.CheckDecl):
                entity = scope.decisions.get(item.name.text)
                if isinstance(entity, DecisionEntity) and entity.decl is item:
                    built = self.decisions.decision(scope, entity)
                    (checks if isinstance(item, nodes.CheckDecl) else judgements).append(built)
        for decision in (*judgements, *checks):
            self._check_dates(header, decision)
        dating.check_uses(self.ctx, (*judgements, *checks), header.effective_from, header.effective_until)
        examples = [
            self.decisions.example(scope, item) for item in file.tree.items if isinstance(item, nodes.ExampleDecl)
        ]
        properties = self.properties.check(scope, file.tree.items)
        definitions = {key: d for key, d in self.ctx.definitions.items() if self._visible_definition(file, key)}
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
            properties=properties,
        )

    def _check_dates(self, header: nodes.FrameworkDecl, decision: ir.Judgement) -> None:
        """A dated decision lies inside the framework's dates, and its dated clauses inside its own."""
        framework = f"the framework `{header.name.text}`"
        start, until = header.effective_from, header.effective_until
        dating.check_inside(self.ctx, decision.in_force, start, until, f"`{decision.name}`", framework)
        outer = framework
        if decision.in_force is not None:
            start = decision.in_force.start or start
            until = decision.in_force.until or until
            outer = f"`{decision.name}`"
        for clause in decision.clauses:
            what = f"clause {clause.index + 1} of `{decision.name}`"
            dating.check_inside(self.ctx, clause.in_force, start, until, what, outer)

    def _visible_definition(self, file: LoadedFile, key: str) -> bool:
        module = key.split(":", 1)[0]
        return any(f.module == module and f.root == file.root for f in self.ctx.loaded.files)

"""What a decision reads: the evidence paths and the decisions each definition, decision and expression uses."""

from __future__ import annotations

from typing import Any

from framework_dsl import ir
from framework_dsl.typesystem import ListOf, MapOf, RecordType, SetOf, Type

Path = tuple[str, ...]  # field names and map keys from the root; "*" for each item or value


def type_at(root: RecordType, path: Path) -> Type | None:
    current: Type = root
    for segment in path:
        if isinstance(current, RecordType):
            info = current.fields.get(segment)
            if info is None:
                return None
            current = info.type
        elif isinstance(current, MapOf):
            current = current.value
        elif isinstance(current, ListOf | SetOf):
            current = current.element
        else:
            return None
    return current


def is_leafy(t: Type | None) -> bool:
    """A value compared as a whole (a grade, a number, a set of members): everything under it matters."""
    if t is None or isinstance(t, RecordType):
        return False
    if isinstance(t, ListOf | SetOf):
        return is_leafy(t.element)
    if isinstance(t, MapOf):
        return is_leafy(t.value)
    return True


class Reads:
    """The evidence paths and decisions each definition, decision and expression reads."""

    def __init__(self, framework: ir.Framework) -> None:
        self.framework = framework
        self.decisions = {d.key: d for d in (*framework.judgements, *framework.checks)}
        self._memo: dict[str, tuple[frozenset[Path], frozenset[Path], frozenset[str]]] = {}
        self._stack: list[tuple[set[Path], set[str]]] = []

    def of_exprs(self, exprs: list[ir.Expr]) -> tuple[set[Path], set[str]]:
        """(paths read, decision keys used) by these expressions."""
        reads: set[Path] = set()
        used: set[str] = set()
        self._stack.append((reads, used))
        for expr in exprs:
            self._walk(expr, {})
        self._stack.pop()
        return reads, used

    def of_decision(self, key: str) -> tuple[set[Path], set[str]]:
        reads: set[Path] = set()
        used: set[str] = {key}
        self._stack.append((reads, used))
        self._decision(key)
        self._stack.pop()
        return reads, used

    def walked(self, key: str) -> bool:
        """Whether some decision or expression walked so far used the definition or decision `key`."""
        return key in self._memo

    def _read(self, paths: set[Path]) -> None:
        self._stack[-1][0].update(paths)

    def _decision(self, key: str) -> None:
        reads, used = self._stack[-1]
        if key in self._memo:
            inner_reads, _, inner_used = self._memo[key]
            reads.update(inner_reads)
            used.update(inner_used)
            return
        decision = self.decisions[key]
        mine: set[Path] = set()
        mine_used: set[str] = {key}
        self._stack.append((mine, mine_used))
        env: dict[str, set[Path]] = {}
        if decision.for_each_source is not None and decision.for_each_var is not None:
            env[decision.for_each_var] = {self._element(p) for p in self._walk(decision.for_each_source, env)}
        for let in decision.lets:
            env["let:" + let.name] = self._walk(let.value, env)
        for clause in decision.clauses:
            self._walk(clause.outcome, env)
            if clause.condition is not None:
                self._walk(clause.condition, env)
        self._stack.pop()
        self._memo[key] = (frozenset(mine), frozenset(), frozenset(mine_used))
        reads.update(mine)
        used.update(mine_used)

    def _definition(self, key: str) -> set[Path]:
        reads, used = self._stack[-1]
        if key not in self._memo:
            mine: set[Path] = set()
            mine_used: set[str] = set()
            self._stack.append((mine, mine_used))
            value = self._walk(self.framework.definitions[key].value, {})
            self._stack.pop()
            self._memo[key] = (frozenset(mine), frozenset(value), frozenset(mine_used))
        inner_reads, value_paths, inner_used = self._memo[key]
        reads.update(inner_reads)
        used.update(inner_used)
        return set(value_paths)

    def _element(self, path: Path) -> Path:
        t = type_at(self.framework.evidence, path)
        return (*path, "*") if isinstance(t, ListOf | SetOf | MapOf) else path

    def _walk(self, node: Any, env: dict[str, set[Path]]) -> set[Path]:
        """Record what `node` reads; return the evidence paths its value comes from."""
        match node:
            case ir.EvidenceField():
                found: set[Path] = {(node.name,)}
                self._read(found)
                return found
            case ir.GetField():
                found = {(*p, node.name) for p in self._walk(node.target, env)}
                self._read(found)
                return found
            case ir.Lookup():
                self._walk(node.key, env)
                found = {(*p, "*") for p in self._walk(node.target, env)}
                self._read(found)
                return found
            case ir.Local():
                return set(env.get(node.name, set()))
            case ir.LetRef():
                return set(env.get("let:" + node.name, set()))
            case ir.Quantifier() | ir.Comprehension():
                source = self._walk(node.source, env)
                inner = dict(env)
                inner[node.var] = {self._element(p) for p in source}
                if node.condition is not None:
                    self._walk(node.condition, inner)
                if isinstance(node, ir.Comprehension):
                    return self._walk(node.element, inner)
                return set()
            case ir.DefinitionRef():
                return self._definition(node.key)
            case ir.JudgementRef():
                self._decision(node.key)
                return set()
            case ir.ItemOutcome():
                self._walk(node.item, env)
                self._decision(node.key)
                return set()
            case ir.Const() | ir.AsOfDate():
                return set()
            case ir.ListExpr():
                return set().union(*(self._walk(item, env) for item in node.items)) if node.items else set()
            case ir.Unary():
                return self._walk(node.operand, env)
            case ir.Binary():
                return self._walk(node.left, env) | self._walk(node.right, env)
            case ir.Ternary():
                return self._walk(node.first, env) | self._walk(node.second, env) | self._walk(node.third, env)
        raise TypeError(f"not an expression: {type(node).__name__}")  # pragma: no cover

"""Proofs over a framework: its declared properties checked over every evidence document.

`verify(rule_set)` takes each framework's `invariant` and `monotonic` declarations and
checks them over every evidence document of a bounded space the schema allows, and
reports, for each judgement and check, the outcomes no document in its space produces
and the clauses no document reaches. "Every document" means, for the fields the
property's judgements read (and only those: every other field keeps one fixed value):

- every grade or member of a field (members of an enumeration that no rule names are
  alike, and one stands for them all), both booleans, an optional field present and absent,
  every key of a map present (with each value) and absent;
- for a number, each threshold the framework compares numbers against, one step either
  side of it (so one value in each interval), and the bounds of its range;
- for a date, each date the framework compares against and one day either side; the
  date the framework is dated by takes one date in each period in which the same rules
  are in force (dates outside the framework's own dates are not varied: nothing is in
  force there);
- for text, the texts and provisions the framework names, and one other;
- lists and sets of up to `max_items` items (1 unless asked), each item any of the
  above.

Each document is evaluated once by the compiled engine through `RuleSet.evaluate`; an
invariant is evaluated as a check added to the framework (`failed when GUARD and not
CONDITION`), so it has exactly the engine's meaning, unknowns included. A monotonic
declaration compares the judgement's outcome on pairs of documents of the space that
differ only in the input (one moved up its scale, a number raised to a larger candidate,
a list with one item more). A counterexample is a document of the space, valid evidence
that `framework-check` evaluates to the same outcomes.

A space too large to enumerate is checked over a cut framework (`verify_cuts`): one
decision it reads gives its outcomes as evidence, every outcome the decision's own
documents give (or, when those are too many, every outcome of its type), and the rest is
enumerated as above. That is exact in one direction (what holds there holds for every real
document); a counterexample found there is rebuilt into a real document and evaluated
again, and shown only when it breaks the property too (otherwise the property is
"unproved"). Reachability over a cut reports as never reached only what no cut document
reaches, and as not decided what only cut documents reach.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import math
from collections.abc import Iterator
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.evidence import DEFAULT_LIMITS
from framework_dsl.result import Decision
from framework_dsl.ruleset import RuleSet, evidence_date
from framework_dsl.semantics.operators import Op
from framework_dsl.typesystem import (
    BOOLEAN,
    CHECK_OUTCOME,
    CHECK_OUTCOME_SET,
    DATE,
    DECIMAL,
    INTEGER,
    PROVISION,
    TEXT,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Symbol,
    Type,
)
from framework_dsl.values import Provision
from framework_dsl.verify_cuts import CUT_PREFIX, cut_field, cut_framework, cuttable, graft, item_type

__all__ = [
    "MAX_DOCUMENTS",
    "FrameworkReport",
    "PropertyResult",
    "Reachability",
    "VerifyReport",
    "count_text",
    "verify",
]

# The most documents one space may hold; a larger one is reported, not enumerated.
MAX_DOCUMENTS = 1_500_000
# A space this small is widened to lists of more items (up to 3) while it stays this small.
SMALL_SPACE = 20_000
# A cut framework's space holds at most this many documents (and a decision's own space, to
# take its outcomes from its documents); a sparse search for documents stops after this many.
CUT_DOCUMENTS = 200_000
SEARCH_DOCUMENTS = 50_000
# A decision's space too large to enumerate but at most this large is searched first (at
# most SEARCH_DOCUMENTS documents spread across it, and no more than --max-documents):
# reaching every outcome and clause proves that nothing is unreachable.
SEARCH_SPACE = 10**9
SPARSE_DOCUMENTS = 20_000  # sparse documents tried then, in any space
KEEP = 64  # documents of a cut framework kept, per property, to rebuild a counterexample from
_PREFIX = "verify__"  # the name of the check an invariant becomes


@attrs.frozen(kw_only=True)
class PropertyResult:
    """One declared property and what checking it found."""

    name: str
    kind: str  # "invariant" | "monotonic"
    location: str
    status: str  # "holds" | "fails" | "too_large" | "unproved" (over a cut framework: broken, not by a real document)
    documents: int  # documents in its space
    compared: int  # invariants: documents where it was decided; monotonic: pairs compared
    undecided: int  # invariants: documents where it was undetermined or not in force
    counterexample: dict[str, Any] | None = None
    note: str | None = None
    reason: str | None = None
    citation: str | None = None
    max_items: int = 1  # lists and sets in its documents held up to this many items
    # Checked over a cut framework: each decision whose outcomes were given as evidence, and
    # where those came from ("documents": its own documents; "type": every outcome of its type).
    cut: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "name": self.name,
            "kind": self.kind,
            "location": self.location,
            "status": self.status,
            "documents": self.documents,
            "compared": self.compared,
            "undecided": self.undecided,
            "max_items": self.max_items,
            "cut": [{"decision": name, "outcomes_from": source} for name, source in self.cut],
            "counterexample": self.counterexample,
            "note": self.note,
        }


@attrs.frozen(kw_only=True)
class Reachability:
    """For one judgement or check: what no document of its space produces or reaches."""

    decision: str
    location: str
    status: str  # "exact" | "too_large"
    documents: int
    never_outcomes: tuple[str, ...] = ()
    never_clauses: tuple[tuple[int, str], ...] = ()  # (clause number, location)
    # Which of those `framework-dsl lint` reports too (lint.unproducible-grade, lint.unreachable-clause).
    lint_outcomes: frozenset[str] = frozenset()
    lint_clauses: frozenset[int] = frozenset()
    max_items: int = 1
    # Checked over a cut framework: the decisions cut, and what a document of the cut
    # framework gives but no rebuilt real document confirmed (neither proved reached nor never).
    cut: tuple[tuple[str, str], ...] = ()
    searched: int = 0  # too many to enumerate: every outcome and clause reached by this many documents spread across
    unconfirmed_outcomes: tuple[str, ...] = ()
    unconfirmed_clauses: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "decision": self.decision,
            "location": self.location,
            "status": self.status,
            "documents": self.documents,
            "max_items": self.max_items,
            "cut": [{"decision": name, "outcomes_from": source} for name, source in self.cut],
            "searched": self.searched,
            "unconfirmed_outcomes": list(self.unconfirmed_outcomes),
            "unconfirmed_clauses": [{"clause": n, "location": loc} for n, loc in self.unconfirmed_clauses],
            "never_outcomes": [{"outcome": o, "lint": o in self.lint_outcomes} for o in self.never_outcomes],
            "never_clauses": [
                {"clause": n, "location": loc, "lint": n in self.lint_clauses} for n, loc in self.never_clauses
            ],
        }


@attrs.frozen(kw_only=True)
class FrameworkReport:
    """Everything verify found for one framework."""

    framework: str
    properties: tuple[PropertyResult, ...]
    reachability: tuple[Reachability, ...]
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "framework": self.framework,
            "properties": [p.to_dict() for p in self.properties],
            "reachability": [
                r.to_dict()
                for r in self.reachability
                if r.never_outcomes
                or r.never_clauses
                or r.unconfirmed_outcomes
                or r.unconfirmed_clauses
                or r.cut
                or r.searched
            ]
            + [r.to_dict() for r in self.reachability if r.status == "too_large"],
            "evaluations": self.evaluations,
        }


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The answer for a rule set: a report per framework."""

    frameworks: tuple[FrameworkReport, ...]
    max_items: int

    @property
    def failed(self) -> list[PropertyResult]:
        """The properties a document breaks."""
        return [p for f in self.frameworks for p in f.properties if p.status == "fails"]

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "max_items": self.max_items,
            "frameworks": [f.to_dict() for f in self.frameworks],
            "failed": len(self.failed),
        }


def verify(
    rule_set: RuleSet,
    *,
    frameworks: tuple[str, ...] = (),
    max_items: int = 1,
    max_documents: int = MAX_DOCUMENTS,
    reachability: bool = True,
    lint: tuple[Diagnostic, ...] = (),
) -> VerifyReport:
    """Check every declared property of the rule set's frameworks (or of `frameworks`).

    Args:
        rule_set: checked rules.
        frameworks: the frameworks to verify; all when empty.
        max_items: lists and sets hold up to this many items.
        max_documents: a space larger than this is reported as too large, not enumerated.
        reachability: also report outcomes and clauses no document produces or reaches.
        lint: the linter's diagnostics for the same rules, to say which findings it makes too.
    """
    names = frameworks or tuple(sorted(rule_set.frameworks))
    reports = []
    for name in names:
        worker = _Verifier(rule_set, rule_set.frameworks[name], max_items, max_documents)
        properties, found = worker.run(reachability)
        found = tuple(_with_lint(r, lint) for r in found)
        reports.append(
            FrameworkReport(framework=name, properties=properties, reachability=found, evaluations=worker.evaluations)
        )
    return VerifyReport(frameworks=tuple(reports), max_items=max_items)


# ---------------------------------------------------------------- what a decision reads

Path = tuple[str, ...]  # field names and map keys from the root; "*" for each item or value


def _type_at(root: RecordType, path: Path) -> Type | None:
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


def _is_leafy(t: Type | None) -> bool:
    """A value compared as a whole (a grade, a number, a set of members): everything under it matters."""
    if t is None or isinstance(t, RecordType):
        return False
    if isinstance(t, ListOf | SetOf):
        return _is_leafy(t.element)
    if isinstance(t, MapOf):
        return _is_leafy(t.value)
    return True


class _Reads:
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
        t = _type_at(self.framework.evidence, path)
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


# ---------------------------------------------------------------- the constants the rules compare against


@attrs.define
class _Constants:
    numbers: set[decimal.Decimal] = attrs.field(factory=set)
    dates: set[datetime.date] = attrs.field(factory=set)
    texts: set[str] = attrs.field(factory=set)
    provisions: set[str] = attrs.field(factory=set)
    symbols: set[Symbol] = attrs.field(factory=set)


def _constants(nodes: list[Any]) -> _Constants:
    found = _Constants()
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if isinstance(node, ir.Const):
            value = node.value
            if isinstance(value, Symbol):
                found.symbols.add(value)
            elif isinstance(value, bool):
                pass
            elif isinstance(value, int | decimal.Decimal):
                found.numbers.add(decimal.Decimal(value))
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                found.dates.add(value)
            elif isinstance(value, str):
                found.texts.add(value)
            elif isinstance(value, Provision):
                found.provisions.add(value.text)
            elif isinstance(value, tuple | list | frozenset):
                pending.extend(ir.Const(value=v, type=node.type, span=node.span) for v in value)
            continue
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif isinstance(node, dict):
            pending.extend(node.values())
        elif attrs.has(type(node)):
            pending.extend(
                getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type", "reason")
            )
    return found


# ---------------------------------------------------------------- the space of documents

_ABSENT = object()


class _Space:
    """The documents that vary what `reads` reads, each as JSON data."""

    def __init__(
        self,
        framework: ir.Framework,
        reads: set[Path],
        constants: _Constants,
        dated_values: list[datetime.date],
        max_items: int,
        overrides: dict[Path, tuple[Any, ...]] | None = None,
    ) -> None:
        self.framework = framework
        self.max_items = max_items
        # Fields whose values are given, not derived from the schema: a cut decision's
        # outcomes (`_ABSENT` among them for an item absent or undetermined).
        self.overrides = overrides or {}
        self.constants = constants
        self.dated_values = dated_values
        self.exact: set[Path] = set()  # structure reads: presence, length, keys
        self.full: set[Path] = set()  # value reads: everything beneath matters
        for path in reads:
            (self.full if _is_leafy(_type_at(framework.evidence, path)) else self.exact).add(path)
        self.dated_read = framework.dated_by is not None and framework.dated_by in reads
        if framework.dated_by is not None:
            self.full.add(framework.dated_by)
        thresholds = sorted(constants.numbers)
        self.thresholds = thresholds
        self._counts: dict[Path, int] = {}  # `_count` by location, for `_at`

    def signature(self) -> tuple[Any, ...]:
        """Equal for two spaces that hold the same documents in the same order."""
        return (
            tuple(self._varied(self.framework.evidence, ())),
            tuple(self._options(DATE, self.framework.dated_by or ())),
            self.max_items,
            tuple(sorted((path, repr(values)) for path, values in self.overrides.items())),
        )

    def _varied(self, t: Type, location: Path) -> Iterator[Path]:
        """The locations whose values the space varies, in schema order."""
        children: list[tuple[Type, Path]] = []
        if isinstance(t, RecordType):
            children = [(info.type, (*location, name)) for name, info in t.fields.items()]
        elif isinstance(t, MapOf):
            children = [(t.value, (*location, m.name)) for m in t.key.members]
        elif isinstance(t, ListOf | SetOf):
            children = [(t.element, (*location, "*"))]
        for child_type, child in children:
            if self.varies(child):
                yield child
                yield from self._varied(child_type, child)

    def has_lists(self) -> bool:
        """Whether some list or set the space varies could hold more items."""
        return any(loc and loc[-1] == "*" for loc in self._varied(self.framework.evidence, ())) or any(
            isinstance(_type_at(self.framework.evidence, p), ListOf | SetOf) for p in self.exact | self.full
        )

    def _matches(self, pattern: Path, location: Path) -> bool:
        return all(p in ("*", c) or c == "*" for p, c in zip(pattern, location, strict=False))

    def varies(self, location: Path) -> bool:
        """Whether the value at `location` (map keys named, list items "*") matters to what is read."""
        for path in self.full:
            if len(path) <= len(location) and self._matches(path, location):
                return True
        for path in self.exact:
            if len(path) >= len(location) and self._matches(path, location):
                return True
        return any(len(path) > len(location) and self._matches(path, location) for path in self.full)

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every document of the space."""
        for value in self._values(self.framework.evidence, ()):
            yield {"framework": self.framework.name, **value}

    def size(self) -> int:
        """How many documents `documents` gives."""
        return self._count(self.framework.evidence, ())

    def spread_documents(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` documents of the space spread across it (every `step`-th in a fixed order, `step` near the golden
        section of the size), the same ones on every run."""
        size = self.size()
        step = max(1, size * 618_033_989 // 1_000_000_000) | 1
        while math.gcd(step, size) != 1:
            step += 2
        for index in range(min(count, size)):
            value = self._at(self.framework.evidence, (), index * step % size)
            yield {"framework": self.framework.name, **value}

    def _at(self, t: Type, location: Path, index: int) -> Any:
        """The document (or value) number `index` of the `_count` at this location, digit by digit."""
        if isinstance(t, RecordType):
            out: dict[str, Any] = {}
            for name, info in t.fields.items():
                child = (*location, name)
                if child in self.overrides:
                    options = self.overrides[child]
                    index, digit = divmod(index, len(options))
                    if options[digit] is not _ABSENT:
                        out[name] = options[digit]
                elif self.varies(child):
                    width = self._count(info.type, child) + (1 if info.optional else 0)
                    index, digit = divmod(index, width)
                    if not (info.optional and digit == width - 1):
                        out[name] = self._at(info.type, child, digit)
                elif not info.optional:
                    out[name] = self._default(info.type, child)
            return out
        if isinstance(t, MapOf):
            entries: dict[str, Any] = {}
            for member in t.key.members:
                child = (*location, member.name)
                if child in self.overrides:
                    options = self.overrides[child]
                    index, digit = divmod(index, len(options))
                    if options[digit] is not _ABSENT:
                        entries[member.name] = options[digit]
                elif self.varies(child):
                    index, digit = divmod(index, 1 + self._count(t.value, child))
                    if digit:
                        entries[member.name] = self._at(t.value, child, digit - 1)
            return entries
        if isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            varied = self.varies(child)
            n = self._count(t.element, child) if varied else 1
            if isinstance(t, SetOf):
                items = list(self._values(t.element, child)) if varied else [self._default(t.element, child)]
                for size in range(self.max_items + 1):
                    block = _choose(n, size)
                    if index < block:
                        return list(next(itertools.islice(itertools.combinations(items, size), index, None)))
                    index -= block
                raise IndexError(index)  # pragma: no cover
            for size in range(self.max_items + 1):
                block = n**size
                if index < block:
                    out_items = []
                    for _ in range(size):
                        index, digit = divmod(index, n)
                        item = self._at(t.element, child, digit) if varied else self._default(t.element, child)
                        out_items.append(item)
                    return out_items
                index -= block
            raise IndexError(index)  # pragma: no cover
        return self._options(t, location)[index]

    def sparse_documents(self) -> Iterator[dict[str, Any]]:
        """Documents of the space with at most one entry in each map and one item in each list, fewest first."""
        for value in self._sparse(self.framework.evidence, ()):
            yield {"framework": self.framework.name, **value}

    def _sparse(self, t: Type, location: Path) -> Iterator[Any]:
        if isinstance(t, RecordType):
            names = list(t.fields)
            per_field: list[list[Any]] = []
            for name in names:
                info = t.fields[name]
                child = (*location, name)
                if self.varies(child):
                    options = [_ABSENT] if info.optional else []
                    options.extend(self._sparse(info.type, child))
                elif info.optional:
                    options = [_ABSENT]
                else:
                    options = [self._default(info.type, child)]
                per_field.append(options)
            for combination in _diagonal(per_field):
                yield {n: v for n, v in zip(names, combination, strict=True) if v is not _ABSENT}
        elif isinstance(t, MapOf):
            yield {}
            # Each key in turn, so that every key's first values come early.
            pending = [
                (member.name, self._sparse(t.value, (*location, member.name)))
                for member in t.key.members
                if self.varies((*location, member.name))
            ]
            while pending:
                for entry in list(pending):
                    value = next(entry[1], _ABSENT)
                    if value is _ABSENT:
                        pending.remove(entry)
                    else:
                        yield {entry[0]: value}
        elif isinstance(t, ListOf | SetOf):
            yield []
            child = (*location, "*")
            if self.varies(child):
                for item in self._sparse(t.element, child):
                    yield [item]
            else:
                yield [self._default(t.element, child)]
        else:
            yield from self._options(t, location)

    # -- values of a type at a location

    def _options(self, t: Type, location: Path) -> list[Any]:
        """The values a leaf takes (for a field the rules read)."""
        if location == self.framework.dated_by:
            days = set(self.dated_values)
            if self.dated_read:  # compared as a date too: also the dates it is compared with, a day either side
                start, until = self.framework.effective_from, self.framework.effective_until
                days |= {
                    d + datetime.timedelta(days=k)
                    for d in self.constants.dates
                    for k in (-1, 0, 1)
                    if (start is None or d + datetime.timedelta(days=k) >= start)
                    and (until is None or d + datetime.timedelta(days=k) <= until)
                }
            return [d.isoformat() for d in sorted(days)]
        if isinstance(t, Choice):
            members = list(t.members)
            named = [m for m in members if m.ordered or m in self.constants.symbols]
            alike = [m for m in members if not (m.ordered or m in self.constants.symbols)]
            return [m.name for m in named + alike[:1]]
        if t == BOOLEAN:
            return [False, True]
        if isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            return self._numbers(t)
        if isinstance(t, Prim) and t == DATE:
            dates = (*self.constants.dates, *self.dated_values)
            around = {d + datetime.timedelta(days=k) for d in dates for k in (-1, 0, 1)}
            return [d.isoformat() for d in sorted(around)]
        if isinstance(t, Prim) and t == PROVISION:
            provisions = sorted(self.constants.provisions)
            parents = sorted({n.rsplit("(", 1)[0] for n in provisions if n.count("(") > 1})
            children = [n + "(z)" for n in provisions]
            return [*provisions, *parents, *children, "99(1)"]
        if isinstance(t, Prim) and t == TEXT:
            return [*sorted(self.constants.texts), "other"]
        return [self._default(t, location)]

    def _numbers(self, t: Prim) -> list[Any]:
        integral = t == INTEGER
        found: set[decimal.Decimal] = set()
        for threshold in self.thresholds:
            step = decimal.Decimal(1) if integral else _unit(threshold)
            found.update((threshold - step, threshold, threshold + step))
        if not found:
            found.add(decimal.Decimal(0))
        low, high = t.low, t.high
        if low is not None:
            found = {n for n in found if n >= low} | {decimal.Decimal(low)}
        if high is not None:
            found = {n for n in found if n <= high} | {decimal.Decimal(high)}
        out: list[Any] = []
        for number in sorted(found):
            if integral:
                if number == number.to_integral_value():
                    out.append(int(number))
            else:
                out.append(int(number) if number == number.to_integral_value() else float(number))
        return out

    def _default(self, t: Type, location: Path) -> Any:
        """The one value a field no rule reads keeps."""
        if location == self.framework.dated_by:
            return self.dated_values[0].isoformat()
        if isinstance(t, Choice):
            return t.members[0].name
        if t == BOOLEAN:
            return False
        if isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            return int(t.low) if t.low is not None else 0
        if t == DATE:
            return self.dated_values[0].isoformat()
        if t == PROVISION:
            return "1"
        if t == TEXT:
            return "x"
        if isinstance(t, ListOf | SetOf):
            return []
        if isinstance(t, MapOf):
            return {}
        if isinstance(t, RecordType):
            return {
                name: self._default(info.type, (*location, name))
                for name, info in t.fields.items()
                if not info.optional
            }
        return None

    def _values(self, t: Type, location: Path) -> Iterator[Any]:
        if isinstance(t, RecordType):
            names = list(t.fields)
            per_field: list[list[Any]] = []
            for name in names:
                info = t.fields[name]
                child = (*location, name)
                if child in self.overrides:
                    options = list(self.overrides[child])
                elif self.varies(child):
                    options = list(self._values(info.type, child))
                    if info.optional:
                        options.append(_ABSENT)
                elif info.optional:
                    options = [_ABSENT]
                else:
                    options = [self._default(info.type, child)]
                per_field.append(options)
            for combination in itertools.product(*per_field):
                yield {n: v for n, v in zip(names, combination, strict=True) if v is not _ABSENT}
        elif isinstance(t, MapOf):
            keys = [m.name for m in t.key.members]
            per_key: list[list[Any]] = []
            for key in keys:
                child = (*location, key)
                if child in self.overrides:
                    per_key.append(list(self.overrides[child]))
                else:
                    per_key.append([_ABSENT, *self._values(t.value, child)] if self.varies(child) else [_ABSENT])
            for combination in itertools.product(*per_key):
                yield {k: v for k, v in zip(keys, combination, strict=True) if v is not _ABSENT}
        elif isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            items = list(self._values(t.element, child)) if self.varies(child) else [self._default(t.element, child)]
            yield []
            for size in range(1, self.max_items + 1):
                if isinstance(t, SetOf):
                    for chosen in itertools.combinations(items, size):
                        yield list(chosen)
                else:
                    for chosen_list in itertools.product(items, repeat=size):
                        yield list(chosen_list)  # items are shared: no document is changed in place
        else:
            yield from self._options(t, location)

    def _count(self, t: Type, location: Path) -> int:
        found = self._counts.get(location)
        if found is None:
            found = self._counts[location] = self._count_at(t, location)
        return found

    def _count_at(self, t: Type, location: Path) -> int:
        if isinstance(t, RecordType):
            total = 1
            for name, info in t.fields.items():
                child = (*location, name)
                if child in self.overrides:
                    total *= len(self.overrides[child])
                elif self.varies(child):
                    total *= self._count(info.type, child) + (1 if info.optional else 0)
            return total
        if isinstance(t, MapOf):
            total = 1
            for member in t.key.members:
                child = (*location, member.name)
                if child in self.overrides:
                    total *= len(self.overrides[child])
                elif self.varies(child):
                    total *= 1 + self._count(t.value, child)
            return total
        if isinstance(t, ListOf | SetOf):
            child = (*location, "*")
            n = self._count(t.element, child) if self.varies(child) else 1
            if isinstance(t, SetOf):
                return sum(_choose(n, k) for k in range(self.max_items + 1))
            return sum(n**k for k in range(self.max_items + 1))
        return len(self._options(t, location))


def _diagonal(options: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """Every combination of one option from each list, by the sum of the options' places: each list's first options
    meet the others' first options early, whichever list comes last."""
    sizes = [len(o) for o in options]
    if not all(sizes):
        return
    rest = [sum(s - 1 for s in sizes[i + 1 :]) for i in range(len(sizes))]

    def at(index: int, remaining: int) -> Iterator[tuple[Any, ...]]:
        if index == len(options):
            yield ()
            return
        for place in range(max(0, remaining - rest[index]), min(sizes[index] - 1, remaining) + 1):
            for tail in at(index + 1, remaining - place):
                yield (options[index][place], *tail)

    for level in range(sum(s - 1 for s in sizes) + 1):
        yield from at(0, level)


def _choose(n: int, k: int) -> int:
    if k > n:
        return 0
    out = 1
    for i in range(k):
        out = out * (n - i) // (i + 1)
    return out


def _unit(number: decimal.Decimal) -> decimal.Decimal:
    exponent = number.as_tuple().exponent
    return decimal.Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)


def _key(document: dict[str, Any]) -> int:
    """Equal for documents of one space that are equal (each is built in schema order)."""
    return hash(repr(document))


# ---------------------------------------------------------------- checking


@attrs.define
class _Job:
    """One property or one decision's reachability, over its space."""

    kind: str  # "invariant" | "monotonic" | "reach"
    target: Any  # the property, or the decision
    space: _Space
    used: set[str]
    check: ir.Judgement | None = None
    # what was found
    decided: int = 0
    undecided: int = 0
    failure: dict[str, Any] | None = None
    grades: dict[int, Symbol | None] = attrs.field(factory=dict)
    produced: set[str] = attrs.field(factory=set)
    reached: set[str] = attrs.field(factory=set)
    # Over a cut framework: documents that break the invariant (up to `keep`), and the
    # first document that gives each outcome or reaches each clause, to rebuild and confirm.
    keep: int = 0
    failures: list[dict[str, Any]] = attrs.field(factory=list)
    examples: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def see(self, document: dict[str, Any], decisions: dict[str, Any] | None, key: int) -> None:
        """Take in one evaluated document (None: not evaluated); `key` is `_key(document)` when some job needs it."""
        if self.kind == "invariant":
            assert self.check is not None
            made = None if decisions is None else decisions[self.check.name]
            items = made if isinstance(made, tuple) else (made,)
            if any(item is not None and item.status == "decided" and item.value.name == "failed" for item in items):
                failed = True
            elif made is None or any(item.status != "decided" for item in items):
                self.undecided += 1
                return
            else:
                failed = False
            self.decided += 1
            if failed and len(self.failures) < self.keep:
                self.failures.append(document)
            if self.failure is None and failed and decisions is not None:
                names = [key.split(":", 1)[1] for key in sorted(self.used)]
                self.failure = {
                    "evidence": document,
                    "outcomes": {name: _show(decisions[name]) for name in names if name in decisions},
                }
        elif self.kind == "monotonic":
            made = None if decisions is None else decisions[self.target.judgement_name]
            self.grades[key] = made.value if made is not None and _graded(made) else None
        elif decisions is not None:
            made = decisions[self.target.name]
            for one in made if isinstance(made, tuple) else (made,):
                if one.status == "decided":
                    for value in one.value if self.target.collect else (one.value,):
                        if isinstance(value, Symbol):
                            self.produced.add(value.name)
                            if self.keep:
                                self.examples.setdefault("outcome:" + value.name, document)
                    self.reached.update(one.clause_ids or ())
                    if self.keep:
                        for clause in one.clause_ids or ():
                            self.examples.setdefault("clause:" + clause, document)


class _Verifier:
    def __init__(
        self,
        rule_set: RuleSet,
        framework: ir.Framework,
        max_items: int,
        max_documents: int,
        overrides: dict[Path, tuple[Any, ...]] | None = None,
    ) -> None:
        self.rule_set = rule_set
        self.overrides = overrides or {}
        self._cut_memo: dict[str, _CutValues] = {}
        self._rules_memo: dict[tuple[frozenset[str], tuple[str, ...]], RuleSet] = {}
        self.framework = framework
        self.max_items = max_items
        self.max_documents = max_documents
        self.reads = _Reads(framework)
        self.evaluations = 0
        # The evaluation date of a framework not dated by its evidence (never the clock).
        self.as_of = None if framework.dated_by else (framework.effective_from or datetime.date(2000, 1, 1))
        extra: list[Any] = []
        for prop in framework.properties:
            if isinstance(prop, ir.Invariant):
                extra.extend([prop.condition, prop.guard])
        for decision in (*framework.judgements, *framework.checks):
            self.reads.of_decision(decision.key)
        self.reads.of_exprs([e for e in extra if e is not None])
        used_definitions = [d for key, d in framework.definitions.items() if self.reads.walked(key)]
        self.constants = _constants([*framework.judgements, *framework.checks, *used_definitions, *extra])

    def run(self, reachability: bool) -> tuple[tuple[PropertyResult, ...], tuple[Reachability, ...]]:
        """Check every property (and reachability), each space enumerated and evaluated once.

        A space too large to enumerate is checked over a cut framework where one decision
        it reads gives its outcomes as evidence (`_CutRun`), when such a cut makes it small;
        a decision's reachability with no such cut, by a search (`_reach_by_search`).
        """
        jobs = [self._property_job(p) for p in self.framework.properties]
        reach_jobs = (
            [self._reach_job(d) for d in (*self.framework.judgements, *self.framework.checks)] if reachability else []
        )
        every = [*jobs, *reach_jobs]
        self._enumerate([job for job in every if job.space.size() <= self.max_documents])
        cut_results: dict[int, PropertyResult | Reachability] = {}
        runs: dict[frozenset[str], _CutRun] = {}
        for index, job in enumerate(every):
            if job.space.size() <= self.max_documents:
                continue
            keys = self._choose_cut(job)
            if keys is not None:
                run = runs.get(keys)
                if run is None:
                    run = runs[keys] = _CutRun(self, tuple(self._cut_values(k) for k in sorted(keys)))
                run.add(index, job)
            elif job.kind == "reach":
                searched = self._reach_by_search(job)
                if searched is not None:
                    cut_results[index] = searched
        for run in runs.values():
            cut_results.update(run.results())
            self.evaluations += run.evaluations()
        properties = tuple(
            _as_property(cut_results[i]) if i in cut_results else self._property_result(job)
            for i, job in enumerate(jobs)
        )
        reach = tuple(
            _as_reach(cut_results[i + len(jobs)]) if i + len(jobs) in cut_results else self._reach_result(job)
            for i, job in enumerate(reach_jobs)
        )
        return properties, reach

    def _enumerate(self, jobs: list[_Job]) -> None:
        """Evaluate every document of the jobs' spaces, each space once, and let each job see its documents."""
        groups: dict[Any, list[_Job]] = {}
        for job in jobs:
            groups.setdefault(job.space.signature(), []).append(job)
        # A space whose varied fields and dates all lie in a larger one's is checked on the
        # larger one: every one of its documents is among the larger's (a field it does not
        # vary keeps a value the larger also gives it), so one enumeration serves both.
        for small in sorted(groups, key=lambda sig: len(sig[0])):
            for large in sorted(groups, key=lambda sig: -len(sig[0])):
                if large != small and large in groups and small in groups and _within(small, large):
                    for job in groups[small]:
                        job.space = groups[large][0].space
                    groups[large].extend(groups.pop(small))
                    break
        for group in groups.values():
            used = set().union(*(job.used for job in group))
            checks = tuple(job.check for job in group if job.check is not None)
            rules = self._reduced(used, checks)
            keyed = any(job.kind == "monotonic" for job in group)
            for document in group[0].space.documents():
                decisions = self._evaluate(rules, document)
                key = _key(document) if keyed else 0
                for job in group:
                    job.see(document, decisions, key)

    # -- the parts of a space

    def _space(self, reads: set[Path], used: set[str]) -> _Space:
        """The documents for these reads: lists of `max_items` items, or more (up to 3) while that stays small."""
        decisions = [self.reads.decisions[k] for k in sorted(used)]
        dated = self._dated_values(decisions)
        best = _Space(self.framework, reads, self.constants, dated, self.max_items, self.overrides)
        for items in range(self.max_items + 1, 4):
            wider = _Space(self.framework, reads, self.constants, dated, items, self.overrides)
            if wider.signature()[0] == best.signature()[0] and not wider.has_lists():
                break
            if wider.size() > SMALL_SPACE:
                break
            best = wider
        return best

    def _dated_values(self, decisions: list[ir.Judgement]) -> list[datetime.date]:
        """One date in each period in which the same decisions and clauses are in force, when any of them is."""
        start = self.framework.effective_from or datetime.date(2000, 1, 1)
        until = self.framework.effective_until
        starts = {start}
        for decision in decisions:
            for dates in (decision.in_force, *(c.in_force for c in decision.clauses)):
                if dates is None:
                    continue
                if dates.start is not None:
                    starts.add(dates.start)
                if dates.until is not None:
                    starts.add(dates.until + datetime.timedelta(days=1))
        inside = sorted(d for d in starts if d >= start and (until is None or d <= until))
        live = [d for d in inside if any(j.in_force is None or j.in_force.covers(d) for j in decisions)]
        return live or inside[:1]

    def _reduced(
        self, used: set[str], checks: tuple[ir.Judgement, ...], extra: tuple[ir.Judgement, ...] = ()
    ) -> RuleSet:
        """The framework with only the decisions in `used` (and the added checks): the same engine, less work.

        Decisions a reason names are kept too (their inputs are not varied: reasons decide nothing).
        """
        used = set(used)
        pending = [*used, *(c.key for c in checks)]
        every = {**self.reads.decisions}
        while pending:
            decision = every.get(pending.pop())
            if decision is None:
                continue
            for key in _decisions_named(decision, self.framework):
                if key not in used:
                    used.add(key)
                    pending.append(key)
        framework = attrs.evolve(
            self.framework,
            judgements=tuple(j for j in self.framework.judgements if j.key in used) + extra,
            checks=tuple(c for c in self.framework.checks if c.key in used) + checks,
            examples=(),
            properties=(),
        )
        return RuleSet(frameworks={self.framework.name: framework}, digest=self.rule_set.digest)

    def _as_check(self, prop: ir.Invariant) -> ir.Judgement:
        failed = ir.Const(value=CHECK_OUTCOME_SET.members[1], type=CHECK_OUTCOME, span=prop.span)
        passed = ir.Const(value=CHECK_OUTCOME_SET.members[0], type=CHECK_OUTCOME, span=prop.span)
        broken: ir.Expr = ir.Unary(op=Op.NOT, operand=prop.condition, type=BOOLEAN, span=prop.span)
        if prop.guard is not None:
            broken = ir.Binary(op=Op.AND, left=prop.guard, right=broken, type=BOOLEAN, span=prop.span)
        key = f"{self.framework.name}:{_PREFIX}{prop.name}"
        clauses = (
            ir.Clause(
                id=f"{key}#1",
                index=0,
                outcome=failed,
                condition=broken,
                reason=(),
                citation=None,
                location=prop.location,
                span=prop.span,
            ),
            ir.Clause(
                id=f"{key}#2",
                index=1,
                outcome=passed,
                condition=None,
                reason=(),
                citation=None,
                location=prop.location,
                span=prop.span,
            ),
        )
        return ir.Judgement(
            key=key,
            name=_PREFIX + prop.name,
            kind="check",
            for_each_var=prop.for_each_var,
            for_each_source=prop.for_each_source,
            type=CHECK_OUTCOME,
            collect=False,
            clauses=clauses,
            span=prop.span,
        )

    def _evaluate(self, rules: RuleSet, document: dict[str, Any]) -> dict[str, Any] | None:
        """Decisions by name, or None when the document is not evaluated (invalid, not in force).

        The compiled engine on the compiled validator's reading of the document, as
        `RuleSet.evaluate` runs them; a document that validator does not take, through
        `RuleSet.evaluate` itself. (Every document's date lies inside the framework's.)
        """
        self.evaluations += 1
        name = self.framework.name
        validator = rules.compiled_validator(name)
        root = validator(document, DEFAULT_LIMITS) if validator is not None else None
        if root is None:
            result = rules.evaluate(document, self.as_of)
            if result.status != "evaluated":
                return None
            return {**result.judgements, **result.checks}
        date = evidence_date(root, self.framework.dated_by) or self.as_of
        assert date is not None
        judgements, checks = rules.compiled(name).evaluate(root, self.as_of or date, date)
        return {**judgements, **checks}

    # -- jobs

    def _property_job(self, prop: ir.Property) -> _Job:
        if isinstance(prop, ir.Invariant):
            check = self._as_check(prop)
            self.reads.decisions[check.key] = check
            reads, used = self.reads.of_decision(check.key)
            used.discard(check.key)
            return _Job("invariant", prop, self._space(reads, used), used, check)
        reads, used = self.reads.of_decision(prop.judgement)
        reads = reads | {_pattern(self.framework, prop.path)}
        return _Job("monotonic", prop, self._space(reads, used), used)

    def _reach_job(self, decision: ir.Judgement) -> _Job:
        reads, used = self.reads.of_decision(decision.key)
        return _Job("reach", decision, self._space(reads, used), used)

    def _property_result(self, job: _Job) -> PropertyResult:
        prop = job.target
        size = job.space.size()
        common: dict[str, Any] = {
            "name": prop.name,
            "kind": job.kind,
            "location": prop.location,
            "reason": prop.reason,
            "citation": prop.citation,
            "documents": size,
            "max_items": job.space.max_items,
        }
        if size > self.max_documents:
            note = f"{count_text(size)} documents, more than the {self.max_documents:,} verify enumerates"
            return PropertyResult(**common, status="too_large", compared=0, undecided=0, note=note)
        if job.kind == "invariant":
            failure = job.failure
            if failure is not None:
                names = [k.split(":", 1)[1] for k in sorted(job.used)]
                failure = self._confirmed(failure["evidence"], names)
            status = "fails" if failure is not None else "holds"
            return PropertyResult(
                **common, status=status, compared=job.decided, undecided=job.undecided, counterexample=failure
            )
        compared, failure = self._pairs(prop, job)
        return PropertyResult(
            **common,
            status="fails" if failure is not None else "holds",
            compared=compared,
            undecided=0,
            counterexample=failure,
        )

    def _pairs(self, prop: ir.Monotonic, job: _Job) -> tuple[int, dict[str, Any] | None]:
        """Compare the judgement on each pair of documents that differ by the input moved up."""
        pattern = _pattern(self.framework, prop.path)
        up = prop.input_moves in ("better", "more", "grows")
        compared = 0
        for document in job.space.documents():
            before = job.grades.get(_key(document))
            if before is None:
                continue
            for changed, patch in _moved_up(document, pattern, prop, job.space):
                after = job.grades.get(_key(changed))
                if after is None or after.owner != before.owner:
                    continue
                compared += 1
                # up: the input moves from `document` to `changed`; down: from `changed` to `document`
                old, new = (before, after) if up else (after, before)
                gap = new.rank - old.rank  # rank 0 is the best grade
                if gap > 0 if prop.moves == "worse" else gap < 0:
                    first, second = (document, changed) if up else (changed, document)
                    return compared, {
                        "before": self._confirmed(first, [prop.judgement_name]),
                        "after": self._confirmed(second, [prop.judgement_name]),
                        "change": patch if up else _reverse(patch, document),
                    }
        return compared, None

    def _confirmed(self, document: dict[str, Any], names: list[str]) -> dict[str, Any]:
        """A counterexample as the whole rule set evaluates it (`RuleSet.evaluate`, as framework-check does)."""
        result = self.rule_set.evaluate(document, self.as_of, framework=self.framework.name)
        decisions = {**result.judgements, **result.checks}
        shown: dict[str, Any] = {"evidence": document}
        if self.as_of is not None:
            shown["as_of"] = self.as_of.isoformat()
        shown["outcomes"] = {name: _show(decisions[name]) for name in names if name in decisions}
        return shown

    def _reach_result(self, job: _Job) -> Reachability:
        decision: ir.Judgement = job.target
        size = job.space.size()
        location = decision.clauses[0].location if decision.clauses else self.framework.path
        if size > self.max_documents:
            return Reachability(decision=decision.name, location=location, status="too_large", documents=size)
        possible = [m.name for m in decision.type.members] if isinstance(decision.type, Choice) else []
        return Reachability(
            decision=decision.name,
            location=location,
            status="exact",
            documents=size,
            max_items=job.space.max_items,
            never_outcomes=tuple(name for name in possible if name not in job.produced),
            never_clauses=tuple(
                (clause.index + 1, clause.location) for clause in decision.clauses if clause.id not in job.reached
            ),
        )

    # -- reachability by search

    def _reach_by_search(self, job: _Job) -> Reachability | None:
        """Reachability of a decision whose documents are too many, when some of its documents reach every outcome
        and clause: then nothing is unreachable, and each was reached by a real document. The documents tried are,
        for a space of at most SEARCH_SPACE, documents spread across it, then its sparse ones (one entry per map,
        one item per list: small, and a clause about one item needs no more)."""
        decision: ir.Judgement = job.target
        size = job.space.size()
        possible = {m.name for m in decision.type.members} if isinstance(decision.type, Choice) else set()
        clauses = {c.id for c in decision.clauses}
        rules = self._rules(job.used, ())
        sparse = itertools.islice(job.space.sparse_documents(), min(SPARSE_DOCUMENTS, self.max_documents))
        spread = job.space.spread_documents(min(SEARCH_DOCUMENTS, self.max_documents)) if size <= SEARCH_SPACE else ()
        for searched, document in enumerate(itertools.chain(spread, sparse), start=1):
            job.see(document, self._evaluate(rules, document), 0)
            if possible <= job.produced and clauses <= job.reached:
                location = decision.clauses[0].location if decision.clauses else self.framework.path
                return Reachability(
                    decision=decision.name,
                    location=location,
                    status="exact",
                    documents=size,
                    max_items=job.space.max_items,
                    searched=searched,
                )
        return None

    # -- cuts: a decision's outcomes given as evidence

    def _choose_cut(self, job: _Job) -> frozenset[str] | None:
        """The decision to cut for a job too large to enumerate: of those whose cut leaves at most CUT_DOCUMENTS
        documents, the one leaving the most (the least given up); first among those the property does not name,
        then those it names that another decision reads."""
        excluded: set[str] = set()
        named: set[str] = set()
        if job.kind == "monotonic":
            excluded.add(job.target.judgement)
        elif job.kind == "reach":
            excluded.add(job.target.key)
        elif job.check is not None:
            named = _decisions_named(job.check, self.framework)
        candidates = [
            d for d in self.framework.judgements if d.key in job.used and d.key not in excluded and cuttable(d)
        ]
        if job.kind == "monotonic":
            # The input must reach the judgement only through what is enumerated, never through a cut.
            pattern = _pattern(self.framework, job.target.path)
            candidates = [
                d for d in candidates if not any(_overlap(p, pattern) for p in self.reads.of_decision(d.key)[0])
            ]
        # Cutting a decision another one reads keeps the two consistent (the reader reads the
        # outcomes given); cutting one only the property reads loses how it follows from the rest.
        read = {k for d in job.used if d in self.reads.decisions for k in self.reads.of_decision(d)[1] if k != d}
        tiers = (
            [d for d in candidates if d.key not in named],
            [d for d in candidates if d.key in named and d.key in read],
            [d for d in candidates if d.key in named and d.key not in read],
        )
        for tier in tiers:
            best: tuple[int, str] | None = None
            for decision in tier:
                values = self._type_values(decision)
                if values is None:
                    continue
                size = _CutRun(self, (values,)).size(job)
                if size <= CUT_DOCUMENTS and (best is None or size > best[0]):
                    best = (size, decision.key)
            if best is not None:
                return frozenset({best[1]})
        return None

    def _cut_values(self, key: str) -> _CutValues:
        """The outcomes a cut decision gives: every one its own documents give (with a document for each), when
        those are few enough to enumerate; otherwise every outcome of its type, documents found when needed."""
        found = self._cut_memo.get(key)
        if found is not None:
            return found
        decision = self.reads.decisions[key]
        reads, used = self.reads.of_decision(key)
        space = self._space(reads, used)
        exact: _CutValues | None = None
        if space.size() <= CUT_DOCUMENTS:
            exact = _CutValues(decision=decision, items=item_type(decision), exact=True)
            echo = _echo(self.framework, decision)
            rules = self._reduced(used, (), (echo,) if echo is not None else ())
            for document in space.documents():
                decisions = self._evaluate(rules, document)
                if decisions is not None:
                    exact.record(decisions, document, grow=True)
            exact.options = {k: tuple(v) for k, v in exact.options.items()}
        chosen = exact or self._type_values(decision)
        assert chosen is not None  # only decisions with values by type are chosen
        self._cut_memo[key] = chosen
        return chosen

    def _type_values(self, decision: ir.Judgement) -> _CutValues | None:
        """Every outcome the decision's type admits (numbers at the thresholds), and none (absent or undetermined)."""
        t = decision.type
        options: list[Any] = []
        numbers = _Space(self.framework, set(), self.constants, [datetime.date(2000, 1, 1)], 1)
        if isinstance(t, Choice):
            options = [m.name for m in t.members]
            if t.base is not None:
                if t.base not in (INTEGER, DECIMAL, BOOLEAN):
                    return None
                options.extend([False, True] if t.base == BOOLEAN else numbers._numbers(t.base))
        elif t == BOOLEAN:
            options = [False, True]
        elif isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            options = numbers._numbers(t)
        else:
            return None
        options.append(_ABSENT)
        items = item_type(decision)
        keys = [m.name for m in items.members] if items is not None else [""]
        return _CutValues(decision=decision, items=items, exact=False, options={k: tuple(options) for k in keys})

    def _search(self, values: _CutValues) -> None:
        """Documents for a cut decision's outcomes, from its sparse documents (at most SEARCH_DOCUMENTS)."""
        values.searched = True
        decision = values.decision
        reads, used = self.reads.of_decision(decision.key)
        space = self._space(reads, used)
        echo = _echo(self.framework, decision)
        rules = self._reduced(used, (), (echo,) if echo is not None else ())
        wanted = {(k, _value_key(v)) for k, options in values.options.items() for v in options}
        for count, document in enumerate(space.sparse_documents()):
            if count >= SEARCH_DOCUMENTS or wanted <= values.witnesses.keys():
                break
            decisions = self._evaluate(rules, document)
            if decisions is not None:
                values.record(decisions, document, grow=False)

    def _rules(self, used: set[str], checks: tuple[ir.Judgement, ...]) -> RuleSet:
        """`_reduced`, kept for the next call with the same decisions."""
        key = (frozenset(used), tuple(c.key for c in checks))
        found = self._rules_memo.get(key)
        if found is None:
            found = self._rules_memo[key] = self._reduced(used, checks)
        return found


def _decisions_named(decision: ir.Judgement, framework: ir.Framework) -> set[str]:
    """The keys of the decisions `decision` names anywhere (reasons included), through definitions too."""
    found: set[str] = set()
    seen: set[str] = set()
    pending: list[Any] = [decision]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.JudgementRef | ir.ItemOutcome):
            found.add(node.key)
        if isinstance(node, ir.DefinitionRef) and node.key not in seen:
            seen.add(node.key)
            pending.append(framework.definitions[node.key].value)
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif attrs.has(type(node)) and not isinstance(node, ir.Const):
            pending.extend(getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type"))
    found.discard(decision.key)
    return found


def count_text(n: int) -> str:
    """A count for people: `326,592`, or `about 10^796` for one too long to read."""
    return f"{n:,}" if n < 10**12 else f"about 10^{len(str(n)) - 1}"


def _within(small: tuple[Any, ...], large: tuple[Any, ...]) -> bool:
    return (
        set(small[0]) <= set(large[0])
        and set(small[1]) <= set(large[1])
        and small[2] == large[2]
        and small[3] == large[3]
    )


def _with_lint(found: Reachability, lint: tuple[Diagnostic, ...]) -> Reachability:
    outcomes = {
        o
        for d in lint
        if d.code == "lint.unproducible-grade" and d.message.startswith(f"`{found.decision}` ")
        for o in found.never_outcomes
        if f"`{o}`" in d.message
    }
    where = {f"{d.span.source.path}:{d.span.line}" for d in lint if d.code == "lint.unreachable-clause" and d.span}
    clauses = {n for n, location in found.never_clauses if location in where}
    return attrs.evolve(found, lint_outcomes=frozenset(outcomes), lint_clauses=frozenset(clauses))


def _show(decision: Any) -> Any:
    """A decision's outcome as the result JSON shows it."""
    if isinstance(decision, tuple):
        return [_show(d) for d in decision]
    if decision.status == "decided":
        return _plain(decision.value)
    return decision.status


def _plain(value: Any) -> Any:
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _graded(decision: Any) -> bool:
    return (
        isinstance(decision, Decision)
        and decision.status == "decided"
        and isinstance(decision.value, Symbol)
        and decision.value.ordered
    )


def _pattern(framework: ir.Framework, path: tuple[str, ...]) -> Path:
    """The declared input path with "*" for each map or list it passes through."""
    out: list[str] = []
    current: Type = framework.evidence
    for name in path:
        selected = False
        while isinstance(current, MapOf | ListOf | SetOf):
            if isinstance(current, MapOf):
                selected = current.key.member(name) is not None
                current = current.value
                out.append(name if selected else "*")
                if selected:
                    break
            else:
                current = current.element
                out.append("*")
        if selected:
            continue
        out.append(name)
        if isinstance(current, RecordType):
            current = current.fields[name].type
    return tuple(out)


def _locations(value: Any, pattern: Path, pointer: str) -> Iterator[tuple[str, Any, Any, str]]:
    """(pointer, parent container, key in it, value) for each place `pattern` names in `value`."""
    if not pattern:
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        for key in keys:
            child = f"{pointer}/{key}"
            if rest:
                yield from _locations(value[key], rest, child)
            else:
                yield child, value, key, value[key]
    elif isinstance(value, list) and head == "*":
        for index, item in enumerate(value):
            child = f"{pointer}/{index}"
            if rest:
                yield from _locations(item, rest, child)
            else:
                yield child, value, index, item


def _moved_up(
    document: dict[str, Any], pattern: Path, prop: ir.Monotonic, space: _Space
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each document of the space with the input moved up (better, more, one item more), and the patch."""
    t = prop.input_type
    for pointer, _parent, _key_in, value in list(_locations(document, pattern, "")):
        candidates: list[Any] = []
        if isinstance(t, Choice):
            member = t.member(value) if isinstance(value, str) else None
            if member is None or not member.ordered:
                continue
            candidates = [m.name for m in t.members if m.ordered and m.owner == member.owner and m.rank < member.rank]
        elif t in (INTEGER, DECIMAL):
            options = space._options(t, ())
            candidates = [n for n in options if n > value]
        elif isinstance(t, ListOf | SetOf):
            if len(value) >= space.max_items:
                continue
            location = (*tuple(p for p in pattern), "*")
            items = (
                list(space._values(t.element, location))
                if space.varies(location)
                else [space._default(t.element, location)]
            )
            for item in items:
                if isinstance(t, SetOf) and item in value:
                    continue
                changed = _replaced(document, pointer, [*value, item])
                yield changed, [{"op": "add", "path": f"{pointer}/-", "value": item}]
            continue
        for new in candidates:
            changed = _replaced(document, pointer, new)
            yield changed, [{"op": "replace", "path": pointer, "value": new}]


def _replaced(document: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the value at `pointer` replaced; only the containers on the way are copied."""
    parts = pointer.split("/")[1:]

    def down(node: Any, index: int) -> Any:
        if index == len(parts):
            return value
        copied = list(node) if isinstance(node, list) else dict(node)
        key: Any = int(parts[index]) if isinstance(node, list) else parts[index]
        copied[key] = down(node[key], index + 1)
        return copied

    changed: dict[str, Any] = down(document, 0)
    return changed


def _reverse(patch: list[dict[str, Any]], document: dict[str, Any]) -> list[dict[str, Any]]:
    """The patch that undoes `patch` applied to `document` (its old values from `document`)."""
    out = []
    for op in patch:
        if op["op"] == "add":
            out.append({"op": "remove", "path": op["path"].replace("/-", f"/{_length(document, op['path'])}")})
        else:
            old = document
            for part in op["path"].split("/")[1:]:
                old = old[int(part)] if isinstance(old, list) else old[part]
            out.append({"op": "replace", "path": op["path"], "value": old})
    return out


def _length(document: dict[str, Any], pointer: str) -> int:
    target: Any = document
    for part in pointer.split("/")[1:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    return len(target)


# ---------------------------------------------------------------- checking over a cut framework


def _value_key(value: Any) -> str:
    return "absent" if value is _ABSENT else repr(value)


def _json_value(value: Any) -> Any:
    """A decided outcome as evidence writes it."""
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _echo(framework: ir.Framework, decision: ir.Judgement) -> ir.Judgement | None:
    """A judgement over the same items as a for-each decision whose outcome is the item: which item is which."""
    items = item_type(decision)
    if items is None or decision.for_each_var is None:
        return None
    key = f"{framework.name}:verify__items__{decision.name}"
    clause = ir.Clause(
        id=f"{key}#1",
        index=0,
        outcome=ir.Local(name=decision.for_each_var, type=items, span=decision.span),
        condition=None,
        reason=(),
        citation=None,
        location=decision.clauses[0].location if decision.clauses else framework.path,
        span=decision.span,
    )
    return ir.Judgement(
        key=key,
        name=f"verify__items__{decision.name}",
        kind="judgement",
        for_each_var=decision.for_each_var,
        for_each_source=decision.for_each_source,
        type=items,
        collect=False,
        clauses=(clause,),
        span=decision.span,
    )


def _overlap(a: Path, b: Path) -> bool:
    """Whether two read paths can name the same place or one lies under the other."""
    return all(x == y or "*" in (x, y) for x, y in zip(a, b, strict=False))


@attrs.define
class _CutValues:
    """A cut decision's outcomes, by item (the member's name; "" for a decision made once), with documents."""

    decision: ir.Judgement
    items: Choice | None
    exact: bool  # the outcomes its own documents give; otherwise every outcome of its type
    options: dict[str, tuple[Any, ...]] = attrs.field(factory=dict)
    # (item, value key) -> real documents that give it (a few, to rebuild from)
    witnesses: dict[tuple[str, str], list[dict[str, Any]]] = attrs.field(factory=dict)
    searched: bool = False

    def record(self, decisions: dict[str, Any], document: dict[str, Any], *, grow: bool) -> None:
        """Take in one evaluated real document: its outcome for each item (and, with `grow`, as an option)."""
        made = decisions[self.decision.name]
        given: dict[str, Any] = {}
        if self.items is None:
            given[""] = _json_value(made.value) if made.status == "decided" else _ABSENT
        else:
            echo = decisions[f"verify__items__{self.decision.name}"]
            if not isinstance(made, tuple) or not isinstance(echo, tuple):
                echo = made = ()  # not in force: no item has an outcome
            for item, outcome in zip(echo, made, strict=True):
                if item.status == "decided":
                    given[item.value.name] = _json_value(outcome.value) if outcome.status == "decided" else _ABSENT
            for member in self.items.members:
                given.setdefault(member.name, _ABSENT)  # not an item of this document
        for key, value in given.items():
            if grow:
                options = self.options.setdefault(key, ())
                if not any(_value_key(o) == _value_key(value) for o in options):
                    self.options[key] = (*options, value)
            found = self.witnesses.setdefault((key, _value_key(value)), [])
            if len(found) < 8:
                found.append(document)


class _CutRun:
    """Jobs too large to enumerate, checked over one cut framework, and their findings rebuilt and confirmed."""

    def __init__(self, verifier: _Verifier, cuts: tuple[_CutValues, ...]) -> None:
        self.verifier = verifier
        self.cuts = cuts
        keys = frozenset(c.decision.key for c in cuts)
        framework = cut_framework(verifier.framework, keys)
        overrides: dict[Path, tuple[Any, ...]] = {}
        for values in cuts:
            name = cut_field(values.decision)
            if values.items is None:
                overrides[(name,)] = values.options.get("", (_ABSENT,))
            else:
                for member in values.items.members:
                    overrides[(name, member.name)] = values.options.get(member.name, (_ABSENT,))
        rule_set = RuleSet(frameworks={framework.name: framework}, digest=verifier.rule_set.digest)
        self.sub = _Verifier(rule_set, framework, verifier.max_items, verifier.max_documents, overrides)
        self.jobs: list[tuple[int, _Job, _Job]] = []  # (index, the real job, the job over the cut framework)

    def _sub_job(self, job: _Job) -> _Job:
        if job.kind == "reach":
            return self.sub._reach_job(self.sub.reads.decisions[job.target.key])
        return self.sub._property_job(job.target)

    def size(self, job: _Job) -> int:
        """How many documents of the cut framework the job would take."""
        return self._sub_job(job).space.size()

    def add(self, index: int, job: _Job) -> None:
        sub_job = self._sub_job(job)
        sub_job.keep = KEEP
        self.jobs.append((index, job, sub_job))

    def evaluations(self) -> int:
        return self.sub.evaluations

    def names(self) -> tuple[tuple[str, str], ...]:
        return tuple((c.decision.name, "documents" if c.exact else "type") for c in self.cuts)

    def results(self) -> dict[int, PropertyResult | Reachability]:
        fitting = [sub for _, _, sub in self.jobs if sub.space.size() <= CUT_DOCUMENTS]
        self.sub._enumerate(fitting)
        out: dict[int, PropertyResult | Reachability] = {}
        for index, job, sub_job in self.jobs:
            if sub_job.space.size() > CUT_DOCUMENTS:
                continue
            if job.kind == "reach":
                out[index] = self._reach(job, sub_job)
            else:
                out[index] = self._property(job, sub_job)
        return out

    # -- rebuilding real documents

    def rebuild(self, abstract: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Real documents for a document of the cut framework: its own fields, with documents that give each cut
        decision's outcome grafted in (at the maps keyed by the items), for each document kept."""
        verifier = self.verifier
        document = {k: v for k, v in abstract.items() if not k.startswith(CUT_PREFIX)}
        singles: list[list[dict[str, Any]]] = []
        for values in self.cuts:
            given = abstract.get(cut_field(values.decision), _ABSENT)
            keys = [""] if values.items is None else [m.name for m in values.items.members]
            for key in keys:
                value = given if key == "" else (given.get(key, _ABSENT) if isinstance(given, dict) else _ABSENT)
                found = values.witnesses.get((key, _value_key(value)))
                if not found and not values.exact and not values.searched:
                    verifier._search(values)
                    found = values.witnesses.get((key, _value_key(value)))
                if not found:
                    return
                if values.items is None:
                    singles.append(found)
                else:
                    document = graft(verifier.framework.evidence, document, found[0], values.items, key)
        if not singles:
            yield document
            return
        # A decision made once: each document kept for its outcome, with this document's own fields.
        own = {loc[0] for job in self.jobs for loc in job[2].space._varied(self.sub.framework.evidence, ())}
        own |= {verifier.framework.dated_by[0]} if verifier.framework.dated_by else set()
        for choice in itertools.product(*singles):
            merged: dict[str, Any] = {}
            for witness in choice:
                merged.update(witness)
            for name in own:
                if name.startswith(CUT_PREFIX):
                    continue
                if name in document:
                    merged[name] = document[name]
                else:
                    merged.pop(name, None)
            yield merged

    # -- confirming with the real rules

    def _decisions(self, job: _Job, document: dict[str, Any]) -> dict[str, Any] | None:
        checks = (job.check,) if job.check is not None else ()
        return self.verifier._evaluate(self.verifier._rules(job.used | _keys_of(job), checks), document)

    def _breaks(self, job: _Job, document: dict[str, Any]) -> bool:
        assert job.check is not None
        decisions = self._decisions(job, document)
        if decisions is None:
            return False
        made = decisions[job.check.name]
        items = made if isinstance(made, tuple) else (made,)
        return any(i.status == "decided" and i.value.name == "failed" for i in items)

    def _grade(self, job: _Job, document: dict[str, Any]) -> Symbol | None:
        decisions = self._decisions(job, document)
        if decisions is None:
            return None
        made = decisions[job.target.judgement_name]
        return made.value if _graded(made) else None

    def _property(self, job: _Job, sub_job: _Job) -> PropertyResult:
        prop = job.target
        verifier = self.verifier
        common: dict[str, Any] = {
            "name": prop.name,
            "kind": job.kind,
            "location": prop.location,
            "reason": prop.reason,
            "citation": prop.citation,
            "documents": sub_job.space.size(),
            "max_items": sub_job.space.max_items,
            "cut": self.names(),
        }
        if job.kind == "invariant":
            for abstract in sub_job.failures:
                for document in self.rebuild(abstract):
                    if self._breaks(job, document):
                        names = [k.split(":", 1)[1] for k in sorted(job.used)]
                        example = verifier._confirmed(document, names)
                        return PropertyResult(
                            **common,
                            status="fails",
                            compared=sub_job.decided,
                            undecided=sub_job.undecided,
                            counterexample=example,
                        )
            status = "unproved" if sub_job.failures else "holds"
            note = (
                "documents of the cut framework break it, and no real document rebuilt from them does"
                if sub_job.failures
                else None
            )
            return PropertyResult(
                **common, status=status, compared=sub_job.decided, undecided=sub_job.undecided, note=note
            )
        compared, pair, unproved = self._pairs(job, sub_job)
        if pair is not None:
            return PropertyResult(**common, status="fails", compared=compared, undecided=0, counterexample=pair)
        note = "pairs of the cut framework break it, and no real pair rebuilt from them does" if unproved else None
        return PropertyResult(
            **common, status="unproved" if unproved else "holds", compared=compared, undecided=0, note=note
        )

    def _pairs(self, job: _Job, sub_job: _Job) -> tuple[int, dict[str, Any] | None, bool]:
        """As `_Verifier._pairs` over the cut framework; a breaking pair is rebuilt and confirmed before it counts."""
        prop = job.target
        verifier = self.verifier
        pattern = _pattern(self.sub.framework, prop.path)
        up = prop.input_moves in ("better", "more", "grows")
        compared = 0
        tried = 0
        for abstract in sub_job.space.documents():
            before = sub_job.grades.get(_key(abstract))
            if before is None:
                continue
            for changed, patch in _moved_up(abstract, pattern, prop, sub_job.space):
                after = sub_job.grades.get(_key(changed))
                if after is None or after.owner != before.owner:
                    continue
                compared += 1
                old, new = (before, after) if up else (after, before)
                gap = new.rank - old.rank
                if not (gap > 0 if prop.moves == "worse" else gap < 0) or tried >= KEEP:
                    continue
                tried += 1
                for document in self.rebuild(abstract):
                    try:
                        moved = _patched(document, patch)
                    except (KeyError, IndexError, TypeError):
                        continue
                    real_before, real_after = self._grade(job, document), self._grade(job, moved)
                    if real_before is None or real_after is None or real_before.owner != real_after.owner:
                        continue
                    old, new = (real_before, real_after) if up else (real_after, real_before)
                    gap = new.rank - old.rank
                    if gap > 0 if prop.moves == "worse" else gap < 0:
                        first, second = (document, moved) if up else (moved, document)
                        return (
                            compared,
                            {
                                "before": verifier._confirmed(first, [prop.judgement_name]),
                                "after": verifier._confirmed(second, [prop.judgement_name]),
                                "change": patch if up else _reverse(patch, document),
                            },
                            True,
                        )
        return compared, None, tried > 0

    def _reach(self, job: _Job, sub_job: _Job) -> Reachability:
        decision: ir.Judgement = job.target
        location = decision.clauses[0].location if decision.clauses else self.verifier.framework.path
        produced: set[str] = set()
        reached: set[str] = set()
        for key, abstract in sub_job.examples.items():
            kind, _, name = key.partition(":")
            if name in (produced if kind == "outcome" else reached):
                continue
            for document in self.rebuild(abstract):
                decisions = self._decisions(job, document)
                if decisions is None:
                    continue
                made = decisions[decision.name]
                for one in made if isinstance(made, tuple) else (made,):
                    if one.status == "decided":
                        for value in one.value if decision.collect else (one.value,):
                            if isinstance(value, Symbol):
                                produced.add(value.name)
                        reached.update(one.clause_ids or ())
                if name in (produced if kind == "outcome" else reached):
                    break
        possible = [m.name for m in decision.type.members] if isinstance(decision.type, Choice) else []
        clauses = [(c.index + 1, c.location, c.id) for c in decision.clauses]
        return Reachability(
            decision=decision.name,
            location=location,
            status="exact",
            documents=sub_job.space.size(),
            max_items=sub_job.space.max_items,
            never_outcomes=tuple(n for n in possible if n not in sub_job.produced),
            never_clauses=tuple((n, loc) for n, loc, cid in clauses if cid not in sub_job.reached),
            cut=self.names(),
            unconfirmed_outcomes=tuple(n for n in possible if n in sub_job.produced and n not in produced),
            unconfirmed_clauses=tuple(
                (n, loc) for n, loc, cid in clauses if cid in sub_job.reached and cid not in reached
            ),
        )


def _keys_of(job: _Job) -> set[str]:
    """The decision a reach job is about, or the judgement a monotonic job compares (beside what they read)."""
    if job.kind == "reach":
        return {job.target.key}
    if job.kind == "monotonic":
        return {job.target.judgement}
    return set()


def _patched(document: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """`document` with a patch of `_moved_up` applied (one `add` to a list's end, or one `replace`)."""
    out = document
    for op in patch:
        if op["op"] == "add":
            pointer = op["path"][: -len("/-")]
            target: Any = out
            for part in pointer.split("/")[1:]:
                target = target[int(part)] if isinstance(target, list) else target[part]
            out = _replaced(out, pointer, [*target, op["value"]])
        else:
            out = _replaced(out, op["path"], op["value"])  # KeyError where the document has no such place
    return out


def _as_property(found: PropertyResult | Reachability) -> PropertyResult:
    assert isinstance(found, PropertyResult)
    return found


def _as_reach(found: PropertyResult | Reachability) -> Reachability:
    assert isinstance(found, Reachability)
    return found

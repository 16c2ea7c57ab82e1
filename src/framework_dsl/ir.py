"""The checked program: what the checker hands to the evaluator.

Every reference is resolved (to an evidence field, a loop variable, a definition, a
judgement or a constant symbol), every expression carries its type, and every clause
has a stable id and a display location (`rules/clas/clas.fw:42`). Nothing here can
fail to resolve at evaluation time.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterator
from typing import Any, Union

import attrs

from framework_dsl.semantics.operators import Op
from framework_dsl.source import Span
from framework_dsl.typesystem import RecordType, SymbolSet, Type

__all__ = [
    "AsOfDate",
    "Binary",
    "Clause",
    "Comprehension",
    "Const",
    "Definition",
    "DefinitionRef",
    "EvidenceField",
    "Example",
    "Expectation",
    "Expr",
    "Framework",
    "GetField",
    "InForce",
    "Invariant",
    "ItemOutcome",
    "Judgement",
    "JudgementRef",
    "Let",
    "LetRef",
    "ListExpr",
    "Local",
    "Lookup",
    "Monotonic",
    "Op",
    "Property",
    "Quantifier",
    "QuantifierKind",
    "Table",
    "Ternary",
    "Unary",
]


def _span() -> Span:
    return attrs.field(eq=False, repr=False)  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True)
class Const:
    """A constant: a number, text, date, duration, boolean, symbol or list of them."""

    value: Any
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class EvidenceField:
    """A top-level evidence field, read by name."""

    name: str
    type: Type
    optional: bool
    span: Span = _span()


@attrs.frozen(kw_only=True)
class GetField:
    """`target.name` on a record, or `target.member` on a map."""

    target: Expr
    name: str
    type: Type
    optional: bool
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Local:
    """A loop variable (`for each b in breaches`, `any q in questions where ...`)."""

    name: str
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class DefinitionRef:
    """A named definition, computed once per evaluation."""

    key: str
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class JudgementRef:
    """Another judgement's outcome (a list of outcomes for a for-each judgement)."""

    key: str
    type: Type
    per_item: bool = False  # a for-each judgement over the same list: this item's outcome
    span: Span = _span()


@attrs.frozen(kw_only=True)
class AsOfDate:
    """The evaluation date."""

    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class ListExpr:
    """`[a, b, c]` with at least one non-constant item."""

    items: tuple[Expr, ...]
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Comprehension:
    """`[element for var in source where condition]`."""

    element: Expr
    var: str
    source: Expr
    condition: Expr | None
    type: Type
    span: Span = _span()


class QuantifierKind(enum.StrEnum):
    """What a quantifier asks of the items that meet its condition."""

    COUNT = "count"  # how many
    ANY = "any"  # at least one
    ALL = "all"  # every one
    NO = "no"  # none


@attrs.frozen(kw_only=True)
class Quantifier:
    """`count|any|all|no var in source where condition`."""

    kind: QuantifierKind
    var: str
    source: Expr
    condition: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Unary:
    """A one-operand operator (`not`, `count of`, `sorted`, `worst of`, `is missing`, ...).

    `op` is the one the checker chose; its meaning is in `semantics.operators`.
    """

    op: Op
    operand: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Binary:
    """A two-operand operator: `op` is the exact one the checker chose (`semantics.operators`)."""

    op: Op
    left: Expr
    right: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class LetRef:
    """A local value of the decision being made (`let pct = ...`), computed at most once per decision."""

    name: str
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Lookup:
    """`map.k` with `k` a local, or `map.(key)`: a map entry by a key computed at run time (absent: unknown)."""

    target: Expr
    key: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class ItemOutcome:
    """`judgement.(item)`: a for-each decision's outcome for the item equal to `item`."""

    key: str
    item: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Ternary:
    """A three-operand operator (`x between a and b`): `op` is the one the checker chose."""

    op: Op
    first: Expr
    second: Expr
    third: Expr
    type: Type
    span: Span = _span()


Expr = Union[
    ItemOutcome,
    LetRef,
    Lookup,
    Ternary,
    Const,
    EvidenceField,
    GetField,
    Local,
    DefinitionRef,
    JudgementRef,
    AsOfDate,
    ListExpr,
    Comprehension,
    Quantifier,
    Unary,
    Binary,
]


# Every class of `Expr`, as a tuple `isinstance` (and mypy) can read: tests/unit/test_ir.py
# checks it against the union.
EXPRESSION_CLASSES = (
    ItemOutcome,
    LetRef,
    Lookup,
    Ternary,
    Const,
    EvidenceField,
    GetField,
    Local,
    DefinitionRef,
    JudgementRef,
    AsOfDate,
    ListExpr,
    Comprehension,
    Quantifier,
    Unary,
    Binary,
)


def children(node: Expr) -> Iterator[Expr]:
    """The expressions directly inside `node`, in field order."""
    if isinstance(node, Const):
        return  # its value is data (symbols, numbers, lists of them), not expressions
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, EXPRESSION_CLASSES))
        elif isinstance(value, EXPRESSION_CLASSES):
            yield value


def walk(node: Expr) -> Iterator[Expr]:
    """`node` and every expression inside it, parents first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


@attrs.frozen
class Table:
    """A constant table's rows, by the key member's name: the value `Op.TABLE_GET` reads."""

    name: str
    rows: tuple[tuple[str, Any], ...]

    def get(self, key: str) -> Any:
        """The value of the row `key` (the checker proves every key has one)."""
        for name, value in self.rows:
            if name == key:
                return value
        raise KeyError(key)


@attrs.frozen(kw_only=True)
class InForce:
    """`effective from D until D because "note"`: when a judgement, check or clause is in force.

    Both dates are included; either may be None (no limit on that side). The date tested
    is the one the framework's own dates are tested against (`RuleSet.evaluate`).
    """

    start: datetime.date | None
    until: datetime.date | None
    note: str | None
    location: str  # "rules/cqc/cqc.fw:160", the `effective` line
    span: Span = _span()

    def covers(self, date: datetime.date) -> bool:
        """Whether `date` lies inside the dates (both included)."""
        return (self.start is None or self.start <= date) and (self.until is None or date <= self.until)

    def period(self) -> str:
        """The dates as a person reads them: "from 2015-04-01 until 2023-11-20"."""
        return period_text(self.start, self.until)


def period_text(start: datetime.date | None, until: datetime.date | None) -> str:
    """Dates as a person reads them: "from 2015-04-01 until 2023-11-20" ("" for neither)."""
    parts = []
    if start is not None:
        parts.append(f"from {start.isoformat()}")
    if until is not None:
        parts.append(f"until {until.isoformat()}")
    return " ".join(parts)


@attrs.frozen(kw_only=True)
class Clause:
    """One clause of a judgement: outcome, condition (None for `otherwise`), reason."""

    id: str  # stable: "<framework>.<judgement>#<index>"
    index: int
    outcome: Expr
    condition: Expr | None
    reason: tuple[str | Expr, ...]
    citation: str | None
    location: str  # "rules/clas/clas.fw:42"
    in_force: InForce | None = None  # None: in force whenever the framework is
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Let:
    """`let name = value` in a judgement or check: typed, computed when first used."""

    name: str
    value: Expr
    type: Type
    location: str  # "rules/saf/saf.fw:42"
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Judgement:
    """A judgement or a check, with its clauses in order."""

    key: str
    name: str
    kind: str  # "judgement" | "check"
    for_each_var: str | None
    for_each_source: Expr | None
    type: Type  # the outcome type of one decision (an element, for `collect`)
    collect: bool
    clauses: tuple[Clause, ...]
    in_force: InForce | None = None  # None: in force whenever the framework is
    lets: tuple[Let, ...] = ()
    span: Span = _span()

    def expressions(self) -> Iterator[Expr]:
        """Every top-level expression of the decision: its for-each list, its local values,
        then each clause's outcome, condition and reason parts."""
        if self.for_each_source is not None:
            yield self.for_each_source
        for let in self.lets:
            yield let.value
        for clause in self.clauses:
            yield clause.outcome
            if clause.condition is not None:
                yield clause.condition
            yield from (part for part in clause.reason if not isinstance(part, str))


@attrs.frozen(kw_only=True)
class Definition:
    """`define name = expr`."""

    key: str
    name: str
    value: Expr
    type: Type
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Expectation:
    """One `expect` line of an example."""

    # "value" | "undetermined" | "status" | "not_in_force" | "reason" | "decided_by"
    # | "undetermined_at" | "reads" | "missing"
    kind: str
    name: str
    value: Expr | None
    reason: str | None = None  # the reason text a "reason" expectation wants
    # For "decided_by" and "undetermined_at": the clause, by its place (from 1), its id
    # (what a decision's `clause_ids` hold) and its location (what its `rule` says).
    clause_number: int | None = None
    clause_id: str | None = None
    clause_location: str | None = None
    pointers: tuple[str, ...] = ()  # for "reads" and "missing": the JSON pointers, as written
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Example:
    """An example written beside the rules: evidence and expected outcomes."""

    title: str
    citation: str | None
    evidence_text: str | None  # inline JSON text, or None when from a file
    evidence_path: str | None  # absolute path of a `given file`, checked inside the root
    evidence_root: str | None = None  # the rules root, checked again when the file is read
    evidence_display: str  # where the evidence came from, for messages
    as_of: datetime.date | None
    expectations: tuple[Expectation, ...]
    location: str
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Invariant:
    """A declared invariant: `condition` holds for every evidence document (where `guard` holds).

    With `for_each_var`, for every item of `for_each_source` (the variable names the item).
    """

    name: str
    for_each_var: str | None
    for_each_source: Expr | None
    condition: Expr
    guard: Expr | None
    reason: str | None
    citation: str | None
    location: str  # "rules/cqc/cqc.fw:42", the `invariant` line
    span: Span = _span()


@attrs.frozen(kw_only=True)
class Monotonic:
    """A declared monotonicity: `judgement` never moves `moves` as the input at `path` moves `input_moves`.

    `moves` is "better" or "worse" on the judgement's scale; `input_moves` is "better" or
    "worse" for a field on a scale, "more" or "less" for a number, "grows" for a list or set
    gaining an item. `path` names evidence fields from the root; through a map or list it
    means each of its values (a map key may be named, `key_questions.safe.rating`).
    """

    name: str
    judgement: str  # the judgement's key
    judgement_name: str
    moves: str  # "better" | "worse"
    path: tuple[str, ...]
    input_type: Type  # the type of the field at the end of the path
    input_moves: str  # "better" | "worse" | "more" | "less" | "grows"
    reason: str | None
    citation: str | None
    location: str
    span: Span = _span()


Property = Union[Invariant, Monotonic]


@attrs.frozen(kw_only=True)
class Framework:
    """One checked framework: header, evidence schema, decisions and examples."""

    name: str
    title: str
    source_text: str | None
    effective_from: datetime.date | None
    effective_until: datetime.date | None
    dated_by: tuple[str, ...] | None
    evidence: RecordType
    definitions: dict[str, Definition]
    judgements: tuple[Judgement, ...]
    checks: tuple[Judgement, ...]
    examples: tuple[Example, ...]
    symbol_sets: tuple[SymbolSet, ...]
    path: str
    span: Span = _span()
    properties: tuple[Property, ...] = ()  # declared for `framework-dsl verify`; never evaluated by `evaluate`

    def decision(self, name: str) -> Judgement | None:
        """The judgement or check called `name`."""
        for judgement in (*self.judgements, *self.checks):
            if judgement.name == name:
                return judgement
        return None

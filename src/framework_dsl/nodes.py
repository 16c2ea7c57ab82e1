"""The surface syntax tree: what the parser builds from one rule file.

Frozen attrs classes, one per grammar rule that survives (`judgement_decl` ->
`JudgementDecl`). Every node has a `span` that is left out of equality, so two trees
that differ only in layout compare equal (the formatter's round-trip property rests
on this). Children are tuples. Literals are already converted: numbers are `Decimal`,
dates are `datetime.date`. Comments live beside the tree, in `RuleFile.comments`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Union

import attrs

from framework_dsl.source import Span


def _tuple(value: object) -> tuple[object, ...]:
    return tuple(value)  # type: ignore[arg-type]


def _span_field() -> Span:
    # Nodes built by hand (tests, generated programs) may have no position.
    return attrs.field(eq=False, repr=False, default=None)  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True)
class Name:
    """An identifier as written, with its position."""

    text: str
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Text:
    """A quoted text, unescaped."""

    value: str
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Comment:
    """A `#` comment: its text (with the `#`) and position."""

    text: str
    span: Span = _span_field()


# ---------------------------------------------------------------- types


@attrs.frozen(kw_only=True)
class QualifiedName:
    """`name` or `module.name`."""

    parts: tuple[Name, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()

    @property
    def dotted(self) -> str:
        """The name as written, dots included."""
        return ".".join(part.text for part in self.parts)


@attrs.frozen(kw_only=True)
class NamedType:
    """A named type, or a union `rating or professional_judgement or not_assessed`."""

    names: tuple[QualifiedName, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class RangedType:
    """`integer from 1 to 4`, `integer from 0`: a number type with inclusive bounds."""

    base: QualifiedName
    low: Decimal
    high: Decimal | None = None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class OptionalType:
    """`optional T`: the field may be absent or null."""

    inner: TypeExpr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ListType:
    """`list of T`."""

    element: TypeExpr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class SetType:
    """`set of T`: no repeats, kept in declaration order."""

    element: TypeExpr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class MapType:
    """`map of KEY to VALUE`: a JSON object keyed by members of an enumeration."""

    key: TypeExpr
    value: TypeExpr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Member:
    """An enumeration member: a name or quoted identifier, with an optional label."""

    name: Name
    label: Text | None = None
    quoted: bool = False
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class InlineEnum:
    """`one of (a, b, c)`: an enumeration declared where it is used."""

    members: tuple[Member, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class CollectType:
    """`collect T`: a judgement that gathers every matching clause's outcome."""

    element: TypeExpr
    span: Span = _span_field()


TypeExpr = Union[NamedType, RangedType, OptionalType, ListType, SetType, MapType, InlineEnum, CollectType]


# ---------------------------------------------------------------- expressions


@attrs.frozen(kw_only=True)
class Ref:
    """A bare name in an expression: a field, definition, judgement, grade or member."""

    name: str
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class FieldAccess:
    """`target.field` (also `scale.grade` and `module.name`)."""

    target: Expr
    field: Name
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class NumberLit:
    """A number, exact: `3`, `0.25`."""

    value: Decimal
    is_integer: bool
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class TextLit:
    """A quoted text in an expression."""

    value: str
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class DateLit:
    """A date: `2018-04-01`."""

    value: datetime.date
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class DurationLit:
    """A duration: `3 years`, `6 months`, `2 weeks`, `90 days`."""

    amount: int
    unit: str  # "days" | "weeks" | "months" | "years"
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class BoolLit:
    """`true` or `false`."""

    value: bool
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class AsOf:
    """`as of`: the evaluation date."""

    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ListLit:
    """`[a, b, c]`."""

    items: tuple[Expr, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Comprehension:
    """`[element for var in source where condition]`."""

    element: Expr
    var: Name
    source: Expr
    condition: Expr | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Quantifier:
    """`count|any|all|no var in source where condition`."""

    kind: str  # "count" | "any" | "all" | "no"
    var: Name
    source: Expr
    condition: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class CountOf:
    """`count of xs`, or `count of xs rated g` (items equal to g, or in a list of g)."""

    target: Expr
    rated: Expr | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Aggregate:
    """`OP of xs`, for the aggregates `semantics.operators.AGGREGATES` names (`worst of`, `sum of`, ...)."""

    op: str
    target: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Sorted:
    """`sorted xs`: declaration order for members and grades, natural order otherwise."""

    target: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Not:
    """`not x` (Kleene: not unknown is unknown)."""

    operand: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class BoolOp:
    """`a and b`, `a or b` (Kleene three-valued)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Compare:
    """`a = b`, `a != b`, `a < b`, ... (grades: better is greater)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Membership:
    """`a in xs`, `a not in xs`."""

    negated: bool
    item: Expr
    collection: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Within:
    """`p within "16(3)"`: a statutory provision is the one named or one of its sub-paragraphs."""

    provision: Expr
    scope: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class IsCheck:
    """`x is missing`, `x is present`, `xs is empty`."""

    kind: str
    operand: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class IfMissing:
    """`x if missing y`: `y` when `x` reads absent evidence."""

    value: Expr
    default: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Bound:
    """`grade at most g` (cap) or `grade at least g` (floor)."""

    kind: str  # "most" | "least"
    value: Expr
    limit: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Arith:
    """`a + b`, `a - b` (also set difference), `a * b`, `a / b`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class SetOp:
    """`a union b`, `a intersect b`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Round:
    """`round X`, `round X to N decimal places`, optionally `half even` (half up otherwise)."""

    value: Expr
    places: int | None  # None: to a whole number, written without `to`
    mode: str  # "half_up" | "half_even"
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Lookup:
    """`map.(key)`: a map or table read with a key computed at run time."""

    target: Expr
    key: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Between:
    """`x between low and high`, both ends included."""

    value: Expr
    low: Expr
    high: Expr
    span: Span = _span_field()


Expr = Union[
    Round,
    Lookup,
    Between,
    Ref,
    FieldAccess,
    NumberLit,
    TextLit,
    DateLit,
    DurationLit,
    BoolLit,
    AsOf,
    ListLit,
    Comprehension,
    Quantifier,
    CountOf,
    Aggregate,
    Sorted,
    Not,
    BoolOp,
    Compare,
    Membership,
    IsCheck,
    IfMissing,
    Bound,
    Arith,
    SetOp,
    Within,
]


@attrs.frozen(kw_only=True)
class Interpolation:
    """`{expr}` inside a reason."""

    expr: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Template:
    """A reason: literal text and interpolated expressions, in order."""

    parts: tuple[str | Interpolation, ...] = attrs.field(converter=_tuple)
    raw: str
    span: Span = _span_field()


# ---------------------------------------------------------------- declarations


@attrs.frozen(kw_only=True)
class FrameworkDecl:
    """`framework ID "Title" source "..." effective from D until D dated by path`."""

    name: Name
    title: Text
    source_text: Text | None
    effective_from: datetime.date | None
    effective_until: datetime.date | None
    dated_by: tuple[Name, ...] | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ImportModule:
    """`import shared.scales` or `import shared.scales as s`."""

    path: tuple[Name, ...] = attrs.field(converter=_tuple)
    alias: Name | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ImportNames:
    """`import rating, key_question from shared.scales`."""

    names: tuple[Name, ...] = attrs.field(converter=_tuple)
    path: tuple[Name, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class OutcomeDecl:
    """`outcome professional_judgement "Professional judgement"`."""

    name: Name
    label: Text | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class Grade:
    """One grade of a scale."""

    name: Name
    label: Text | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ScaleDecl:
    """`scale rating: outstanding "Outstanding" > good "Good" > ...` (best first)."""

    name: Name
    label: Text | None
    grades: tuple[Grade, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class EnumDecl:
    """`enum key_question: safe "Safe", effective "Effective", ...`."""

    name: Name
    label: Text | None
    members: tuple[Member, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class FieldDecl:
    """`name: type "description"` in a record or the evidence block."""

    name: Name
    type: TypeExpr
    description: Text | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class RecordDecl:
    """`record breach: field: type ...`."""

    name: Name
    label: Text | None
    fields: tuple[FieldDecl, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class EvidenceDecl:
    """`evidence: field: type ...`: the top level of the evidence document."""

    fields: tuple[FieldDecl, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class DefineDecl:
    """`define name: type = expr`."""

    name: Name
    type: TypeExpr | None
    value: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ForEach:
    """`for each var in source`."""

    var: Name
    source: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class InForce:
    """`effective from D until D because "note"`: the dates (both included) a judgement,
    check or clause is in force; either date may be left out, not both."""

    start: datetime.date | None
    until: datetime.date | None
    note: Text | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class WhenClause:
    """`OUTCOME when CONDITION because "..." cite "..."`."""

    outcome: Expr
    condition: Expr
    reason: Template | None
    citation: Text | None
    in_force: InForce | None = None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class OtherwiseClause:
    """`otherwise OUTCOME because "..." cite "..."`."""

    outcome: Expr
    reason: Template | None
    citation: Text | None
    in_force: InForce | None = None
    span: Span = _span_field()


Clause = Union[WhenClause, OtherwiseClause]


@attrs.frozen(kw_only=True)
class LetBinding:
    """`let name = expr`: a local value of a judgement or check, computed at most once per decision."""

    name: Name
    value: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class JudgementDecl:
    """`judgement name [for each x in xs]: type` and its clauses."""

    name: Name
    for_each: ForEach | None
    type: TypeExpr
    clauses: tuple[Clause, ...] = attrs.field(converter=_tuple)
    in_force: InForce | None = None
    lets: tuple[LetBinding, ...] = attrs.field(converter=_tuple, default=())
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class CheckDecl:
    """`check name [for each x in xs]:` with clauses whose outcomes are passed/failed."""

    name: Name
    for_each: ForEach | None
    clauses: tuple[Clause, ...] = attrs.field(converter=_tuple)
    in_force: InForce | None = None
    lets: tuple[LetBinding, ...] = attrs.field(converter=_tuple, default=())
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class JsonLiteral:
    """Evidence written inline in an example, kept as canonical JSON text."""

    text: str
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class GivenFile:
    """`given file "examples/x.json"`: evidence from a file inside the rules root."""

    path: Text
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectValue:
    """`expect judgement = value`."""

    name: Name
    value: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectUndetermined:
    """`expect judgement is undetermined`."""

    name: Name
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectStatus:
    """`expect status not_in_force` (or `evaluated`, `invalid_evidence`)."""

    status: Name
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectNotInForce:
    """`expect judgement is not_in_force`: the judgement or check is outside its dates."""

    name: Name
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectReason:
    """`expect judgement because "text"`: the decision's reason is exactly this text."""

    name: Name
    reason: Text
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ClauseNumber:
    """`clause 3`: a clause of a decision by its place, counting from 1 in the order written."""

    number: int
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectDecidedBy:
    """`expect judgement decided by clause 3`: that clause decided it (the result's `rule`)."""

    name: Name
    clause: ClauseNumber
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectUndeterminedAt:
    """`expect judgement is undetermined at clause 2`: undetermined, and the result names that clause."""

    name: Name
    clause: ClauseNumber
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class PointerList:
    """`["/a", "/b"]`: JSON pointers into the evidence, as a result shows them."""

    items: tuple[Text, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectReads:
    """`expect judgement reads ["/a", "/b"]`: decided, having read exactly this evidence (the result's `inputs`)."""

    name: Name
    pointers: PointerList
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class ExpectMissing:
    """`expect judgement is undetermined missing ["/a"]`: undetermined for want of exactly this evidence."""

    name: Name
    pointers: PointerList
    span: Span = _span_field()


Expectation = Union[
    ExpectValue,
    ExpectUndetermined,
    ExpectStatus,
    ExpectNotInForce,
    ExpectReason,
    ExpectDecidedBy,
    ExpectUndeterminedAt,
    ExpectReads,
    ExpectMissing,
]


@attrs.frozen(kw_only=True)
class ExampleDecl:
    """`example "title" cite "..." given {...} as of D expect ...`."""

    title: Text
    citation: Text | None
    given: JsonLiteral | GivenFile
    as_of: datetime.date | None
    expectations: tuple[Expectation, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class TableRow:
    """`key -> value`: one row of a constant table."""

    key: Name
    quoted: bool
    value: Expr
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class TableDecl:
    """`table name: KEY -> VALUE` and its rows: a constant map declared in the rules."""

    name: Name
    label: Text | None
    key_type: TypeExpr
    value_type: TypeExpr
    rows: tuple[TableRow, ...] = attrs.field(converter=_tuple)
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class InvariantDecl:
    """`invariant name [for each x in xs]: CONDITION when GUARD because "..." cite "..."`:
    a property `framework-dsl verify` checks over every evidence document (for each item)."""

    name: Name
    for_each: ForEach | None
    condition: Expr
    guard: Expr | None
    reason: Template | None
    citation: Text | None
    span: Span = _span_field()


@attrs.frozen(kw_only=True)
class MonotonicDecl:
    """`monotonic name: JUDGEMENT never MOVES as FIELD.PATH MOVES because "..." cite "..."`:
    a judgement that never moves one way while an input moves another."""

    name: Name
    judgement: Name
    moves: Name
    input: tuple[Name, ...] = attrs.field(converter=_tuple)
    input_moves: Name
    reason: Template | None
    citation: Text | None
    span: Span = _span_field()


Decl = Union[
    TableDecl,
    InvariantDecl,
    MonotonicDecl,
    FrameworkDecl,
    ImportModule,
    ImportNames,
    OutcomeDecl,
    ScaleDecl,
    EnumDecl,
    RecordDecl,
    EvidenceDecl,
    DefineDecl,
    JudgementDecl,
    CheckDecl,
    ExampleDecl,
]


@attrs.frozen(kw_only=True)
class RuleFile:
    """One parsed rule file: its declarations in order, and its comments beside them.

    `parenthesised` holds the `(start, end)` offsets of every expression the author
    wrote in brackets (`(sum of xs) * 100` holds the span of `sum of xs`), so the
    formatter can keep brackets that clarify though the tree does not need them.
    """

    items: tuple[Decl, ...] = attrs.field(converter=_tuple)
    comments: tuple[Comment, ...] = attrs.field(converter=_tuple, eq=False)
    span: Span = _span_field()
    parenthesised: frozenset[tuple[int, int]] = attrs.field(factory=frozenset, eq=False, repr=False)


def dump(node: object, indent: int = 0, *, spans: bool = False) -> str:
    """An indented text tree of `node`, for snapshots and debugging."""
    pad = "  " * indent
    if isinstance(node, tuple):
        if not node:
            return f"{pad}[]"
        return "\n".join(dump(item, indent, spans=spans) for item in node)
    kind: Any = type(node)
    if not attrs.has(kind):
        return f"{pad}{node!r}"
    head = kind.__name__
    if spans and hasattr(node, "span"):
        head += f" @{node.span.line}:{node.span.column}"
    lines = [pad + head]
    for field in attrs.fields(kind):
        if field.name in ("span", "comments", "parenthesised"):
            continue
        value = getattr(node, field.name)
        if attrs.has(type(value)) or (isinstance(value, tuple) and value):
            lines.append(f"{pad}  {field.name}:")
            lines.append(dump(value, indent + 2, spans=spans))
        else:
            lines.append(f"{pad}  {field.name}: {value!r}")
    return "\n".join(lines)

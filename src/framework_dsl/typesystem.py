"""Types of the rule language, shared by the checker, the evidence validator and the IR.

Primitive types (`boolean`, `integer`, `decimal`, `text`, `date`, `duration`), symbol
sets (a scale's grades, an enumeration's members, a named non-grade outcome), choices
(a union of symbol sets: `rating or professional_judgement`), records, lists, sets
and maps keyed by an enumeration. A `Symbol` is a runtime value too: grades compare
by rank (0 is the best grade), members by declaration order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Union

import attrs


@attrs.frozen
class Prim:
    """A primitive type; an `integer` or `decimal` evidence field may carry inclusive bounds.

    The bounds (`integer from 1 to 4`) are a promise about evidence that the validator
    keeps: they take no part in equality, so for the checker a ranged integer is an
    integer, and a ranged field compares, adds and counts as any other.
    """

    name: str
    low: Decimal | None = attrs.field(default=None, eq=False)
    high: Decimal | None = attrs.field(default=None, eq=False)

    @property
    def ranged(self) -> bool:
        """Whether the type has a bound."""
        return self.low is not None or self.high is not None

    def range_text(self) -> str:
        """`from 1 to 4`, `from 0`, `up to 10`; empty without bounds."""
        if self.low is not None and self.high is not None:
            return f"from {_plain(self.low)} to {_plain(self.high)}"
        if self.low is not None:
            return f"from {_plain(self.low)}"
        if self.high is not None:
            return f"up to {_plain(self.high)}"
        return ""

    def range_words(self) -> str:
        """The bounds as a message says them: `from 1 to 4`, `of at least 0`, `of at most 10`."""
        if self.low is not None and self.high is not None:
            return self.range_text()
        if self.low is not None:
            return f"of at least {_plain(self.low)}"
        if self.high is not None:
            return f"of at most {_plain(self.high)}"
        return ""

    def contains(self, value: int | Decimal) -> bool:
        """Whether `value` lies within the bounds (both inclusive)."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def display(self) -> str:
        """How the type is written in rule files."""
        return f"{self.name} {self.range_text()}" if self.ranged else self.name


def _plain(value: Decimal) -> str:
    return format(value, "f")


BOOLEAN = Prim("boolean")
INTEGER = Prim("integer")
DECIMAL = Prim("decimal")
TEXT = Prim("text")
DATE = Prim("date")
DURATION = Prim("duration")
# A reference to a statutory provision, written as in the regulations: `16(3)(b)`.
PROVISION = Prim("provision")
PRIMITIVES = {p.name: p for p in (BOOLEAN, INTEGER, DECIMAL, TEXT, DATE, DURATION, PROVISION)}


@attrs.frozen(eq=False)
class Symbol:
    """A grade, an enumeration member or a named outcome.

    Equality is by owner and name (compared as one `key`); the rank orders grades (0 is
    best) and members (declaration order). The label is for display only.
    """

    owner: str
    name: str
    rank: int = attrs.field(eq=False)
    ordered: bool = attrs.field(eq=False)
    label: str | None = attrs.field(eq=False, default=None)
    # The label when one is declared, else the identifier. Stored, not computed: reasons
    # and results show it for nearly every decision.
    display: str = attrs.field(init=False, eq=False, repr=False)
    # Owner and name in one text: equal keys exactly when the symbols are equal, so
    # generated code compares symbols (and looks them up in sets) as texts.
    key: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "display", self.label if self.label is not None else self.name)
        object.__setattr__(self, "key", symbol_key(self.owner, self.name))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not Symbol:
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def symbol_key(owner: str, name: str) -> str:
    """The `key` of the symbol `name` of `owner`.

    An owner is a qualified identifier and holds no newline, so the first newline of a key
    ends the owner: equal keys mean equal owners and equal names.
    """
    return f"{owner}\n{name}"


@attrs.frozen(eq=False)
class SymbolSet:
    """A scale (ordered, best first), an enumeration, or a single named outcome."""

    kind: str  # "scale" | "enum" | "outcome"
    qualname: str
    name: str
    members: tuple[Symbol, ...]
    label: str | None = None
    by_name: dict[str, Symbol] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "by_name", {symbol.name: symbol for symbol in self.members})

    def member(self, name: str) -> Symbol | None:
        """The member called `name`, if any."""
        return self.by_name.get(name)


@attrs.frozen
class Choice:
    """A value from one or more symbol sets: `rating`, `rating or not_rated`.

    `base` admits one primitive type besides the symbols: `date or not_applicable`.
    """

    sets: tuple[SymbolSet, ...]
    base: Prim | None = None

    @property
    def members(self) -> tuple[Symbol, ...]:
        """Every symbol the type admits, in declaration order."""
        return tuple(symbol for s in self.sets for symbol in s.members)

    @property
    def scale(self) -> SymbolSet | None:
        """The scale inside this choice, if there is exactly one."""
        scales = [s for s in self.sets if s.kind == "scale"]
        return scales[0] if len(scales) == 1 else None

    @property
    def is_pure_scale(self) -> bool:
        """True when every value is a grade of one scale (so values can be ordered)."""
        return len(self.sets) == 1 and self.sets[0].kind == "scale" and self.base is None

    def member(self, name: str) -> Symbol | None:
        """The member called `name`, if any."""
        for s in self.sets:
            found = s.by_name.get(name)
            if found is not None:
                return found
        return None

    def display(self) -> str:
        """How the type is written in rule files."""
        names = [s.name for s in self.sets]
        if self.base is not None:
            names.insert(0, self.base.name)
        return " or ".join(names)


@attrs.frozen
class FieldInfo:
    """A record field: its type, whether it may be absent, its description."""

    name: str
    type: Type
    optional: bool
    description: str | None = None


@attrs.frozen(eq=False)
class RecordType:
    """A record: named fields. `fields` is filled once, while the checker resolves types."""

    qualname: str
    name: str
    fields: dict[str, FieldInfo] = attrs.field(factory=dict)
    open_fields: frozenset[str] = frozenset()  # accepted and not checked (`subject`)

    def display(self) -> str:
        """How the type is written in rule files."""
        return self.name


@attrs.frozen
class ListOf:
    """`list of T`."""

    element: Type

    def display(self) -> str:
        """How the type is written in rule files."""
        return f"list of {self.element.display()}"


@attrs.frozen
class SetOf:
    """`set of T`."""

    element: Type

    def display(self) -> str:
        """How the type is written in rule files."""
        return f"set of {self.element.display()}"


@attrs.frozen
class MapOf:
    """`map of K to V`: a JSON object whose keys are members of K."""

    key: Choice
    value: Type

    def display(self) -> str:
        """How the type is written in rule files."""
        return f"map of {self.key.display()} to {self.value.display()}"


@attrs.frozen
class AnyType:
    """The element type of `[]`, and the type given to an expression in error.

    It matches every type, so one mistake does not cascade into many diagnostics.
    """

    reason: str = "any"

    def display(self) -> str:
        """How the type is written in messages."""
        return "anything" if self.reason == "any" else "unknown"


@attrs.frozen
class Duration:
    """A duration value: a whole number of days, weeks, months or years."""

    amount: int
    unit: str  # "days" | "weeks" | "months" | "years"

    def display(self) -> str:
        """`3 years`, `1 month`."""
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


ANY = AnyType("any")
ERROR = AnyType("error")

Type = Union[Prim, Choice, RecordType, ListOf, SetOf, MapOf, AnyType]


def is_numeric(t: Type) -> bool:
    """Integer or decimal (or unknown)."""
    return t in (INTEGER, DECIMAL) or isinstance(t, AnyType)


def element_type(t: Type) -> Type | None:
    """What iterating over `t` yields, or None when `t` is not a collection."""
    if isinstance(t, ListOf | SetOf):
        return t.element
    if isinstance(t, MapOf):
        return t.value
    if isinstance(t, AnyType):
        return t
    return None


def compatible(a: Type, b: Type) -> bool:
    """Whether values of `a` and `b` can be compared for equality."""
    if isinstance(a, AnyType) or isinstance(b, AnyType):
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if isinstance(a, Choice) and isinstance(b, Choice):
        return bool({id(s) for s in a.sets} & {id(s) for s in b.sets}) or (a.base is not None and a.base == b.base)
    if isinstance(a, Choice) and isinstance(b, Prim):
        return a.base == b
    if isinstance(b, Choice) and isinstance(a, Prim):
        return b.base == a
    if isinstance(a, ListOf | SetOf) and isinstance(b, ListOf | SetOf):
        return compatible(a.element, b.element)
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return a is b
    return a == b


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` may stand where `target` is expected."""
    if isinstance(value, AnyType) or isinstance(target, AnyType):
        return True
    if value == INTEGER and target == DECIMAL:
        return True
    if isinstance(value, Choice) and isinstance(target, Choice):
        target_ids = {id(s) for s in target.sets}
        return all(id(s) in target_ids for s in value.sets) and (
            value.base is None or value.base == target.base or (value.base == INTEGER and target.base == DECIMAL)
        )
    if isinstance(target, Choice) and isinstance(value, Prim):
        return value == target.base or (value == INTEGER and target.base == DECIMAL)
    if isinstance(target, ListOf) and isinstance(value, ListOf | SetOf):
        return assignable(value.element, target.element)
    if isinstance(target, SetOf) and isinstance(value, SetOf | ListOf):
        return assignable(value.element, target.element)
    if isinstance(value, RecordType) and isinstance(target, RecordType):
        return value is target
    return value == target


def unify(a: Type, b: Type) -> Type | None:
    """A type holding both `a` and `b` (for list items, defaults), or None."""
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if assignable(a, b):
        return b
    if assignable(b, a):
        return a
    if isinstance(a, Choice) and isinstance(b, Choice) and (a.base is None or b.base is None or a.base == b.base):
        sets = list(a.sets)
        sets.extend(s for s in b.sets if all(s is not t for t in sets))
        return Choice(tuple(sets), a.base or b.base)
    if isinstance(a, Choice) and isinstance(b, Prim) and a.base in (None, b):
        return Choice(a.sets, b)
    if isinstance(b, Choice) and isinstance(a, Prim) and b.base in (None, a):
        return Choice(b.sets, a)
    if isinstance(a, ListOf | SetOf) and isinstance(b, ListOf | SetOf):
        inner = unify(a.element, b.element)
        return ListOf(inner) if inner is not None else None
    return None


def _check_outcomes() -> SymbolSet:
    owner = "check_outcome"
    return SymbolSet(
        kind="enum",
        qualname=owner,
        name=owner,
        members=(
            Symbol(owner, "passed", 0, False, "Passed"),
            Symbol(owner, "failed", 1, False, "Failed"),
        ),
    )


CHECK_OUTCOME_SET = _check_outcomes()
CHECK_OUTCOME = Choice((CHECK_OUTCOME_SET,))

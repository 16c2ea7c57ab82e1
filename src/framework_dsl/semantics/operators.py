"""Every operator of the rule language, defined once: its type rule, how it treats unknown, its bounds, its errors.

`Op` names each operator the checker can choose. For each one, `OPERATORS[op]` is an
`Operator` holding:

- `apply`: what it computes — the one implementation that the generated code and the
  reference evaluator both call;
- `unknown`: how it treats an unknown operand (`Unknowns.STRICT`: unknown if any operand
  is; `Unknowns.ITEMS`: also if any item of a list operand is; `Unknowns.OWN`: `apply`
  decides, because the answer may not depend on the unknown part — `true or unknown`,
  `worst of` a list already holding the worst grade);
- `native`: where the generated code may write a Python operator instead of calling
  `apply` (comparisons on plain values), and for which operand types that gives the
  same answer; `tests/unit/test_operators.py` checks the claim on generated values;
- the type rules the checker uses to pick an operator for what the author wrote
  (`aggregate_type`, `resolve_compare`, `resolve_arith`).

Bounds live here too: whole numbers beyond `MAX_INTEGER_BITS` and decimal results
outside `DECIMAL_CONTEXT` are evaluation errors, on every path, never a crash or a
number no JSON reader could take. `and`, `or` and `if missing` are *lazy*: the right
operand is evaluated only when `decides_alone` says the left one is not the answer;
both evaluation paths follow `decides_alone` and then `apply`.
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any, assert_never

import attrs

from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    DURATION,
    ERROR,
    INTEGER,
    PROVISION,
    TEXT,
    AnyType,
    Choice,
    Duration,
    ListOf,
    MapOf,
    Prim,
    SetOf,
    Symbol,
    Type,
    element_type,
    is_numeric,
)
from framework_dsl.values import (
    DECIMAL_CONTEXT,
    EvaluationError,
    Provision,
    Unknown,
    add_duration,
    display_value,
    duration_key,
    first_unknown,
    kleene_and,
    kleene_not,
    kleene_or,
    merge_unknown,
    provision_within,
)

# Whole numbers beyond this many bits (about 3,010 digits) are evaluation errors: no
# rule needs them, and past 4,300 digits Python cannot even write them as text.
MAX_INTEGER_BITS = 10_000
TOO_LARGE = "the number is too large (over 3,000 digits)"


class Op(enum.StrEnum):
    """The operators the checker chooses between. The value is the name used in messages and traces."""

    AND = "and"
    OR = "or"
    NOT = "not"
    IF_MISSING = "if_missing"
    IS_MISSING = "is_missing"
    IS_PRESENT = "is_present"
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    GRADE_LT = "grade_lt"
    GRADE_LE = "grade_le"
    GRADE_GT = "grade_gt"
    GRADE_GE = "grade_ge"
    IN = "in"
    NOT_IN = "not_in"
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    DATE_ADD = "date_add"
    DATE_SUB = "date_sub"
    DATE_DIFF = "date_diff"
    SET_DIFF = "set_diff"
    UNION = "union"
    INTERSECT = "intersect"
    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    COUNT_RATED = "count_rated"
    COUNT_RATED_IN = "count_rated_in"
    COUNT = "count"
    IS_EMPTY = "is_empty"
    SORTED = "sorted"
    WORST = "worst"
    BEST = "best"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    AVERAGE = "average"
    WITHIN = "within"  # a statutory provision, or one of its sub-paragraphs
    ROUND_HALF_UP = "round_half_up"
    ROUND_HALF_EVEN = "round_half_even"
    BETWEEN = "between"
    TABLE_GET = "table_get"


class Unknowns(enum.Enum):
    """How an operator treats unknown operands (see the module docstring)."""

    STRICT = "strict"
    ITEMS = "items"
    # `apply` decides with unknown operands or items; with none, it gives a known value.
    OWN = "own"
    # Strict, except that an unknown whole number with bounds (a count with unknown items)
    # takes part by its bounds: `count >= 2` is true when at least 2 are known to count.
    BOUNDS = "bounds"


class Native(enum.Enum):
    """A Python operator that computes what `apply` does, on known operands (see `Operator.native`)."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    NOT = "not"  # on a known boolean
    IS_UNKNOWN = "is unknown"  # `type(value) is Unknown`, on any value
    IS_KNOWN = "is known"
    LEN = "len"  # the number of items of a known list, set or map
    EMPTY = "empty"  # no items (or no characters, for a text)


class NativeOn(enum.Enum):
    """What the native operator compares."""

    VALUES = "values"  # the operands themselves (comparisons: on `ORDERED_PRIMITIVES`; `==`: any)
    RANKS = "ranks"  # the grades' ranks, the other way round: `x >= good` is `good.rank >= x.rank`
    ITEMS = "items"  # the left operand among the right one's items (a list written in the rules)


class ShortCircuit(enum.Enum):
    """When a lazy operator's left operand is the answer, so its right one is not evaluated."""

    WHEN_FALSE = "when false"  # and
    WHEN_TRUE = "when true"  # or
    WHEN_KNOWN = "when known"  # if missing


# Operand types on which Python's comparison operators order values as the language does.
ORDERED_PRIMITIVES = (INTEGER, DECIMAL, DATE, TEXT)


@attrs.frozen
class Operator:
    """One operator: its meaning (`apply`), unknown handling, and where a native Python operator agrees."""

    op: Op
    arity: int
    unknown: Unknowns
    apply: Callable[..., Any]
    native: Native | None = None
    native_on: NativeOn = NativeOn.VALUES
    # Lazy operators (`and`, `or`, `if missing`): when the left operand is the answer, and
    # the value the left operand has whenever it is not (true for `and`, false for `or`),
    # which makes the answer the right operand's value.
    short_circuit: ShortCircuit | None = None
    identity: Any = None
    # For `X of` aggregates: the result type from the item type, or a Mismatch; and the
    # type of the result for an empty list literal (None: an empty list has no value).
    item_rule: Callable[[Type], Type | Mismatch] | None = None
    empty_result: Type | None = None
    # A value fixed by the expression's type, passed to `apply` after the operands
    # (`worst of` needs to know how many grades its scale has).
    parameter: Callable[[Type], Any] | None = None
    # `apply` may give unknown though no operand is (`within`: evidence naming a provision
    # less precisely than the rule asks), so the result is never taken to be known.
    imprecise: bool = False

    def evaluate(self, *operands: Any) -> Any:
        """`apply` with the operator's unknown handling: the complete meaning on any operands.

        An operator with a `parameter` takes it as its last argument, after the operands.
        """
        values = operands[: self.arity]
        if self.unknown is Unknowns.STRICT:
            for operand in values:
                if type(operand) is Unknown:
                    return merge_unknown(*values)
        elif self.unknown is Unknowns.BOUNDS:
            for operand in values:
                if type(operand) is Unknown:
                    return _by_bounds(self.op, values[0], values[1])
        elif self.unknown is Unknowns.ITEMS:
            for operand in values:
                if type(operand) is Unknown:
                    return merge_unknown(*values)
            unknown = first_unknown(item for operand in values for item in list_items(operand))
            if unknown is not None:
                return unknown
        return self.apply(*operands)


@attrs.frozen
class Mismatch:
    """Why an operator does not apply to these operand types: the checker's diagnostic."""

    message: str
    hint: str | None = None


@attrs.frozen
class Resolved:
    """The operator the checker chose for what the author wrote, and its result type."""

    op: Op
    type: Type
    swap: bool = False  # the operands go the other way round (`3 years + date`)


# ---------------------------------------------------------------- helpers of the meanings


def _items(value: Any) -> Any:
    """A list's items; a map's values (a map iterates as its values)."""
    entries = getattr(value, "entries", None)
    if entries is not None:
        return tuple(entries.values())
    return value


def list_items(value: Any) -> Any:
    """The items of `value` when it is a list, set or map; nothing for any other value."""
    if isinstance(value, tuple):
        return value
    entries = getattr(value, "entries", None)
    if entries is not None:
        return tuple(entries.values())
    return ()


def checked_integer(value: int) -> int:
    """`value`, or an evaluation error when it is beyond `MAX_INTEGER_BITS`."""
    if value.bit_length() > MAX_INTEGER_BITS:
        raise EvaluationError(TOO_LARGE)
    return value


def _arithmetic_failed(error: ArithmeticError) -> EvaluationError:
    return EvaluationError(f"the arithmetic failed ({type(error).__name__})")


def _decimal(value: Any) -> Decimal:
    if type(value) is int:
        checked_integer(value)
    return Decimal(value)


def _add(left: Any, right: Any) -> Any:
    try:
        if type(left) is int and type(right) is int:
            return checked_integer(left + right)
        return DECIMAL_CONTEXT.add(_decimal(left), _decimal(right))
    except ArithmeticError as error:
        raise _arithmetic_failed(error) from error


def _sub(left: Any, right: Any) -> Any:
    try:
        if type(left) is int and type(right) is int:
            return checked_integer(left - right)
        return DECIMAL_CONTEXT.subtract(_decimal(left), _decimal(right))
    except ArithmeticError as error:
        raise _arithmetic_failed(error) from error


def _mul(left: Any, right: Any) -> Any:
    try:
        if type(left) is int and type(right) is int:
            # Refused before multiplying: the product of two huge numbers takes long to make.
            if left.bit_length() + right.bit_length() > MAX_INTEGER_BITS + 1:
                raise EvaluationError(TOO_LARGE)
            return checked_integer(left * right)
        return DECIMAL_CONTEXT.multiply(_decimal(left), _decimal(right))
    except ArithmeticError as error:
        raise _arithmetic_failed(error) from error


def _div(left: Any, right: Any) -> Decimal:
    if right == 0:
        raise EvaluationError("division by zero", "eval.division-by-zero")
    try:
        return DECIMAL_CONTEXT.divide(_decimal(left), _decimal(right))
    except ArithmeticError as error:
        raise _arithmetic_failed(error) from error


def _eq(left: Any, right: Any) -> bool:
    return bool(left == right)


def _ne(left: Any, right: Any) -> bool:
    return bool(left != right)


def _ordered(left: Any, right: Any) -> tuple[Any, Any]:
    """The values to order `left` and `right` by: themselves, or durations by days/months."""
    if isinstance(left, Duration) and isinstance(right, Duration):
        a, b = duration_key(left), duration_key(right)
        if a[0] != b[0]:
            raise EvaluationError(f"{left.display()} and {right.display()} cannot be compared exactly")
        return a, b
    return left, right


def _lt(left: Any, right: Any) -> bool:
    a, b = _ordered(left, right)
    return bool(a < b)


def _le(left: Any, right: Any) -> bool:
    a, b = _ordered(left, right)
    return bool(a <= b)


def _gt(left: Any, right: Any) -> bool:
    a, b = _ordered(left, right)
    return bool(a > b)


def _ge(left: Any, right: Any) -> bool:
    a, b = _ordered(left, right)
    return bool(a >= b)


def _ranks(left: Any, right: Any) -> tuple[int, int]:
    """(rank of right, rank of left): a better grade has a smaller rank, so `x >= good` is good.rank >= x.rank."""
    if not (isinstance(left, Symbol) and left.ordered and isinstance(right, Symbol) and right.ordered):
        raise EvaluationError(f"`{display_value(left)}` and `{display_value(right)}` cannot be ordered")
    return right.rank, left.rank


def _grade_lt(left: Any, right: Any) -> bool:
    a, b = _ranks(left, right)
    return a < b


def _grade_le(left: Any, right: Any) -> bool:
    a, b = _ranks(left, right)
    return a <= b


def _grade_gt(left: Any, right: Any) -> bool:
    a, b = _ranks(left, right)
    return a > b


def _grade_ge(left: Any, right: Any) -> bool:
    a, b = _ranks(left, right)
    return a >= b


def _membership(left: Any, right: Any) -> Any:
    """Whether `left` is among the items of `right`; unknown only when an unknown item could be it."""
    right = _items(right)
    if type(left) is Unknown or type(right) is Unknown:
        return merge_unknown(left, right)
    found = left in [v for v in right if type(v) is not Unknown]
    if not found and any(type(v) is Unknown for v in right):
        return merge_unknown(*right)
    return found


def _in(left: Any, right: Any) -> Any:
    return _membership(left, right)


def _not_in(left: Any, right: Any) -> Any:
    return kleene_not(_membership(left, right))


def _date_add(left: datetime.date, right: Duration) -> datetime.date:
    try:
        return add_duration(left, right)
    except OverflowError as error:
        raise EvaluationError("the date is outside the years 1 to 9999") from error


def _date_sub(left: datetime.date, right: Duration) -> datetime.date:
    try:
        return add_duration(left, right, -1)
    except OverflowError as error:
        raise EvaluationError("the date is outside the years 1 to 9999") from error


def _date_diff(left: datetime.date, right: datetime.date) -> int:
    return (left - right).days


def _lookup(items: Any) -> Any:
    """A set for membership tests in linear time; the items as they are if not hashable."""
    try:
        return set(items)
    except TypeError:
        return items


def _set_diff(left: Any, right: Any) -> tuple[Any, ...]:
    lookup_right = _lookup(_items(right))
    return tuple(v for v in _items(left) if v not in lookup_right)


def _intersect(left: Any, right: Any) -> tuple[Any, ...]:
    lookup_right = _lookup(_items(right))
    return tuple(v for v in _items(left) if v in lookup_right)


def _union(left: Any, right: Any) -> tuple[Any, ...]:
    if type(left) is tuple and type(right) is tuple and not (left and right):
        return left or right  # one side empty: the other, as the general case gives it
    left, right = _items(left), _items(right)
    lookup_left = _lookup(left)
    return tuple(left) + tuple(v for v in right if v not in lookup_left)


def _at_most(value: Any, limit: Symbol) -> Any:
    if not (isinstance(value, Symbol) and value.ordered):
        return value  # a non-grade outcome (not_rated) is neither capped nor floored
    return value if value.rank >= limit.rank else limit


def _at_least(value: Any, limit: Symbol) -> Any:
    if not (isinstance(value, Symbol) and value.ordered):
        return value
    return value if value.rank <= limit.rank else limit


def partial_count(count: int, unknowns: Any) -> Any:
    """`count` items are known to count and each of `unknowns` (Unknown values) may: the count, or its bounds."""
    if not unknowns:
        return count
    merged = merge_unknown(*unknowns)
    return Unknown(merged.missing, count, count + len(unknowns))


def _count_among(items: Any, grades: Any, wanted: Callable[[Any], bool]) -> Any:
    if type(items) is Unknown or type(grades) is Unknown:
        return merge_unknown(items, grades)
    count = 0
    unknown = []
    for value in _items(items):
        if type(value) is Unknown:
            unknown.append(value)
        elif wanted(value):
            count += 1
    return partial_count(count, unknown)


def _count_rated(items: Any, grade: Any) -> Any:
    if type(grade) is not Symbol or type(items) is Unknown:
        return _count_among(items, grade, lambda v: bool(v == grade))
    # Symbols are equal exactly when their keys are (`Symbol.__eq__`): compared as texts,
    # with no call for each item.
    key = grade.key
    count = 0
    unknown = []
    for value in items if type(items) is tuple else _items(items):  # a list's items, without a call
        kind = type(value)
        if kind is Symbol:
            if value.key == key:
                count += 1
        elif kind is Unknown:
            unknown.append(value)
        elif value == grade:
            count += 1
    return partial_count(count, unknown) if unknown else count


def _count_rated_in(items: Any, grades: Any) -> Any:
    return _count_among(items, grades, lambda v: v in grades)


def count_by_rank(items: Any, size: int) -> list[int]:
    """How many of `items` have each rank from 0 to `size - 1`.

    When every item is a member of one symbol set whose members rank 0 to `size - 1`,
    ranks tell members apart, so `count of items rated g` (`COUNT_RATED`) is
    `count_by_rank(items, size)[g.rank]` for a member `g` of that set: generated code
    counts a list once this way and reads each count from it.
    """
    counts = [0] * size
    for value in items:
        counts[value.rank] += 1
    return counts


def _bounds(value: Any, known: tuple[type, ...]) -> tuple[Any, Any] | None:
    """(low, high) of a number known exactly (of the `known` types) or by bounds; None for anything else."""
    if type(value) is Unknown:
        return (value.low, value.high) if value.low is not None else None
    if type(value) in known:
        return value, value
    return None


def _by_bounds(op: Op, left: Any, right: Any) -> Any:
    """A comparison or sum with an unknown operand: decided from bounds where they settle it, else unknown.

    Sums keep whole numbers whole, so they take bounds only with whole numbers; a
    comparison may also be with a decimal.
    """
    known = (int,) if op in (Op.ADD, Op.SUB) else (int, Decimal)
    a, b = _bounds(left, known), _bounds(right, known)
    if a is None or b is None:
        return merge_unknown(left, right)
    (a_low, a_high), (b_low, b_high) = a, b
    merged = merge_unknown(left, right)
    if op is Op.ADD:
        high = None if a_high is None or b_high is None else a_high + b_high
        return Unknown(merged.missing, a_low + b_low, high)
    if op is Op.SUB:
        low = None if b_high is None else a_low - b_high
        high = None if a_high is None else a_high - b_low
        return merged if low is None else Unknown(merged.missing, low, high)
    # Does the comparison hold for every pair of values the bounds allow, or for none?
    if op in (Op.LT, Op.GE):
        holds_always = a_high is not None and a_high < b_low
        holds_never = b_high is not None and a_low >= b_high
    elif op in (Op.LE, Op.GT):
        holds_always = a_high is not None and a_high <= b_low
        holds_never = b_high is not None and a_low > b_high
    else:  # EQ, NE: equal if both are the same single value; unequal if the ranges do not meet
        holds_always = a_low == a_high == b_low == b_high
        holds_never = (a_high is not None and a_high < b_low) or (b_high is not None and b_high < a_low)
    if op in (Op.GE, Op.GT):
        holds_always, holds_never = holds_never, holds_always
    if op is Op.NE:
        holds_always, holds_never = holds_never, holds_always
    if holds_always:
        return True
    if holds_never:
        return False
    return merged


def _and(left: Any, right: Any) -> Any:
    return kleene_and(left, right)


def _or(left: Any, right: Any) -> Any:
    return kleene_or(left, right)


def _if_missing(left: Any, right: Any) -> Any:
    return right if type(left) is Unknown else left


def _is_missing(value: Any) -> bool:
    return type(value) is Unknown


def _is_present(value: Any) -> bool:
    return type(value) is not Unknown


def _count(value: Any) -> int:
    return len(_items(value))


def _is_empty(value: Any) -> bool:
    return len(_items(value)) == 0


def _sort_key(value: Any) -> Any:
    if isinstance(value, Symbol):
        return (0, value.owner, value.rank)
    if isinstance(value, Duration):
        return (1, *duration_key(value))
    if isinstance(value, bool):
        return (2, value)
    return (3, value)


def _sorted(value: Any) -> tuple[Any, ...]:
    return tuple(sorted(_items(value), key=_sort_key))


def _extreme(items: Any, limit: int | None, worst: bool) -> Any:
    """`worst of` / `best of`: decided once a known item is the `limit` grade, or every item is known."""
    if type(items) is Unknown:
        return items
    items = _items(items)
    known = [v for v in items if type(v) is not Unknown]
    grades = [v for v in known if isinstance(v, Symbol) and v.ordered]
    if len(known) != len(items) and not any(v.rank == limit for v in grades):
        return merge_unknown(*items)
    if not grades:
        raise EvaluationError(f"`{'worst' if worst else 'best'} of` a list with no grades has no value")
    if worst:
        return max(grades, key=_rank)
    return min(grades, key=_rank)


def _rank(symbol: Symbol) -> int:
    return symbol.rank


def _worst(items: Any, worst_rank: int | None) -> Any:
    return _extreme(items, worst_rank, worst=True)


def _best(items: Any, best_rank: int | None) -> Any:
    return _extreme(items, best_rank, worst=False)


def _worst_rank(t: Type) -> int | None:
    """The rank of the worst grade of the scale `t` holds (grades of a scale rank 0, 1, ... from the best)."""
    scale = t.scale if isinstance(t, Choice) else None
    return len(scale.members) - 1 if scale is not None else None


def _best_rank(t: Type) -> int | None:
    return 0


def _sum(value: Any) -> Any:
    total: Any = 0
    for item in _items(value):
        total = _add(total, item)
    return total


def _min_or_max(value: Any, name: str) -> Any:
    items = _items(value)
    if not items:
        raise EvaluationError(f"`{name} of` an empty list has no value")
    choose = min if name == "min" else max
    if any(isinstance(v, Duration) for v in items):
        keys = [duration_key(v) for v in items]
        if len({unit for unit, _ in keys}) > 1:
            raise EvaluationError(f"`{name} of` durations in days and in months cannot be compared exactly")
        return choose(items, key=duration_key)
    return choose(items)


def _min(value: Any) -> Any:
    return _min_or_max(value, "min")


def _max(value: Any) -> Any:
    return _min_or_max(value, "max")


def _average(value: Any) -> Decimal:
    items = _items(value)
    if not items:
        raise EvaluationError("`average of` an empty list has no value")
    return _div(_sum(items), len(items))


def _within(provision: Any, scope: Any) -> Any:
    """`provision within scope`: true if it is the scope (or one of the scopes) or lies inside one.

    Kleene `or` over the scopes, so an unknown answer for one scope (the evidence names
    only a parent of it) gives way to a true answer for another; an unknown operand or
    item stays unknown unless another scope already answers true.
    """
    if type(provision) is Unknown or type(scope) is Unknown:
        return merge_unknown(provision, scope)
    scopes = _items(scope) if isinstance(scope, tuple) or hasattr(scope, "entries") else (scope,)
    answer: Any = False
    for each in scopes:
        if type(each) is Unknown:
            answer = kleene_or(answer, each)
        elif isinstance(provision, Provision) and isinstance(each, Provision):
            answer = kleene_or(answer, provision_within(provision, each))
        else:  # pragma: no cover - the checker allows provisions only
            raise EvaluationError(f"`within` compares provisions, not {display_value(each)}")
        if answer is True:
            return True
    return answer


# Rounding: `round X to N decimal places` takes N from 0 to this. Twelve places is far
# beyond any published percentage or score, and keeps every rounded value of a number
# within the 34 significant digits decimals carry.
MAX_DECIMAL_PLACES = 12
_QUANTUM = tuple(Decimal(1).scaleb(-places) for places in range(MAX_DECIMAL_PLACES + 1))


def _round(value: Any, places: int | None, rounding: str) -> Any:
    """`value` rounded to `places` decimal places (None: a whole number, as an integer)."""
    if type(value) is int:
        return value if places is None or places == 0 else Decimal(value).quantize(_QUANTUM[places])
    try:
        if places is None or places == 0:
            return checked_integer(int(value.quantize(_QUANTUM[0], rounding=rounding, context=DECIMAL_CONTEXT)))
        return value.quantize(_QUANTUM[places], rounding=rounding, context=DECIMAL_CONTEXT)
    except ArithmeticError as error:
        raise _arithmetic_failed(error) from error


def _round_half_up(value: Any, places: int | None) -> Any:
    """Half up (away from zero at exactly half): 68.75 to one place is 68.8, 62.5 to a whole number is 63."""
    return _round(value, places, decimal.ROUND_HALF_UP)


def _round_half_even(value: Any, places: int | None) -> Any:
    """Half to even (banker's rounding): 62.5 to a whole number is 62, 63.5 is 64."""
    return _round(value, places, decimal.ROUND_HALF_EVEN)


def round_type(value: Type, places: int | None) -> Type | Mismatch:
    """The type of `round X [to N decimal places]`: a whole number with no places, else a decimal."""
    if places is not None and not 0 <= places <= MAX_DECIMAL_PLACES:
        return Mismatch(
            f"`round` takes 0 to {MAX_DECIMAL_PLACES} decimal places, not {places}",
            "published percentages and scores need a few places at most",
        )
    if isinstance(value, AnyType):
        return value
    if not is_numeric(value):
        return Mismatch(f"`round` needs a number, but this is {value.display()}")
    return INTEGER if places is None or places == 0 else DECIMAL


def _between(value: Any, low: Any, high: Any) -> Any:
    """`low <= value <= high`, three-valued: a count known only by bounds decides where the bounds do."""
    above = _by_bounds(Op.GE, value, low) if Unknown in (type(value), type(low)) else _ge(value, low)
    if above is False:
        return False
    below = _by_bounds(Op.LE, value, high) if Unknown in (type(value), type(high)) else _le(value, high)
    return kleene_and(above, below)


def resolve_between(value: Type, low: Type, high: Type) -> Resolved | Mismatch:
    """The operator for `value between low and high`: numbers, dates or durations, both ends included."""
    for other in (low, high):
        if isinstance(value, AnyType) or isinstance(other, AnyType):
            continue
        if not ((is_numeric(value) and is_numeric(other)) or (value == other and value in (DATE, DURATION))):
            hint = None
            if isinstance(value, Choice) and value.scale is not None:
                hint = "for grades, write `g >= low and g <= high`, or `g at least low`"
            return Mismatch(
                f"`between` needs numbers, dates or durations: {value.display()} and {other.display()}", hint
            )
    return Resolved(Op.BETWEEN, BOOLEAN)


def _table_get(table: Any, key: Any) -> Any:
    """The row of a constant table for `key` (the checker proves every member of the key type has one)."""
    try:
        return table.get(key.name)
    except (KeyError, AttributeError) as error:
        raise EvaluationError(f"the table `{table.name}` has no row for `{display_value(key)}`") from error


# ---------------------------------------------------------------- type rules of the aggregates


def _grades_rule(op: Op) -> Callable[[Type], Type | Mismatch]:
    def rule(item: Type) -> Type | Mismatch:
        if isinstance(item, Choice) and item.scale is not None:
            return item
        return Mismatch(f"`{op.value} of` needs grades of a scale, but the items are {item.display()}")

    return rule


def _sum_rule(item: Type) -> Type | Mismatch:
    if is_numeric(item):
        return item
    return Mismatch(f"`sum of` needs numbers, but the items are {item.display()}")


def _extreme_value_rule(op: Op) -> Callable[[Type], Type | Mismatch]:
    def rule(item: Type) -> Type | Mismatch:
        if is_numeric(item) or item in (DATE, DURATION):
            return item
        return Mismatch(
            f"`{op.value} of` needs numbers or dates, but the items are {item.display()}",
            "for grades, use `worst of` or `best of`",
        )

    return rule


def _average_rule(item: Type) -> Type | Mismatch:
    if is_numeric(item):
        return DECIMAL
    return Mismatch(
        f"`average of` needs numbers, but the items are {item.display()}",
        "for grades, use `worst of` or `best of`; to count them, `count of ... rated ...`",
    )


# ---------------------------------------------------------------- the table


def _define(op: Op) -> Operator:
    """The definition of `op`. A `match` over every member, so mypy proves none is forgotten."""
    strict, items, own, bounds = Unknowns.STRICT, Unknowns.ITEMS, Unknowns.OWN, Unknowns.BOUNDS
    match op:
        case Op.AND:
            return Operator(op, 2, own, _and, short_circuit=ShortCircuit.WHEN_FALSE, identity=True)
        case Op.OR:
            return Operator(op, 2, own, _or, short_circuit=ShortCircuit.WHEN_TRUE, identity=False)
        case Op.IF_MISSING:
            return Operator(op, 2, own, _if_missing, short_circuit=ShortCircuit.WHEN_KNOWN)
        case Op.NOT:
            return Operator(op, 1, own, kleene_not, Native.NOT)
        case Op.IS_MISSING:
            return Operator(op, 1, own, _is_missing, Native.IS_UNKNOWN)
        case Op.IS_PRESENT:
            return Operator(op, 1, own, _is_present, Native.IS_KNOWN)
        case Op.EQ:
            return Operator(op, 2, bounds, _eq, Native.EQ)
        case Op.NE:
            return Operator(op, 2, bounds, _ne, Native.NE)
        case Op.LT:
            return Operator(op, 2, bounds, _lt, Native.LT)
        case Op.LE:
            return Operator(op, 2, bounds, _le, Native.LE)
        case Op.GT:
            return Operator(op, 2, bounds, _gt, Native.GT)
        case Op.GE:
            return Operator(op, 2, bounds, _ge, Native.GE)
        case Op.GRADE_LT:
            return Operator(op, 2, strict, _grade_lt, Native.LT, NativeOn.RANKS)
        case Op.GRADE_LE:
            return Operator(op, 2, strict, _grade_le, Native.LE, NativeOn.RANKS)
        case Op.GRADE_GT:
            return Operator(op, 2, strict, _grade_gt, Native.GT, NativeOn.RANKS)
        case Op.GRADE_GE:
            return Operator(op, 2, strict, _grade_ge, Native.GE, NativeOn.RANKS)
        case Op.IN:
            return Operator(op, 2, own, _in, Native.IN, NativeOn.ITEMS)
        case Op.NOT_IN:
            return Operator(op, 2, own, _not_in, Native.NOT_IN, NativeOn.ITEMS)
        case Op.ADD:
            return Operator(op, 2, bounds, _add)
        case Op.SUB:
            return Operator(op, 2, bounds, _sub)
        case Op.MUL:
            return Operator(op, 2, strict, _mul)
        case Op.DIV:
            return Operator(op, 2, strict, _div)
        case Op.DATE_ADD:
            return Operator(op, 2, strict, _date_add)
        case Op.DATE_SUB:
            return Operator(op, 2, strict, _date_sub)
        case Op.DATE_DIFF:
            return Operator(op, 2, strict, _date_diff)
        case Op.SET_DIFF:
            return Operator(op, 2, items, _set_diff)
        case Op.UNION:
            return Operator(op, 2, items, _union)
        case Op.INTERSECT:
            return Operator(op, 2, items, _intersect)
        case Op.AT_MOST:
            return Operator(op, 2, strict, _at_most)
        case Op.AT_LEAST:
            return Operator(op, 2, strict, _at_least)
        case Op.COUNT_RATED:
            return Operator(op, 2, own, _count_rated)
        case Op.COUNT_RATED_IN:
            return Operator(op, 2, own, _count_rated_in)
        case Op.COUNT:
            return Operator(op, 1, strict, _count, Native.LEN)
        case Op.IS_EMPTY:
            return Operator(op, 1, strict, _is_empty, Native.EMPTY)
        case Op.SORTED:
            return Operator(op, 1, items, _sorted)
        case Op.WORST:
            return Operator(op, 1, own, _worst, item_rule=_grades_rule(op), parameter=_worst_rank)
        case Op.BEST:
            return Operator(op, 1, own, _best, item_rule=_grades_rule(op), parameter=_best_rank)
        case Op.SUM:
            return Operator(op, 1, items, _sum, item_rule=_sum_rule, empty_result=INTEGER)
        case Op.MIN:
            return Operator(op, 1, items, _min, item_rule=_extreme_value_rule(op))
        case Op.MAX:
            return Operator(op, 1, items, _max, item_rule=_extreme_value_rule(op))
        case Op.AVERAGE:
            return Operator(op, 1, items, _average, item_rule=_average_rule)
        case Op.WITHIN:
            return Operator(op, 2, own, _within, imprecise=True)
        case Op.ROUND_HALF_UP:
            # The second operand is the number of places (None: whole), a constant of the rules.
            return Operator(op, 2, strict, _round_half_up)
        case Op.ROUND_HALF_EVEN:
            return Operator(op, 2, strict, _round_half_even)
        case Op.BETWEEN:
            return Operator(op, 3, own, _between)
        case Op.TABLE_GET:
            return Operator(op, 2, strict, _table_get)
        case _:
            assert_never(op)


OPERATORS: dict[Op, Operator] = {op: _define(op) for op in Op}

# `X of list` forms, by the word the author writes.
AGGREGATES: dict[str, Op] = {op.value: op for op in Op if OPERATORS[op].item_rule is not None}


def decides_alone(operator: Operator, left: Any) -> bool:
    """For a lazy operator: whether its left operand is the answer, so the right one is not evaluated."""
    match operator.short_circuit:
        case ShortCircuit.WHEN_FALSE:
            return left is False
        case ShortCircuit.WHEN_TRUE:
            return left is True
        case ShortCircuit.WHEN_KNOWN:
            return type(left) is not Unknown
        case None:
            return False
        case _:
            assert_never(operator.short_circuit)


# ---------------------------------------------------------------- type rules the checker uses


def aggregate_type(op: Op, item: Type) -> Type | Mismatch:
    """The type of `OP of xs` for items of type `item` (an empty list literal's items are `any`)."""
    operator = OPERATORS[op]
    assert operator.item_rule is not None
    if isinstance(item, AnyType) and item.reason == "any":
        if operator.empty_result is not None:
            return operator.empty_result
        return Mismatch(
            f"`{op.value} of` an empty list has no value",
            "give the list at least one item, or use a list from the evidence",
        )
    if isinstance(item, AnyType):
        return item
    return operator.item_rule(item)


_COMPARISONS = {"=": Op.EQ, "!=": Op.NE, "<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_GRADE_ORDER = {Op.LT: Op.GRADE_LT, Op.LE: Op.GRADE_LE, Op.GT: Op.GRADE_GT, Op.GE: Op.GRADE_GE}


def resolve_compare(
    symbol: str, left: Type, right: Type, compatible: Callable[[Type, Type], bool]
) -> Resolved | Mismatch:
    """The operator for `left SYMBOL right` (`=`, `!=`, `<`, ...): always boolean."""
    op = _COMPARISONS[symbol]
    if op in (Op.EQ, Op.NE):
        if not compatible(left, right):
            return Mismatch(
                f"{left.display()} cannot equal {right.display()}",
                "compare like with like: a number with a number, a grade with a grade of the same scale",
            )
        return Resolved(op, BOOLEAN)
    if isinstance(left, AnyType) or isinstance(right, AnyType):
        return Resolved(op, BOOLEAN)
    if (is_numeric(left) and is_numeric(right)) or (left == right and left in (DATE, DURATION, TEXT)):
        return Resolved(op, BOOLEAN)
    if isinstance(left, Choice) and isinstance(right, Choice) and left.scale is not None and left.scale is right.scale:
        if not (left.is_pure_scale and right.is_pure_scale):
            return Mismatch(
                f"`{symbol}` orders grades, but {(left if not left.is_pure_scale else right).display()} "
                "may hold an outcome that is not a grade",
                "test for the other outcomes first, or compare with `=` and `in`",
            )
        return Resolved(_GRADE_ORDER[op], BOOLEAN)
    return Mismatch(
        f"`{symbol}` cannot order {left.display()} and {right.display()}",
        "numbers, dates, durations and grades of one scale can be ordered",
    )


_ARITHMETIC = {"+": Op.ADD, "-": Op.SUB, "*": Op.MUL, "/": Op.DIV}


def resolve_arith(symbol: str, left: Type, right: Type) -> Resolved | Mismatch:
    """The operator for `left SYMBOL right` (`+`, `-`, `*`, `/`) and its result type."""
    op = _ARITHMETIC[symbol]
    if isinstance(left, AnyType) or isinstance(right, AnyType):
        return Resolved(op, ERROR)  # an operand already has an error: say nothing more
    if is_numeric(left) and is_numeric(right):
        return Resolved(op, INTEGER if left == INTEGER and right == INTEGER and op is not Op.DIV else DECIMAL)
    if op in (Op.ADD, Op.SUB) and left == DATE and right == DURATION:
        return Resolved(Op.DATE_ADD if op is Op.ADD else Op.DATE_SUB, DATE)
    if op is Op.ADD and left == DURATION and right == DATE:
        return Resolved(Op.DATE_ADD, DATE, swap=True)
    if op is Op.SUB and left == DATE and right == DATE:
        return Resolved(Op.DATE_DIFF, INTEGER)
    if op is Op.SUB and element_type(left) is not None:
        return Resolved(Op.SET_DIFF, list_like(left))
    return Mismatch(
        f"`{symbol}` cannot combine {left.display()} and {right.display()}",
        "numbers combine with numbers, dates with durations (`date + 3 years`), lists with `-`, `union` "
        "and `intersect`",
    )


def resolve_within(provision: Type, scope: Type) -> Resolved | Mismatch:
    """The operator for `provision within scope`: a provision, within a provision or a list of them."""
    if isinstance(provision, AnyType) or isinstance(scope, AnyType):
        return Resolved(Op.WITHIN, BOOLEAN)
    hint = (
        "declare the evidence field as `provision`, and write the provision as the regulations do: "
        '`b.paragraph within "16(3)"` or `b.paragraph within ["16(3)", "17(3)"]`'
    )
    if provision != PROVISION:
        return Mismatch(f"`within` needs a provision on its left, but this is {provision.display()}", hint)
    items = element_type(scope)
    if PROVISION not in (scope, items) and not isinstance(items, AnyType):
        return Mismatch(
            f"`within` needs a provision or a list of provisions on its right, but this is {scope.display()}", hint
        )
    return Resolved(Op.WITHIN, BOOLEAN)


def list_like(t: Type) -> Type:
    """The type of a set operation's result on `t`: the list or set itself; a map's values as a list."""
    if isinstance(t, SetOf | ListOf):
        return t
    if isinstance(t, MapOf):
        return ListOf(t.value)
    return t


def is_native_domain(t: Type) -> bool:
    """Whether values of `t` are plain Python values the `native` comparisons order correctly."""
    return isinstance(t, Prim) and t in ORDERED_PRIMITIVES

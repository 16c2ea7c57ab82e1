"""The operator table (`semantics.operators`): every operator defined once, and every claim the table makes holds.

The generated code writes a Python operator where the table says one agrees with the
operator's meaning (`Operator.native`), and takes an operator's left operand as the
answer where `decides_alone` says so. These properties check those claims on generated
values, so the fast path cannot drift from the one definition.
"""

from __future__ import annotations

import datetime
import operator as python
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework_dsl.semantics.operators import (
    AGGREGATES,
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_BITS,
    OPERATORS,
    Mismatch,
    Native,
    NativeOn,
    Op,
    Resolved,
    ShortCircuit,
    Unknowns,
    aggregate_type,
    count_by_rank,
    decides_alone,
    resolve_between,
    round_type,
)
from framework_dsl.typesystem import DECIMAL, INTEGER, TEXT, Choice, Duration, ListOf, Symbol, SymbolSet
from framework_dsl.values import DECIMAL_CONTEXT, EvaluationError, Unknown

PYTHON = {
    Native.EQ: python.eq,
    Native.NE: python.ne,
    Native.LT: python.lt,
    Native.LE: python.le,
    Native.GT: python.gt,
    Native.GE: python.ge,
}

GRADES = tuple(Symbol("rating", name, rank, True, name.title()) for rank, name in enumerate(["o", "g", "r", "i"]))
MEMBERS = tuple(Symbol("colour", name, rank, False) for rank, name in enumerate(["red", "blue", "green"]))
SCALE = SymbolSet(kind="scale", qualname="rating", name="rating", members=GRADES)

numbers = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
)
ordered_pairs = st.one_of(
    st.tuples(numbers, numbers),
    st.tuples(st.dates(), st.dates()),
    st.tuples(st.text(max_size=4), st.text(max_size=4)),
)
unknowns = st.frozensets(st.sampled_from(["/a", "/b", "/c/0"]), min_size=1).map(Unknown)


def test_every_operator_is_defined_with_its_arity() -> None:
    """The table has an entry for every `Op`, and each entry says it is that operator."""
    assert set(OPERATORS) == set(Op)
    for op, definition in OPERATORS.items():
        assert definition.op is op
        assert definition.arity in ((3,) if op is Op.BETWEEN else (1, 2))
        assert (definition.short_circuit is not None) == (op in (Op.AND, Op.OR, Op.IF_MISSING))


def test_aggregates_are_the_x_of_forms() -> None:
    """`worst of`, `best of`, `sum of`, `min of`, `max of` and `average of` are the aggregates, by their words."""
    assert set(AGGREGATES) == {"worst", "best", "sum", "min", "max", "average"}


@given(ordered_pairs)
def test_native_comparisons_agree_on_plain_values(pair: tuple[Any, Any]) -> None:
    """`<`, `<=`, `>`, `>=`, `=`, `!=` on numbers, dates and texts are Python's, as the table claims."""
    left, right = pair
    for op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE):
        definition = OPERATORS[op]
        assert definition.native is not None and definition.native_on is NativeOn.VALUES
        assert definition.apply(left, right) == PYTHON[definition.native](left, right)


@given(st.sampled_from(GRADES + MEMBERS), st.sampled_from(GRADES + MEMBERS))
def test_symbols_are_equal_exactly_when_their_keys_are(left: Symbol, right: Symbol) -> None:
    """The generated code compares symbols by key: that is the same as comparing them."""
    copy = Symbol(right.owner, right.name, right.rank, right.ordered, "another label")
    assert (left == copy) == (left.key == copy.key) == OPERATORS[Op.EQ].apply(left, copy)
    assert OPERATORS[Op.NE].apply(left, copy) == (left.key != copy.key)


@given(st.sampled_from(GRADES), st.sampled_from(GRADES))
def test_grade_order_is_the_reversed_order_of_ranks(left: Symbol, right: Symbol) -> None:
    """`x >= good` is `good.rank >= x.rank`: a better grade has a smaller rank."""
    for op in (Op.GRADE_LT, Op.GRADE_LE, Op.GRADE_GT, Op.GRADE_GE):
        definition = OPERATORS[op]
        assert definition.native is not None and definition.native_on is NativeOn.RANKS
        assert definition.apply(left, right) == PYTHON[definition.native](right.rank, left.rank)


@given(
    st.one_of(
        st.tuples(st.sampled_from(MEMBERS), st.lists(st.sampled_from(MEMBERS), max_size=4).map(tuple)),
        st.tuples(st.text(max_size=2), st.lists(st.text(max_size=2), max_size=4).map(tuple)),
        st.tuples(st.integers(0, 5), st.lists(st.integers(0, 5), max_size=4).map(tuple)),
    )
)
def test_membership_in_known_items_is_pythons(case: tuple[Any, tuple[Any, ...]]) -> None:
    """`in` and `not in` over known items are Python's `in` (for symbols: their keys in the items' keys)."""
    item, items = case
    assert OPERATORS[Op.IN].apply(item, items) == (item in items)
    assert OPERATORS[Op.NOT_IN].apply(item, items) == (item not in items)
    if isinstance(item, Symbol):
        assert OPERATORS[Op.IN].apply(item, items) == (item.key in {v.key for v in items})


@given(st.lists(st.sampled_from(MEMBERS), max_size=5).map(tuple), st.booleans())
def test_unary_natives_agree(items: tuple[Symbol, ...], flag: bool) -> None:
    """`not`, `is missing`, `is present`, `count of`, `is empty` on known values are the Python forms."""
    assert OPERATORS[Op.NOT].apply(flag) is (not flag)
    assert OPERATORS[Op.COUNT].apply(items) == len(items)
    assert OPERATORS[Op.IS_EMPTY].apply(items) == (len(items) == 0)
    assert OPERATORS[Op.IS_MISSING].apply(items) is False
    assert OPERATORS[Op.IS_PRESENT].apply(Unknown(frozenset({"/x"}))) is False


@given(st.lists(st.sampled_from(MEMBERS), max_size=8).map(tuple), st.sampled_from(MEMBERS))
def test_counting_by_rank_is_counting_equal_members(items: tuple[Symbol, ...], member: Symbol) -> None:
    """For members of one set ranked 0, 1, 2, ...: the count at a member's rank is `count of items rated` it."""
    assert count_by_rank(items, len(MEMBERS))[member.rank] == OPERATORS[Op.COUNT_RATED].apply(items, member)


@given(st.one_of(st.booleans(), unknowns), st.one_of(st.booleans(), unknowns))
def test_lazy_operators_short_circuit_only_where_the_left_is_the_answer(left: Any, right: Any) -> None:
    """Where `decides_alone`, the answer is the left operand whatever the right; else the identity gives the right."""
    for op in (Op.AND, Op.OR, Op.IF_MISSING):
        definition = OPERATORS[op]
        if decides_alone(definition, left):
            assert definition.apply(left, right) == left
        elif type(left) is not Unknown and definition.identity is not None:
            assert left == definition.identity
            assert definition.apply(left, right) == right
        elif definition.short_circuit is ShortCircuit.WHEN_KNOWN:
            assert definition.apply(left, right) == right


@given(st.sampled_from([op for op in Op if OPERATORS[op].unknown is Unknowns.STRICT and OPERATORS[op].arity == 2]))
def test_a_strict_operator_on_an_unknown_is_unknown_with_every_pointer(op: Op) -> None:
    """`evaluate` of a strict operator is unknown when any operand is, naming every missing pointer."""
    result = OPERATORS[op].evaluate(Unknown(frozenset({"/a"})), Unknown(frozenset({"/b"})))
    assert result == Unknown(frozenset({"/a", "/b"}))


def test_integers_beyond_the_bound_are_an_evaluation_error_on_every_operator() -> None:
    """`+`, `-`, `*`, `sum of` and decimal arithmetic refuse a number past the bound instead of making it."""
    big = 1 << MAX_INTEGER_BITS
    for op, operands in (
        (Op.ADD, (big, big)),
        (Op.SUB, (-big, big)),
        (Op.MUL, (10**1600, 10**1600)),
        (Op.MUL, (big, 2)),
        (Op.ADD, (big * 2, Decimal("0.5"))),
        (Op.DIV, (big * 2, 3)),
    ):
        with pytest.raises(EvaluationError, match="too large"):
            OPERATORS[op].evaluate(*operands)
    with pytest.raises(EvaluationError, match="too large"):
        OPERATORS[Op.SUM].evaluate((big, big))


def test_decimal_overflow_is_an_evaluation_error_not_a_crash() -> None:
    """A product past the decimal context's exponent bound is the clear error the rule reports."""
    with pytest.raises(EvaluationError, match="arithmetic failed"):
        OPERATORS[Op.MUL].evaluate(Decimal("1e999999"), Decimal("1e999999"))


def test_division_by_zero_has_its_own_code() -> None:
    with pytest.raises(EvaluationError) as caught:
        OPERATORS[Op.DIV].evaluate(1, 0)
    assert caught.value.code == "eval.division-by-zero"


@given(st.lists(numbers, min_size=1, max_size=6))
def test_average_is_the_exact_sum_over_the_count(values: list[Any]) -> None:
    """`average of` is the sum divided by the number of items, in the decimal context."""
    expected = DECIMAL_CONTEXT.divide(sum(Decimal(v) for v in values), Decimal(len(values)))
    assert OPERATORS[Op.AVERAGE].evaluate(tuple(values)) == expected


def test_average_of_nothing_and_of_unknown_items() -> None:
    """`average of` an empty list is an error; a list with an unknown item is unknown."""
    with pytest.raises(EvaluationError, match="empty list"):
        OPERATORS[Op.AVERAGE].evaluate(())
    assert OPERATORS[Op.AVERAGE].evaluate((1, Unknown(frozenset({"/x"})))) == Unknown(frozenset({"/x"}))


def test_the_type_rules_of_the_aggregates() -> None:
    """Numbers average to a decimal; grades do not average; an empty list literal has no average."""
    assert aggregate_type(Op.AVERAGE, INTEGER) == DECIMAL
    assert aggregate_type(Op.AVERAGE, DECIMAL) == DECIMAL
    assert isinstance(aggregate_type(Op.AVERAGE, Choice((SCALE,))), Mismatch)
    assert isinstance(aggregate_type(Op.AVERAGE, TEXT), Mismatch)
    assert aggregate_type(Op.SUM, ListOf(INTEGER).element) == INTEGER


def test_worst_of_decides_once_the_worst_grade_is_known() -> None:
    """`worst of` a list holding the scale's worst grade is that grade even when another item is unknown."""
    worst = OPERATORS[Op.WORST]
    assert worst.parameter is not None
    limit = worst.parameter(Choice((SCALE,)))
    missing = Unknown(frozenset({"/x"}))
    assert worst.evaluate((GRADES[1], missing, GRADES[3]), limit) == GRADES[3]
    assert worst.evaluate((GRADES[1], missing), limit) == missing
    assert OPERATORS[Op.BEST].evaluate((GRADES[2], missing, GRADES[0]), 0) == GRADES[0]


def test_durations_compare_only_in_the_same_unit() -> None:
    """Months and days have no exact common measure: comparing them is an evaluation error, not a guess."""
    assert OPERATORS[Op.LT].apply(Duration(2, "weeks"), Duration(15, "days")) is True
    with pytest.raises(EvaluationError):
        OPERATORS[Op.LT].apply(Duration(1, "months"), Duration(31, "days"))
    with pytest.raises(EvaluationError):
        OPERATORS[Op.MAX].evaluate((Duration(1, "months"), Duration(31, "days")))


def test_date_arithmetic_outside_the_calendar_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="years 1 to 9999"):
        OPERATORS[Op.DATE_ADD].apply(datetime.date(9999, 12, 1), Duration(1, "years"))


@given(st.integers(0, 6), st.integers(0, 4), st.integers(-2, 10), st.sampled_from(list(PYTHON)))
def test_a_count_with_unknown_items_decides_exactly_when_every_value_it_may_take_agrees(
    low: int, width: int, other: int, native: Native
) -> None:
    """Comparing a count known between `low` and `low + width`: decided iff every count in the range agrees."""
    count = Unknown(frozenset({"/x"}), low, low + width)
    op = next(op for op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE) if OPERATORS[op].native is native)
    answers = {PYTHON[native](value, other) for value in range(low, low + width + 1)}
    result = OPERATORS[op].evaluate(count, other)
    if len(answers) == 1:
        assert result is next(iter(answers))
    else:
        assert type(result) is Unknown and result.missing == {"/x"}
    flipped = OPERATORS[op].evaluate(other, count)
    expected = {PYTHON[native](other, value) for value in range(low, low + width + 1)}
    assert flipped is next(iter(expected)) if len(expected) == 1 else type(flipped) is Unknown


@given(st.integers(0, 5), st.integers(1, 3), st.integers(0, 5), st.integers(1, 3))
def test_sums_and_differences_of_counts_keep_exact_bounds(a: int, wa: int, b: int, wb: int) -> None:
    """The bounds of `x + y` and `x - y` are exactly the least and greatest values they can take."""
    x = Unknown(frozenset({"/a"}), a, a + wa)
    y = Unknown(frozenset({"/b"}), b, b + wb)
    total = OPERATORS[Op.ADD].evaluate(x, y)
    assert (total.low, total.high, total.missing) == (a + b, a + wa + b + wb, {"/a", "/b"})
    difference = OPERATORS[Op.SUB].evaluate(x, y)
    assert (difference.low, difference.high) == (a - b - wb, a + wa - b)
    assert OPERATORS[Op.ADD].evaluate(x, 3) == Unknown(frozenset({"/a"}), a + 3, a + wa + 3)


def test_counting_over_unknown_items_gives_bounds() -> None:
    """`count of xs rated g` with one unknown item is the known count to one more."""
    missing = Unknown(frozenset({"/q/2"}))
    counted = OPERATORS[Op.COUNT_RATED].evaluate((GRADES[3], GRADES[3], missing, GRADES[1]), GRADES[3])
    assert counted == Unknown(frozenset({"/q/2"}), 2, 3)
    assert OPERATORS[Op.COUNT_RATED].evaluate((GRADES[3], GRADES[1]), GRADES[3]) == 1


# ---------------------------------------------------------------- rounding, between, tables


@pytest.mark.parametrize(
    ("value", "places", "half_up", "half_even"),
    [
        (Decimal("62.5"), 0, 63, 62),
        (Decimal("63.5"), 0, 64, 64),
        (Decimal("68.75"), 1, Decimal("68.8"), Decimal("68.8")),
        (Decimal("68.65"), 1, Decimal("68.7"), Decimal("68.6")),
        (Decimal("-2.5"), 0, -3, -2),
        (Decimal("2.5"), 2, Decimal("2.50"), Decimal("2.50")),
        (7, 0, 7, 7),
        (7, 1, Decimal("7.0"), Decimal("7.0")),
    ],
)
def test_round_half_up_and_half_even(value: Any, places: int, half_up: Any, half_even: Any) -> None:
    """Half up rounds exact halves away from zero, half even to the even digit; whole numbers come back as integers."""
    up = OPERATORS[Op.ROUND_HALF_UP].evaluate(value, places)
    even = OPERATORS[Op.ROUND_HALF_EVEN].evaluate(value, places)
    assert (up, even) == (half_up, half_even)
    assert type(up) is type(half_up) and type(even) is type(half_even)
    if places:
        assert str(up).split(".")[1] == "0" * places or len(str(up).split(".")[1]) == places


def test_round_is_unknown_on_unknown_and_typed_by_places() -> None:
    """Rounding an unknown is unknown; no places gives an integer, places a decimal, too many places a mismatch."""
    missing = Unknown(frozenset({"/x"}))
    assert OPERATORS[Op.ROUND_HALF_UP].evaluate(missing, 0) == missing
    assert round_type(DECIMAL, None) == INTEGER
    assert round_type(DECIMAL, 2) == DECIMAL
    assert isinstance(round_type(DECIMAL, MAX_DECIMAL_PLACES + 1), Mismatch)
    assert isinstance(round_type(TEXT, None), Mismatch)


def test_round_of_a_huge_decimal_is_an_evaluation_error() -> None:
    """A decimal too large for its places fails as an evaluation error, never a crash."""
    with pytest.raises(EvaluationError):
        OPERATORS[Op.ROUND_HALF_UP].evaluate(Decimal("1e40"), MAX_DECIMAL_PLACES)


def test_between_includes_both_ends_and_uses_count_bounds() -> None:
    """`between` holds at both ends; a count known to be 2 to 3 is between 2 and 3 but not between 0 and 1."""
    between = OPERATORS[Op.BETWEEN]
    assert between.evaluate(63, 63, 87) is True
    assert between.evaluate(Decimal("87.0"), 63, 87) is True
    assert between.evaluate(88, 63, 87) is False
    assert between.evaluate(datetime.date(2024, 1, 1), datetime.date(2023, 11, 21), datetime.date(2024, 12, 1))
    count = Unknown(frozenset({"/items/2"}), 2, 3)
    assert between.evaluate(count, 2, 3) is True
    assert between.evaluate(count, 0, 1) is False
    assert type(between.evaluate(count, 3, 4)) is Unknown
    assert type(between.evaluate(Unknown(frozenset({"/x"})), 1, 4)) is Unknown


def test_between_type_rule() -> None:
    """Numbers, dates and durations can be `between`; grades and texts cannot, with a hint for grades."""
    assert isinstance(resolve_between(INTEGER, DECIMAL, INTEGER), Resolved)
    scale = Choice((SymbolSet("scale", "t.rating", "rating", (Symbol("t.rating", "good", 0, True, None),)),))
    refused = resolve_between(scale, scale, scale)
    assert isinstance(refused, Mismatch) and refused.hint is not None
    assert isinstance(resolve_between(TEXT, TEXT, TEXT), Mismatch)


def test_items_are_found_by_value_from_one_index() -> None:
    """A for-each decision's items are indexed once; lookups find the first equal item, unhashable ones included."""
    from framework_dsl.engine.runtime import item_index

    indexed = item_index((3, 4, 3))
    assert indexed[0] == {3: 0, 4: 1} and indexed[1] == ()
    mixed = item_index(([1], 2, [1]))
    assert mixed[0] == {2: 1} and mixed[1] == (([1], 0), ([1], 2))
    missing = Unknown(frozenset({"/xs"}))
    assert item_index(missing) == missing


@given(st.lists(st.integers(0, 4), max_size=4), st.lists(st.integers(0, 4), max_size=4))
def test_union_is_the_left_list_then_the_right_ones_it_lacks(left: list[int], right: list[int]) -> None:
    """`a union b`: a's items, then b's items that a does not hold, in order (b's own repeats kept), empty sides too."""
    union = OPERATORS[Op.UNION].apply
    assert union(tuple(left), tuple(right)) == tuple(left) + tuple(v for v in right if v not in left)

"""Runtime values: Kleene's three-valued logic, exact decimals, date arithmetic."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework_dsl.result import to_json_value
from framework_dsl.typesystem import Duration
from framework_dsl.values import (
    DECIMAL_CONTEXT,
    Unknown,
    add_duration,
    display_value,
    kleene_and,
    kleene_not,
    kleene_or,
    parse_provision,
)

U = Unknown(frozenset({"/a"}))
V = Unknown(frozenset({"/b"}))
TRUTH = [True, False, U]


def _show(value: object) -> str:
    return "U" if isinstance(value, Unknown) else str(value)


# Kleene's strong three-valued tables, written out in full.
AND_TABLE = {
    (True, True): "True",
    (True, False): "False",
    (True, U): "U",
    (False, True): "False",
    (False, False): "False",
    (False, U): "False",
    (U, True): "U",
    (U, False): "False",
    (U, U): "U",
}
OR_TABLE = {
    (True, True): "True",
    (True, False): "True",
    (True, U): "True",
    (False, True): "True",
    (False, False): "False",
    (False, U): "U",
    (U, True): "True",
    (U, False): "U",
    (U, U): "U",
}


@pytest.mark.parametrize(("left", "right"), list(AND_TABLE), ids=_show)
def test_kleene_and_table(left: object, right: object) -> None:
    """`and` follows Kleene's table: false wins, then unknown, then true."""
    assert _show(kleene_and(left, right)) == AND_TABLE[(left, right)]


@pytest.mark.parametrize(("left", "right"), list(OR_TABLE), ids=_show)
def test_kleene_or_table(left: object, right: object) -> None:
    """`or` follows Kleene's table: true wins, then unknown, then false."""
    assert _show(kleene_or(left, right)) == OR_TABLE[(left, right)]


def test_kleene_not() -> None:
    """`not` swaps true and false and keeps unknown unknown."""
    assert kleene_not(True) is False
    assert kleene_not(False) is True
    assert kleene_not(U) == U


def test_unknowns_merge_their_missing_pointers() -> None:
    """Combining two unknowns keeps every missing pointer, so `missing` lists them all."""
    result = kleene_and(U, V)
    assert isinstance(result, Unknown)
    assert result.missing == {"/a", "/b"}


truth = st.sampled_from(TRUTH)


@given(truth, truth)
def test_de_morgan(a: object, b: object) -> None:
    """De Morgan's laws hold in the three-valued logic."""
    assert _show(kleene_not(kleene_and(a, b))) == _show(kleene_or(kleene_not(a), kleene_not(b)))
    assert _show(kleene_not(kleene_or(a, b))) == _show(kleene_and(kleene_not(a), kleene_not(b)))


@given(truth, truth)
def test_and_or_commute(a: object, b: object) -> None:
    """`and` and `or` give the same truth value whichever side comes first."""
    assert _show(kleene_and(a, b)) == _show(kleene_and(b, a))
    assert _show(kleene_or(a, b)) == _show(kleene_or(b, a))


def test_decimals_are_exact() -> None:
    """0.1 + 0.2 is exactly 0.3: no binary floating point anywhere."""
    assert DECIMAL_CONTEXT.add(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9))
def test_decimal_addition_is_reversible(value: Decimal) -> None:
    """Adding then subtracting a decimal gives back exactly the original value."""
    step = Decimal("0.000001")
    assert DECIMAL_CONTEXT.subtract(DECIMAL_CONTEXT.add(value, step), step) == value


@pytest.mark.parametrize(
    ("start", "duration", "sign", "expected"),
    [
        ("2019-03-15", Duration(3, "years"), 1, "2022-03-15"),
        ("2022-03-15", Duration(6, "months"), -1, "2021-09-15"),
        ("2020-01-31", Duration(1, "months"), 1, "2020-02-29"),
        ("2021-01-31", Duration(1, "months"), 1, "2021-02-28"),
        ("2020-02-29", Duration(1, "years"), 1, "2021-02-28"),
        ("2019-12-25", Duration(2, "weeks"), 1, "2020-01-08"),
        ("2019-03-01", Duration(90, "days"), 1, "2019-05-30"),
    ],
)
def test_date_plus_duration(start: str, duration: Duration, sign: int, expected: str) -> None:
    """Dates move by calendar units; a day past the month's end is clamped to its last day."""
    moved = add_duration(datetime.date.fromisoformat(start), duration, sign)
    assert moved == datetime.date.fromisoformat(expected)


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)), st.integers(0, 400))
def test_days_are_reversible(date: datetime.date, days: int) -> None:
    """Adding then subtracting the same number of days returns the same date."""
    duration = Duration(days, "days")
    assert add_duration(add_duration(date, duration), duration, -1) == date


@given(st.dates() | st.datetimes())
def test_reasons_and_results_show_a_date_as_its_iso_text(value: datetime.date) -> None:
    """A date (the kept text of one seen before too) is its `isoformat`; a date and time keeps its time."""
    assert display_value(value) == value.isoformat()
    assert display_value(value) == value.isoformat()  # the second time, from the memo
    assert to_json_value(value) == value.isoformat()


def test_display_values_for_reasons() -> None:
    """Reasons show labels, ISO dates, exact decimals, yes/no, and `none` for an empty list."""
    assert display_value(Decimal("1.50")) == "1.50"
    assert display_value(datetime.date(2019, 3, 1)) == "2019-03-01"
    assert display_value(()) == "none"
    assert display_value(True) == "yes"
    assert display_value(Duration(1, "years")) == "1 year"
    assert display_value(parse_provision("20(2)(a)", "/breaches/0/regulation")) == "20(2)(a)"
    assert display_value((parse_provision("16(3)"), datetime.date(2019, 3, 1))) == "16(3), 2019-03-01"


def test_unknown_cannot_be_subclassed() -> None:
    """Compiled code recognises an unknown by its exact type; a subclass would be taken for a known value."""
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("Partly", (Unknown,), {})

"""Runtime values: unknowns from missing evidence, Kleene logic, date arithmetic.

An `Unknown` is the value of any expression that read absent evidence; it carries the
JSON pointers of what was missing, so an undetermined outcome can say what to supply.
`and`, `or` and `not` follow Kleene's strong three-valued logic; every other operation
is unknown when an operand is, except where the answer cannot depend on it (`worst
of` a list that already holds the worst grade). Decimals use an explicit context, not
the thread's global one.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import msgspec

from framework_dsl.typesystem import Duration, Symbol

# Exact for every sum, difference and product of evidence-sized numbers; a quotient
# is rounded to 34 significant digits (IEEE 754 decimal128), half-even.
DECIMAL_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)


class EvaluationError(Exception):
    """A rule that cannot be evaluated on this evidence (division by zero, a number too large, ...)."""

    def __init__(self, message: str, code: str = "eval.error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Unknown(msgspec.Struct, frozen=True):
    """A value that depends on absent evidence, with the pointers of what is absent.

    A count with unknown items is an unknown whole number known to lie between `low` and
    `high` (both included; `high` None for no upper bound): comparisons and sums of counts
    decide from those bounds when they can (`semantics.operators`, `Unknowns.BOUNDS`).

    A msgspec `Struct` (frozen, equal when its fields are, as an attrs class would be)
    because evaluation makes many: one is built in 50 ns, against 260 for attrs' `__init__`.
    """

    missing: frozenset[str]
    low: int | None = None
    high: int | None = None

    @property
    def bounded(self) -> bool:
        """Whether this is a whole number known to lie within bounds."""
        return self.low is not None

    def __init_subclass__(cls, **kwargs: object) -> None:
        # Compiled code tests `type(value) is Unknown`, which a subclass would slip past.
        raise TypeError("Unknown cannot be subclassed")


def merge_unknown(*values: Any) -> Unknown:
    """One Unknown holding every missing pointer of the Unknowns among `values`."""
    missing: set[str] = set()
    for value in values:
        if isinstance(value, Unknown):
            missing |= value.missing
    return Unknown(frozenset(missing))


def first_unknown(values: Iterable[Any]) -> Unknown | None:
    """The merged Unknown of the unknown items of `values`, or None if all are known."""
    unknown = [v for v in values if isinstance(v, Unknown)]
    return merge_unknown(*unknown) if unknown else None


def kleene_not(value: Any) -> Any:
    """not true = false, not false = true, not unknown = unknown."""
    if isinstance(value, Unknown):
        return value
    return not value


def kleene_and(left: Any, right: Any) -> Any:
    """false wins; otherwise unknown wins; otherwise true."""
    if left is False or right is False:
        return False
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return merge_unknown(left, right)
    return True


def kleene_or(left: Any, right: Any) -> Any:
    """true wins; otherwise unknown wins; otherwise false."""
    if left is True or right is True:
        return True
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return merge_unknown(left, right)
    return False


def add_duration(date: datetime.date, duration: Duration, sign: int = 1) -> datetime.date:
    """`date ± duration`. Months and years keep the day, clamped to the month's end."""
    amount = duration.amount * sign
    if duration.unit == "days":
        return date + datetime.timedelta(days=amount)
    if duration.unit == "weeks":
        return date + datetime.timedelta(weeks=amount)
    months = amount * (12 if duration.unit == "years" else 1)
    index = date.year * 12 + (date.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(date.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def duration_key(duration: Duration) -> tuple[str, int]:
    """A comparable key: days and weeks in days, months and years in months."""
    if duration.unit in ("days", "weeks"):
        return ("days", duration.amount * (7 if duration.unit == "weeks" else 1))
    return ("months", duration.amount * (12 if duration.unit == "years" else 1))


@attrs.frozen(slots=True)
class RecordShown:
    """What a compiled trace records for an evidence record it did not build: where it is.

    A trace shows a record only by its pointer ("(the record at /key_questions)"), so the
    tracing code records this constant instead of making the `RecordValue`.
    """

    pointer: str


# A date's ISO text (`date.isoformat`, which writes it through `PyUnicode_FromFormat`:
# about 3,400 machine instructions, a third of writing a date-heavy reason). The same few
# dates come back in result after result (the evaluation date, inspection dates), so the
# texts are kept: a bounded memo of a pure function, for plain dates only (a `datetime`
# is a `date` whose `isoformat` says more).
iso_date: Callable[[datetime.date], str] = functools.lru_cache(maxsize=4096)(datetime.date.isoformat)


def display_value(value: Any) -> str:
    """A value as a person reads it in a reason: labels, ISO dates, exact decimals."""
    kind = type(value)  # the common cases first, by exact type
    if kind is Symbol:
        return value.display  # type: ignore[no-any-return]
    if kind is bool:
        return "yes" if value else "no"
    if kind is int or kind is str:
        return str(value)
    if kind is tuple:  # a list value, as reasons show lists of key questions or regulations
        return ", ".join([display_value(v) for v in value]) if value else "none"
    if kind is datetime.date:
        return iso_date(value)
    if kind is Provision:
        return value.text  # type: ignore[no-any-return]
    if isinstance(value, Unknown):
        if value.low is None:
            return "unknown"
        if value.high is None:
            return f"at least {value.low}"
        return f"{value.low} to {value.high}"
    if isinstance(value, Symbol):
        return value.display
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, decimal.Decimal):
        # Plain digits for everyday numbers; scientific notation past 40 digits, so a
        # number like 1e999999 cannot fill a reason with a million zeros.
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and abs(exponent) + len(value.as_tuple().digits) > 40:
            return str(value)
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return value.display()
    if kind is RecordShown or (hasattr(value, "raw") and hasattr(value, "pointer")):  # an evidence record or map
        return f"(the record at {value.pointer or '/'})"
    if isinstance(value, tuple | list):
        return ", ".join(display_value(v) for v in value) if value else "none"
    return str(value)


# ---------------------------------------------------------------- statutory provisions

# A provision as the regulations write it: a regulation number (with any capital letters,
# `20A`), then sub-paragraphs in brackets, each a number (with any capital letters) or
# lower-case letters (`(b)`, `(ii)`): `16(3)`, `20(2)(a)`, `9A(1)`, `12(2)(g)(ii)`.
PROVISION_PATTERN = r"^[0-9]+[A-Z]*(\((?:[0-9]+[A-Z]*|[a-z]+)\))*$"
_PROVISION = re.compile(PROVISION_PATTERN)
_PROVISION_PART = re.compile(r"\(([^()]*)\)")


@attrs.frozen
class Provision:
    """A reference to a statutory provision: `16(3)(b)` is regulation 16, paragraph 3, sub-paragraph b.

    Equal when written alike. `pointer` is where in the evidence it was given (None for
    one written in the rules), so an answer the evidence is too imprecise for can say
    which value to make more precise.
    """

    text: str
    parts: tuple[str, ...] = attrs.field(eq=False, repr=False)
    pointer: str | None = attrs.field(default=None, eq=False, repr=False)

    def __str__(self) -> str:
        return self.text


# The longest provision accepted: far beyond `12(2)(g)(ii)`, and stated in the schema.
MAX_PROVISION_LENGTH = 100


def parse_provision(text: str, pointer: str | None = None) -> Provision | None:
    """The provision `text` names, or None when it is not written as the regulations write one."""
    if len(text) > MAX_PROVISION_LENGTH or not _PROVISION.fullmatch(text):
        return None
    head = text.split("(", 1)[0]
    return Provision(text, (head, *_PROVISION_PART.findall(text)), pointer)


def provision_within(provision: Provision, scope: Provision) -> bool | Unknown:
    """Whether `provision` is `scope` or one of its sub-paragraphs, at any depth.

    True for `16(3)(b)` within `16(3)`; false for `17(1)`; unknown when `provision` is
    less precise than `scope` (`20(2)` may or may not be `20(2)(a)`), pointing at it.
    """
    mine, theirs = provision.parts, scope.parts
    if mine[: len(theirs)] == theirs:
        return True
    if theirs[: len(mine)] == mine:
        return Unknown(frozenset(() if provision.pointer is None else (provision.pointer,)))
    return False

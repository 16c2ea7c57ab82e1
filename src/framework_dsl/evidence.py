"""The evidence stage: JSON text or data -> validated runtime values, or every problem.

`parse_json` reads evidence text strictly (no NaN, no duplicate keys, decimals kept
exact). `validate` walks the data against the framework's evidence schema in one pass,
converting as it goes (grades and members to `Symbol`, dates to `date`, numbers to
`int`/`Decimal`) and collecting a problem for every mismatch, each with its JSON
pointer, what was expected, what was found, and a suggestion for near misses.
Unknown fields are problems, not silently ignored.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import sys
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from framework_dsl.diagnostics import Diagnostic, did_you_mean
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    DURATION,
    INTEGER,
    PROVISION,
    TEXT,
    AnyType,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Type,
)
from framework_dsl.values import parse_provision

MISSING = None  # an absent or null optional field, in RecordValue.fields
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The most digits an evidence integer may have: Python's limit on reading one from JSON
# text (`sys.get_int_max_str_digits`), applied also to integers written with a fraction
# or an exponent (`2.0`, `1e3`).
MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300


def whole_number(value: Any) -> int | None:
    """An integer written with a fraction or exponent (`2.0`, `1E+2`) as that integer; else None.

    JSON does not tell `2` from `2.0`, JSON Schema's `integer` accepts both, and many
    serialisers write a whole float with `.0`, so an integer field takes either. A number
    with a non-zero fraction, or of more than `MAX_INTEGER_DIGITS` digits, is not one.
    """
    if type(value) is not Decimal or not value.is_finite() or value != value.to_integral_value():
        return None
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        return None
    return int(value)


@attrs.frozen
class Limits:
    """Bounds on one evidence document. Beyond them, the document is refused."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_items: int = 100_000
    max_text: int = 100_000


DEFAULT_LIMITS = Limits()


class PointedList(tuple):  # type: ignore[type-arg]
    """A list read from evidence: a tuple that remembers its JSON pointer."""

    pointer: str

    def __new__(cls, items: Any, pointer: str) -> PointedList:
        self = super().__new__(cls, items)
        self.pointer = pointer
        return self


# The two values validation makes for every evidence object are msgspec `Struct`s rather
# than attrs classes: frozen, compared by identity, as attrs would make them, but built in
# one C call (50 ns against an attrs `__init__`'s 500, or 210 for three slot setters): a
# cqc document makes six or seven of them.


class RecordValue(msgspec.Struct, frozen=True, eq=False):
    """A validated evidence object: converted fields (None when absent) and the raw JSON."""

    pointer: str
    fields: dict[str, Any]
    raw: dict[str, Any]


class MapValue(msgspec.Struct, frozen=True, eq=False):
    """A validated `map of K to V` object: converted entries by key, and the raw JSON."""

    pointer: str
    entries: dict[str, Any]
    raw: dict[str, Any]


class EvidenceTooLarge(Exception):
    """The document is beyond a configured limit."""


def escape_pointer(key: str) -> str:
    """One JSON pointer segment (RFC 6901)."""
    if "~" not in key and "/" not in key:
        return key
    return key.replace("~", "~0").replace("/", "~1")


def json_type_name(value: Any) -> str:
    """The JSON type of `value`, as a person says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | float):
        number = str(value)
        return f"the number {number if len(number) <= 40 else number[:20] + '…' + number[-10:]}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f'the text "{shown}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_json(text: str | bytes, document: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, list[Diagnostic]]:
    """Parse evidence JSON strictly. Returns (data, []) or (None, [the problem]).

    A document the C decoder is sure to read as the exact reader does (`read_fast`) is
    read by it; every other one, and every problem, by `parse_exact`.
    """
    size = len(text)
    if isinstance(text, str) and size * 4 > limits.max_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        return None, [
            Diagnostic(
                code="evidence.too-large",
                message=f"the evidence is {size} bytes, above the limit of {limits.max_bytes}",
                document=document,
                pointer="",
                hint="raise the limit with --max-bytes if the document is genuine",
            )
        ]
    fast = read_fast(text)
    if fast is not NOT_FAST:
        return fast, []
    return parse_exact(text, document)


def parse_exact(text: str | bytes, document: str) -> tuple[Any, list[Diagnostic]]:
    """`parse_json` by the standard library's reader with hooks, after the size check.

    The reference: it words every problem. `parse_json` takes it whenever `read_fast`
    cannot vouch for a document, and the tests check the two read every document alike.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, [
                Diagnostic(
                    code="evidence.invalid-json",
                    message=f"the evidence is not UTF-8 text (byte {error.start} is not valid)",
                    document=document,
                    pointer="",
                    hint="save the evidence as UTF-8 JSON",
                )
            ]
    text = text.removeprefix("\ufeff")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise _DuplicateKey(key)
                seen.add(key)
        return result

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    unreadable: list[_UnreadableNumber] = []

    def parse_float(number: str) -> Any:
        try:
            return Decimal(number)
        except (decimal.InvalidOperation, ValueError):  # an exponent past what a decimal can hold
            unreadable.append(_UnreadableNumber(number, "exponent"))
            return unreadable[-1]

    def parse_int(number: str) -> Any:
        if len(number.lstrip("-")) > MAX_INTEGER_DIGITS:
            unreadable.append(_UnreadableNumber(number, "digits"))
            return unreadable[-1]
        return int(number)

    try:
        data = json.loads(
            text,
            parse_float=parse_float,
            parse_int=parse_int,
            object_pairs_hook=no_duplicates,
            parse_constant=no_constant,
        )
    except _DuplicateKey as error:
        return None, [
            Diagnostic(
                code="evidence.invalid-json",
                message=f"the key `{error.key}` appears twice in one object",
                document=document,
                pointer="",
                hint="JSON objects hold each key once; which value is meant cannot be guessed",
            )
        ]
    except json.JSONDecodeError as error:
        return None, [
            Diagnostic(
                code="evidence.invalid-json",
                message=f"the evidence is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
                document=document,
                pointer="",
                hint="check for a missing comma, quote or bracket near that position"
                if text.strip()
                else "the file is empty",
            )
        ]
    except (ValueError, RecursionError) as error:
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        return None, [
            Diagnostic(
                code="evidence.invalid-json" if not isinstance(error, RecursionError) else "evidence.too-large",
                message=f"the evidence cannot be read: {reason}",
                document=document,
                pointer="",
            )
        ]
    if unreadable:
        return None, [_number_problem(number, where, document) for number, where in _unreadable_numbers(data)]
    if _SURROGATE_ESCAPE.search(text):
        bad = _lone_surrogate(data, "")
        if bad is not None:
            return None, [
                Diagnostic(
                    code="evidence.invalid-json",
                    message="a text holds a lone surrogate escape (such as \\ud800), which is not a character",
                    document=document,
                    pointer=bad,
                    hint="surrogate escapes must come in high-low pairs that encode one character",
                )
            ]
    return data, []


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


# The fast reader: msgspec's C decoder, with every JSON number that has a fraction or an
# exponent read as an exact `Decimal`, as `parse_exact` reads it. It refuses NaN and
# Infinity, lone surrogate escapes, invalid UTF-8, integers of more digits than Python
# reads and exponents no decimal holds: each of those makes it fail, and the exact
# reader words the problem. What it does not do is refuse a key written twice in one
# object (the last one wins), so `read_fast` counts colons, one of which follows every
# member of every object outside any text:
# - a document with no backslash has no escape in any text, so its texts are written
#   back as they were read, and writing the decoded data again gives as many colons as
#   the document has, less one for every member a key written twice dropped;
# - otherwise the decoded objects' members are counted in Python (`_members`): as many
#   as the text has colons means no key twice. A colon inside a text makes the counts
#   differ and sends the document to the exact reader; one with a colon that no quote
#   comes just before (a time, an address, a key spaced from its colon) goes there
#   before it is decoded, so that it does not pay for both readers.
_FAST_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_COLON_COUNTER = msgspec.json.Encoder()  # writes the decoded data again, to count its colons
# Nesting the fast reader vouches for. Deeper documents (the evidence limits allow far
# less) take the exact reader, which alone says when JSON is nested past what Python reads.
_FAST_DEPTH = 200
NOT_FAST = object()  # `read_fast`'s answer when the exact reader must read the document
_BOM = "\ufeff".encode()


def read_fast(text: str | bytes) -> Any:
    """`text` (JSON; a byte order mark is skipped) read as `parse_exact` reads it, by the
    C decoder; `NOT_FAST` unless the document is sure to read the same both ways."""
    body: str | bytes
    # Whether every text is written back as read (no escape in any), and whether the
    # document surely nests no deeper than `_FAST_DEPTH` (it has no more brackets).
    # The colons that follow a quote are counted only for a document that is not plain.
    if type(text) is bytes:
        body = text.removeprefix(_BOM)
        colons = body.count(b":")
        plain = b"\\" not in body and body.count(b"{") + body.count(b"[") <= _FAST_DEPTH
        if not plain and colons != body.count(b'":'):  # a colon inside a text, most likely: the exact reader's
            return NOT_FAST
    elif type(text) is str:
        body = text.removeprefix("\ufeff")
        colons = body.count(":")
        plain = "\\" not in body and body.count("{") + body.count("[") <= _FAST_DEPTH
        if not plain and colons != body.count('":'):
            return NOT_FAST
    else:
        return NOT_FAST
    try:
        data = _FAST_DECODER.decode(body)
        kind = type(data)
        if kind is not dict and kind is not list:
            found = data.count(":") if kind is str else 0
        elif plain:
            found = _COLON_COUNTER.encode(data).count(b":")
        else:
            found = _members(data, 1)
    except (msgspec.MsgspecError, ArithmeticError, ValueError, RecursionError, UnicodeError, TypeError):
        return NOT_FAST
    return data if found == colons else NOT_FAST


def _members(value: dict[str, Any] | list[Any], depth: int) -> int:
    """How many members the objects in `value` hold, at every level; -1 past `_FAST_DEPTH`."""
    if depth > _FAST_DEPTH:
        return -1
    if type(value) is dict:
        total = len(value)
        children: Any = value.values()
    else:
        total = 0
        children = value
    for child in children:
        kind = type(child)
        if kind is dict or kind is list:
            inner = _members(child, depth + 1)
            if inner < 0:
                return -1
            total += inner
    return total


# The largest and smallest exponent a decimal can be read with (`decimal.MAX_EMAX`, and
# `decimal.MIN_ETINY` for the digits after the point).
MAX_DECIMAL_EXPONENT = decimal.MAX_EMAX


@attrs.frozen
class _UnreadableNumber:
    """A JSON number no Python number can hold, kept in place so its pointer can be found."""

    text: str
    why: str  # "digits" or "exponent"


def _unreadable_numbers(value: Any) -> list[tuple[_UnreadableNumber, str]]:
    """Every unreadable number in `value`, with its JSON pointer, in document order."""
    found: list[tuple[_UnreadableNumber, str]] = []
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _UnreadableNumber):
            found.append((item, where))
        elif isinstance(item, dict):
            stack.extend((child, f"{where}/{escape_pointer(key)}") for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((child, f"{where}/{index}") for index, child in reversed(list(enumerate(item))))
    return found


def _number_problem(number: _UnreadableNumber, pointer: str, document: str) -> Diagnostic:
    shown = number.text if len(number.text) <= 40 else number.text[:20] + "…" + number.text[-10:]
    if number.why == "digits":
        digits = len(number.text.lstrip("-"))
        message = f"this whole number has {digits} digits, above the limit of {MAX_INTEGER_DIGITS}"
        expected = f"a whole number of at most {MAX_INTEGER_DIGITS} digits"
    else:
        message = f"this number's exponent is beyond what a decimal can hold (±{MAX_DECIMAL_EXPONENT:,})"
        expected = "a number whose exponent a decimal can hold"
    return Diagnostic(
        code="evidence.too-large",
        message=message,
        document=document,
        pointer=pointer,
        expected=expected,
        found=f"the number {shown}",
        hint="no Python number holds it; check how the evidence was exported",
    )


def _lone_surrogate(value: Any, pointer: str) -> str | None:
    """The pointer of the first text (or key) that is not valid Unicode, if any."""
    stack = [(value, pointer)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    return where
                stack.append((child, f"{where}/{escape_pointer(key)}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}/{index}") for index, child in enumerate(item))
    return None


def parse_date(text: str) -> datetime.date | None:
    """A YYYY-MM-DD text as a date; None if it is not written so or is not a real date."""
    if len(text) != 10 or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def echo_set_in_order(raw: dict[str, Any], data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """The raw object, with set-of-symbols field `name` echoed in the set's own order.

    A set's order carries no meaning, so inputs echo it sorted as the set is. `data`
    (the evidence as given) is never changed: it is copied the first time it must be.
    """
    if isinstance(value, tuple):
        canonical = [symbol.name for symbol in value]
        if canonical != raw[name]:
            raw = dict(raw) if raw is data else raw
            raw[name] = canonical
    return raw


def free_form_depth(value: Any, limit: int) -> bool:
    """True when free-form data (a `subject`) nests no deeper than `limit` levels."""
    if type(value) is dict and limit >= 1:  # the common subject: one object of plain values
        for child in value.values():
            kind = type(child)
            if kind is dict or kind is list:
                break
        else:
            return True
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


def _clip(text: str, limit: int = 80) -> str:
    """`text`, or its start and end around an ellipsis when it is longer than `limit` characters."""
    return text if len(text) <= limit else text[: limit - 20] + "…" + text[-19:]


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def validate(
    data: Any, evidence: RecordType, document: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[RecordValue | None, list[Diagnostic]]:
    """Validate and convert one evidence document against the framework's schema."""
    validator = _Validator(document, limits)
    if not isinstance(data, dict):
        validator.problem(
            "evidence.not-an-object",
            "",
            "an evidence document is a JSON object",
            "a JSON object: {...}",
            json_type_name(data),
            hint="for many documents, put one per line in a .jsonl file" if isinstance(data, list) else None,
        )
        return None, validator.problems
    value = validator.value(data, evidence, "", 0)
    if validator.problems:
        return None, validator.finish()
    assert isinstance(value, RecordValue)
    return value, []


# At most this many problems are reported for one document (then one more says how many
# were left out), and at most this many of them look for a "did you mean" among the
# names: a document of a hundred thousand unknown keys costs a pass over its keys, not a
# fuzzy match and a diagnostic each.
MAX_PROBLEMS = 1000
MAX_HINTS = 100
MAX_HINTED_KEY = 200  # characters: longer keys are not near misses of a field's name


class _Validator:
    def __init__(self, document: str, limits: Limits) -> None:
        self.document = document
        self.limits = limits
        self.problems: list[Diagnostic] = []
        self.left_out = 0
        self.hints = 0

    def full(self) -> bool:
        """Whether no more problems are reported (each further one is only counted)."""
        if len(self.problems) >= MAX_PROBLEMS:
            self.left_out += 1
            return True
        return False

    def hint_for(self, key: str, names: Any) -> str | None:
        """`did you mean` for the first `MAX_HINTS` unknown names of the document only."""
        if self.hints >= MAX_HINTS or len(key) > MAX_HINTED_KEY:
            return None
        self.hints += 1
        return did_you_mean(key, names)

    def finish(self) -> list[Diagnostic]:
        """The problems, and a last one saying how many more were left out, if any."""
        if self.left_out:
            self.problems.append(
                Diagnostic(
                    code="evidence.too-large",
                    message=f"{self.left_out} more problems were left out: at most {MAX_PROBLEMS} are reported "
                    "for one document",
                    document=self.document,
                    pointer="",
                    expected=f"at most {MAX_PROBLEMS} problems",
                    found=f"{MAX_PROBLEMS + self.left_out} problems",
                    hint="fix the problems shown, then run again to see the rest",
                )
            )
        return self.problems

    def problem(
        self,
        code: str,
        pointer: str,
        message: str,
        expected: str | None,
        found: str | None,
        hint: str | None = None,
    ) -> None:
        if self.full():
            return
        self.problems.append(
            Diagnostic(
                code=code,
                message=message,
                document=self.document,
                pointer=pointer,
                expected=expected,
                found=found,
                hint=hint,
            )
        )

    def wrong_type(self, pointer: str, expected: str, value: Any, short: str | None = None) -> None:
        self.problem(
            "evidence.wrong-type",
            pointer,
            f"expected {short or expected}, found {json_type_name(value)}",
            expected,
            json_type_name(value),
        )

    def out_of_range(self, pointer: str, t: Prim, value: int | Decimal) -> None:
        kind = "a whole number" if t == INTEGER else "a number"
        expected = f"{kind} {t.range_words()}"
        self.problem(
            "evidence.out-of-range",
            pointer,
            f"{value} is {'below' if t.low is not None and value < t.low else 'above'} the range of this field, "
            f"which takes {expected}",
            expected,
            json_type_name(value),
        )

    def value(self, data: Any, t: Type, pointer: str, depth: int) -> Any:
        if depth > self.limits.max_depth:
            self.problem(
                "evidence.too-large",
                pointer,
                f"the evidence is nested more than {self.limits.max_depth} levels deep",
                f"at most {self.limits.max_depth} levels",
                "deeper nesting",
            )
            return None
        if isinstance(t, AnyType):
            return data
        if isinstance(t, RecordType):
            return self.record(data, t, pointer, depth)
        if isinstance(t, MapOf):
            return self.map(data, t, pointer, depth)
        if isinstance(t, ListOf | SetOf):
            return self.list(data, t, pointer, depth)
        if isinstance(t, Choice):
            if t.base is not None and not (isinstance(data, str) and t.member(data) is not None):
                return self.value(data, t.base, pointer, depth)
            return self.choice(data, t, pointer)
        if t == TEXT:
            if not isinstance(data, str):
                self.wrong_type(pointer, "a text", data)
                return None
            if len(data) > self.limits.max_text:
                self.problem(
                    "evidence.too-large",
                    pointer,
                    f"this text is {len(data)} characters, above the limit of {self.limits.max_text}",
                    f"at most {self.limits.max_text} characters",
                    f"{len(data)} characters",
                )
            return data
        if t == BOOLEAN:
            if not isinstance(data, bool):
                self.wrong_type(pointer, "true or false", data)
                return None
            return data
        if t == INTEGER:
            if isinstance(data, bool) or not isinstance(data, int):
                whole = whole_number(data)
                if whole is None:
                    if isinstance(data, Decimal) and data.is_finite() and data.adjusted() >= MAX_INTEGER_DIGITS:
                        self.problem(
                            "evidence.too-large",
                            pointer,
                            f"this number has {data.adjusted() + 1} digits, above the limit of {MAX_INTEGER_DIGITS}",
                            f"at most {MAX_INTEGER_DIGITS} digits",
                            f"{data.adjusted() + 1} digits",
                        )
                    else:
                        self.wrong_type(pointer, "a whole number", data)
                    return None
                data = whole
            if isinstance(t, Prim) and t.ranged and not t.contains(data):
                self.out_of_range(pointer, t, data)
                return None
            return data
        if t == DECIMAL:
            if isinstance(data, bool) or not isinstance(data, int | Decimal):
                self.wrong_type(pointer, "a number", data)
                return None
            number = Decimal(data) if isinstance(data, int) else data
            if isinstance(t, Prim) and t.ranged and not t.contains(number):
                self.out_of_range(pointer, t, data)
                return None
            return number
        if t == DATE:
            if not isinstance(data, str):
                self.wrong_type(pointer, "a date (YYYY-MM-DD)", data)
                return None
            date = parse_date(data)
            if date is None:
                self.problem(
                    "evidence.invalid-date",
                    pointer,
                    f'"{data[:40]}" is not a real date',
                    "a date (YYYY-MM-DD)",
                    json_type_name(data),
                    hint="dates are written YYYY-MM-DD, for example 2019-03-01",
                )
            return date
        if t == DURATION:
            self.wrong_type(pointer, "a duration", data)
            return None
        if t == PROVISION:
            if not isinstance(data, str):
                self.wrong_type(pointer, "a provision such as 16(3)(b)", data)
                return None
            provision = parse_provision(data, pointer)
            if provision is None:
                self.problem(
                    "evidence.invalid-provision",
                    pointer,
                    f'"{data[:40]}" is not a provision written as the regulations write one',
                    "a provision such as 16(3) or 20(2)(a)",
                    json_type_name(data),
                    hint="a regulation number, then each paragraph and sub-paragraph in brackets: "
                    '16(3)(b), not "reg 16(3)" or "16.3.b"',
                )
            return provision
        raise AssertionError(f"unhandled evidence type {t!r}")  # pragma: no cover

    def record(self, data: Any, t: RecordType, pointer: str, depth: int) -> RecordValue | None:
        if not isinstance(data, dict):
            self.wrong_type(pointer, f"an object ({t.name})", data)
            return None
        fields: dict[str, Any] = {}
        for name, info in t.fields.items():
            child = f"{pointer}/{escape_pointer(name)}"
            if name not in data or data[name] is None:
                if not info.optional:
                    if name in data:
                        self.wrong_type(child, info.type.display(), None)
                    else:
                        self.problem(
                            "evidence.missing-field",
                            child,
                            f"the required field `{name}` is missing",
                            info.type.display(),
                            "nothing",
                            hint=f"`{name}`: {info.description}" if info.description else None,
                        )
                fields[name] = MISSING
                continue
            fields[name] = self.value(data[name], info.type, child, depth + 1)
        raw = data
        for name, info in t.fields.items():
            if isinstance(info.type, SetOf) and isinstance(info.type.element, Choice):
                raw = echo_set_in_order(raw, data, name, fields.get(name))
        expected = None
        for key in data:
            if key not in t.fields and key not in t.open_fields:
                if self.full():
                    continue
                if expected is None:  # once per record, not once per unknown key
                    expected = "one of " + ", ".join(sorted(t.fields)) if t.fields else "no fields"
                self.problem(
                    "evidence.unknown-field",
                    f"{pointer}/{escape_pointer(key)}",
                    f"`{_clip(key)}` is not a field of {t.name}",
                    expected,
                    f"`{_clip(key)}`",
                    hint=self.hint_for(key, t.fields),
                )
        return RecordValue(pointer=pointer, fields=fields, raw=raw)

    def map(self, data: Any, t: MapOf, pointer: str, depth: int) -> MapValue | None:
        if not isinstance(data, dict):
            self.wrong_type(pointer, f"an object keyed by {t.key.display()}", data)
            return None
        entries: dict[str, Any] = {}
        names = [m.name for m in t.key.members]
        for key, item in data.items():
            child = f"{pointer}/{escape_pointer(key)}"
            if key not in names:
                if self.full():
                    continue
                self.problem(
                    "evidence.unknown-field",
                    child,
                    f"`{_clip(key)}` is not one of {t.key.display()}",
                    "one of " + ", ".join(names),
                    f"`{_clip(key)}`",
                    hint=self.hint_for(key, names),
                )
                continue
            if item is None:
                continue
            entries[key] = self.value(item, t.value, child, depth + 1)
        ordered = {name: entries[name] for name in names if name in entries}
        return MapValue(pointer=pointer, entries=ordered, raw=data)

    def list(self, data: Any, t: ListOf | SetOf, pointer: str, depth: int) -> PointedList | None:
        if not isinstance(data, list):
            self.wrong_type(pointer, f"a list ({t.display()})", data)
            return None
        if len(data) > self.limits.max_items:
            self.problem(
                "evidence.too-large",
                pointer,
                f"this list has {len(data)} items, above the limit of {self.limits.max_items}",
                f"at most {self.limits.max_items} items",
                f"{len(data)} items",
            )
            return None
        items = [self.value(item, t.element, f"{pointer}/{index}", depth + 1) for index, item in enumerate(data)]
        if isinstance(t, SetOf):
            seen: dict[Any, int] = {}
            for index, item in enumerate(items):
                if item is None:
                    continue
                key = item if not isinstance(item, RecordValue | MapValue) else id(item)
                if key in seen:
                    self.problem(
                        "evidence.duplicate-item",
                        f"{pointer}/{index}",
                        f"{json_type_name(data[index])} is already listed at {pointer}/{seen[key]}",
                        "each item once",
                        "a repeat",
                        hint="remove the repeated item",
                    )
                else:
                    seen[key] = index
            if isinstance(t.element, Choice):
                items = sorted((i for i in items if i is not None), key=lambda s: (s.owner, s.rank))
        return PointedList(items, pointer)

    def choice(self, data: Any, t: Choice, pointer: str) -> Any:
        if isinstance(data, str):
            symbol = t.member(data)
            if symbol is not None:
                return symbol
        names = [m.name for m in t.members]
        if not isinstance(data, str):
            shown = ", ".join(names) if len(names) <= 16 else ", ".join(names[:16]) + ", …"
            self.wrong_type(pointer, f"one of {shown}", data, short=f"a text naming one of {t.display()}")
            return None
        symbol = t.member(data)
        if symbol is None:
            if self.full():
                return None
            shown = ", ".join(names) if len(names) <= 16 else ", ".join(names[:16]) + ", …"
            self.problem(
                "evidence.unknown-value",
                pointer,
                f'"{data[:40]}" is not one of {t.display()}',
                f"one of {shown}",
                json_type_name(data),
                hint=self.hint_for(data, names),
            )
            return None
        return symbol

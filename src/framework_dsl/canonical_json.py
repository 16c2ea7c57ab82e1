"""Deterministic JSON text: exact decimals, keys in the order given, UTF-8 as is.

Used wherever the engine writes JSON (results, diagnostics, example evidence), so the
same value always gives byte-identical text and a `Decimal` is never rounded through
a binary float.

Three writers give the same bytes (tests/unit/test_canonical_json.py): msgspec's
encoder, which writes a decimal's digits as a JSON number and is four to five times
faster than the standard library's on result objects (writing results was a third
of `framework-check`'s time on a .jsonl file); the standard library's C encoder, for
values msgspec refuses; and the exact writer below, the reference, for values
neither writes as we do.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
# The same, with every dict's keys sorted (by code point, as `sorted` orders text) while
# a `Struct` keeps its field order: a result's inputs, written sorted by pointer without
# a sorted copy of each (`encode_sorted`).
_SORTING_ENCODER = msgspec.json.Encoder(decimal_format="number", order="deterministic")
# What the encoders raise for a value they do not write as `dumps_bytes` does.
ENCODER_REFUSALS = (TypeError, ValueError, UnicodeError)


class _NeedsExactWriter(Exception):
    pass


def _refuse(value: Any) -> Any:
    raise _NeedsExactWriter


def dumps(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON text; `indent` pretty-prints with that many spaces."""
    return dumps_bytes(value, indent=indent).decode("utf-8")


def dumps_bytes(value: Any, *, indent: int | None = None) -> bytes:
    """`value` as UTF-8 JSON bytes, as `dumps` writes it (what output files and pipes take).

    msgspec's encoder writes it when it can; values it refuses go to the standard
    library's C encoder, and values neither writes as we do to the exact writer below.
    All three give the same bytes for the same value.
    """
    encoded = encode_objects(value, indent=indent)
    if encoded is not None:
        return encoded
    try:
        text = standard_library_dumps(value, indent)
    except (_NeedsExactWriter, ValueError):
        parts: list[str] = []
        _write(value, parts, indent, 0)
        text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: write its JSON escape
        return _LONE_SURROGATE.sub(_escape_surrogate, text).encode("utf-8")


def encode_objects(value: Any, *, indent: int | None = None) -> bytes | None:
    """`value`, which may hold msgspec `Struct`s (written as objects, keys in field order), as
    `dumps_bytes` writes its plain-data form; None where msgspec's encoder refuses something
    (the caller then writes the plain-data form with `dumps_bytes`)."""
    try:
        encoded = _ENCODER.encode(value)
    except ENCODER_REFUSALS:  # a type it does not write, a lone surrogate
        return None
    return encoded if indent is None else msgspec.json.format(encoded, indent=indent)


def encode_sorted(value: Any, *, indent: int | None = None) -> bytes | None:
    """`encode_objects`, but every dict in `value` is written with its keys sorted.

    What must keep its keys in the order given goes in a `Struct` or through `as_given`.
    None where msgspec's encoder refuses something.
    """
    try:
        encoded = _SORTING_ENCODER.encode(value)
    except ENCODER_REFUSALS:
        return None
    return encoded if indent is None else msgspec.json.format(encoded, indent=indent)


def as_given(value: Any) -> msgspec.Raw:
    """`value` written now as `encode_objects` writes it (keys in the order given), for
    `encode_sorted` to copy into its output as it is.

    Raises what the encoder raises (`ENCODER_REFUSALS`) for a value it does not write.
    """
    return msgspec.Raw(_ENCODER.encode(value))


def standard_library_dumps(value: Any, indent: int | None) -> str:
    """The standard library's C encoder, set to write as the exact writer does.

    Raises `_NeedsExactWriter` for a value it cannot write so (a decimal, a date) and
    ValueError for a float that is not a number.
    """
    return json.dumps(
        value,
        ensure_ascii=False,
        indent=indent,
        separators=(",", ": ") if indent is not None else (",", ":"),
        default=_refuse,
        allow_nan=False,
        check_circular=False,
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _write(value: Any, out: list[str], indent: int | None, depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, float):  # never produced by the engine; kept for callers
        out.append(json.dumps(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, datetime.date):
        out.append(f'"{value.isoformat()}"')
    elif isinstance(value, Mapping):
        items = list(value.items())
        if not items:
            out.append("{}")
            return
        out.append("{")
        for index, (key, item) in enumerate(items):
            if index:
                out.append(",")
            _newline(out, indent, depth + 1)
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(": " if indent is not None else ":")
            _write(item, out, indent, depth + 1)
        _newline(out, indent, depth)
        out.append("}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _newline(out, indent, depth + 1)
            _write(item, out, indent, depth + 1)
        _newline(out, indent, depth)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _newline(out: list[str], indent: int | None, depth: int) -> None:
    if indent is not None:
        out.append("\n" + " " * (indent * depth))


def decimal_text(value: Decimal) -> str:
    """A decimal as a JSON number, exactly: `0.30`, `12`, `1E+400`."""
    text = str(value)
    return text if "E" in text or "e" in text else text.lstrip("+")

"""Deterministic JSON: the fast path and the exact writer give the same bytes."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from framework_dsl import canonical_json

decimals = st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [Decimal("0.30"), Decimal("-0"), Decimal("1E+400"), Decimal("1e-7"), Decimal("123456789012345678901234567890.5")]
)
scalars = st.none() | st.booleans() | st.integers() | st.text() | decimals | st.dates()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _exact(value: object, indent: int | None) -> str:
    parts: list[str] = []
    canonical_json._write(value, parts, indent, 0)
    return "".join(parts)


@given(json_values, st.sampled_from([None, 2]))
def test_fast_path_matches_the_exact_writer(value: object, indent: int | None) -> None:
    """For any JSON value (decimals included), `dumps` writes exactly what the exact writer writes."""
    assert canonical_json.dumps(value, indent=indent) == _exact(value, indent)


@given(json_values, st.sampled_from([None, 2]))
def test_the_standard_library_path_matches_the_exact_writer(value: object, indent: int | None) -> None:
    """Values msgspec refuses go to the standard library's encoder: it too writes what the exact writer writes."""
    try:
        text = canonical_json.standard_library_dumps(value, indent)
    except canonical_json._NeedsExactWriter:  # a decimal or a date: the exact writer's job
        return
    assert text == _exact(value, indent)


def test_a_lone_surrogate_is_written_as_its_json_escape() -> None:
    """A lone surrogate has no UTF-8 form: it is written as the escape that reads back as the same text."""
    written = canonical_json.dumps_bytes({"x": "\ud800é", "y": "\udfff"})
    assert written == b'{"x":"\\ud800\xc3\xa9","y":"\\udfff"}'
    assert json.loads(written) == {"x": "\ud800é", "y": "\udfff"}
    assert canonical_json.dumps({"x": "\ud800"}) == '{"x":"\\ud800"}'


def test_decimals_are_written_exactly() -> None:
    """A decimal keeps every digit it has: never rounded through a binary float."""
    assert canonical_json.dumps({"x": Decimal("0.30"), "y": Decimal("1234567890.123456789012345")}) == (
        '{"x":0.30,"y":1234567890.123456789012345}'
    )

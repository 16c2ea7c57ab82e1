"""Deterministic JSON: the fast path and the exact writer give the same bytes."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from framework_dsl import canonical_json

scalars = st.none() | st.booleans() | st.integers() | st.text()
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
    """For any JSON value, the standard-library path writes exactly what the exact writer writes."""
    assert canonical_json.dumps(value, indent=indent) == _exact(value, indent)


def test_decimals_are_written_exactly() -> None:
    """A decimal keeps every digit it has: never rounded through a binary float."""
    assert canonical_json.dumps({"x": Decimal("0.30"), "y": Decimal("1234567890.123456789012345")}) == (
        '{"x":0.30,"y":1234567890.123456789012345}'
    )

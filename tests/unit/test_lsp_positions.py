"""Offsets and the protocol's positions (lsp.positions): lines from 0, columns in UTF-16 code units."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from framework_dsl.lsp.positions import end_of, offset_of, position_of
from framework_dsl.source import SourceFile


def test_a_character_beyond_the_basic_plane_counts_two_units() -> None:
    """After an emoji in a reason the column is one more than the count of characters."""
    text = 'example "x 🙂 y"\nexpect a = b\n'
    source = SourceFile("t.fw", text)
    assert position_of(source, text.index("y")) == types.Position(line=0, character=text.index("y") + 1)
    assert offset_of(text, types.Position(line=0, character=text.index("y") + 1)) == text.index("y")
    assert position_of(source, text.index("expect")) == types.Position(line=1, character=0)
    assert end_of(text) == types.Position(line=2, character=0)


def test_positions_past_a_line_or_the_text_are_clamped() -> None:
    """A column past the end of its line is the line's end; a line past the last is the text's end."""
    text = "ab\r\ncd"
    assert offset_of(text, types.Position(line=0, character=99)) == text.index("\n")
    assert offset_of(text, types.Position(line=7, character=0)) == len(text)


@given(st.text(alphabet=st.sampled_from(["a", "\n", "é", "🙂", "\t"]), max_size=40))
def test_offset_and_position_are_inverse(text: str) -> None:
    """Every offset survives the round trip through its position."""
    source = SourceFile("t.fw", text)
    for offset in range(len(text) + 1):
        assert offset_of(text, position_of(source, offset)) == offset

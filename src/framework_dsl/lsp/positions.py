"""Positions between the engine and an editor: character offsets <-> LSP line and UTF-16 column.

The engine counts characters from the start of a file; the language server protocol
counts lines from 0 and, on each line, UTF-16 code units (its default encoding, the
only one every client supports). A character outside the Basic Multilingual Plane is
two units, so the two differ on a line with, say, an emoji in a reason.
"""

from __future__ import annotations

import bisect

from lsprotocol import types

from framework_dsl.source import SourceFile, Span


def _units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def position_of(source: SourceFile, offset: int) -> types.Position:
    """The LSP position of character `offset` in `source`."""
    offset = max(0, min(offset, len(source.text)))
    line = bisect.bisect_right(source.line_starts, offset) - 1
    return types.Position(line=line, character=_units(source.text[source.line_starts[line] : offset]))


def range_of(span: Span) -> types.Range:
    """The LSP range of a span."""
    return types.Range(start=position_of(span.source, span.start), end=position_of(span.source, span.end))


def offset_of(text: str, position: types.Position) -> int:
    """The character offset in `text` of an LSP position (clamped to the line's end and the text's)."""
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(text)
    units = 0
    for index in range(start, end):
        if units >= position.character:
            return index
        units += 2 if ord(text[index]) > 0xFFFF else 1
    return end


def end_of(text: str) -> types.Position:
    """The LSP position just after the last character of `text`."""
    return position_of(SourceFile("", text), len(text))

"""Source text and positions: the first stage every other stage points back into.

A `SourceFile` holds one rule file's text and where its lines start; a `Span` is a
range of character offsets in one file. Line and column numbers (1-based, columns
counted in characters with tabs expanded) are derived from offsets only when a
diagnostic is rendered, so nodes stay small and comparisons stay cheap.
"""

from __future__ import annotations

import bisect
import functools

import attrs

TAB_WIDTH = 4
MAX_EXCERPT_WIDTH = 100


@attrs.frozen(eq=False)
class SourceFile:
    """One rule file: its display path, its text, and the offsets where lines begin.

    Equality is identity: two loads of the same file are different sources.
    """

    path: str
    text: str
    line_starts: tuple[int, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        object.__setattr__(self, "line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of `offset`, columns counting expanded tabs."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line_index]
        return line_index + 1, display_width(self.text[start:offset]) + 1

    def line_text(self, line: int) -> str:
        """The text of 1-based `line`, without its line ending."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


def display_width(text: str) -> int:
    """Width of `text` on screen, with tabs expanded to the next tab stop."""
    width = 0
    for ch in text:
        width = (width // TAB_WIDTH + 1) * TAB_WIDTH if ch == "\t" else width + 1
    return width


@attrs.frozen
class Span:
    """A range `[start, end)` of character offsets in one source file."""

    source: SourceFile
    start: int
    end: int

    @functools.cached_property
    def text(self) -> str:
        """The source text of the span, each run of white space made one space (as traces show it)."""
        return " ".join(self.source.text[self.start : self.end].split())

    @property
    def line(self) -> int:
        """1-based line of the start."""
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        """1-based column of the start."""
        return self.source.line_col(self.start)[1]

    @property
    def location(self) -> str:
        """`path:line:column` of the start."""
        line, column = self.source.line_col(self.start)
        return f"{self.source.path}:{line}:{column}"

    def cover(self, other: Span) -> Span:
        """The smallest span holding both `self` and `other` (same file)."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    def excerpt(self) -> tuple[int, str, int, int]:
        """The first line of the span, clipped, with the caret's column and width.

        Returns (line number, line text with tabs expanded, caret column 0-based,
        caret width). A multi-line span is underlined on its first line only.
        """
        line, column = self.source.line_col(self.start)
        text = self.source.line_text(line).expandtabs(TAB_WIDTH)
        end_line, end_column = self.source.line_col(self.end)
        width = end_column - column if end_line == line else len(text) - (column - 1)
        width = max(1, width)
        caret = column - 1
        if len(text) > MAX_EXCERPT_WIDTH:
            left = max(0, min(caret - 20, len(text) - MAX_EXCERPT_WIDTH))
            text = ("…" if left else "") + text[left : left + MAX_EXCERPT_WIDTH] + "…"
            caret = caret - left + (1 if left else 0)
            width = min(width, MAX_EXCERPT_WIDTH - (caret - 1))
        return line, text, caret, max(1, width)

"""Source positions: offsets to lines and columns, excerpts, tabs, CRLF, non-ASCII."""

from __future__ import annotations

from framework_dsl.diagnostics import Diagnostic, render_text
from framework_dsl.source import SourceFile, Span


def test_line_and_column_are_one_based() -> None:
    """The first character is line 1, column 1; a character after a newline starts a line."""
    source = SourceFile("a.fw", "ab\ncd")
    assert source.line_col(0) == (1, 1)
    assert source.line_col(3) == (2, 1)
    assert source.line_col(4) == (2, 2)


def test_tabs_expand_to_the_next_stop() -> None:
    """A tab before the caret moves it to the next multiple of four columns."""
    source = SourceFile("a.fw", "\tx")
    assert source.line_col(1) == (1, 5)


def test_crlf_lines_render_without_carriage_returns() -> None:
    """A file with Windows line endings shows clean excerpts."""
    source = SourceFile("a.fw", "first\r\nsecond bad\r\n")
    start = source.text.index("bad")
    line, text, caret, width = Span(source, start, start + 3).excerpt()
    assert (line, text, caret, width) == (2, "second bad", 7, 3)


def test_non_ascii_columns_count_characters() -> None:
    """Columns count characters, not bytes."""
    source = SourceFile("a.fw", 'x "café" y')
    assert source.line_col(source.text.index("y")) == (1, 10)


def test_long_lines_are_clipped_around_the_caret() -> None:
    """A very long line is clipped so the caret stays visible."""
    text = "a" * 300 + " target " + "b" * 300
    source = SourceFile("a.fw", text)
    start = text.index("target")
    _, shown, caret, width = Span(source, start, start + 6).excerpt()
    assert len(shown) < 110
    assert shown[caret : caret + width] == "target"


def test_rendered_diagnostic_has_location_excerpt_caret_and_hint() -> None:
    """A rendered diagnostic names the file, line and column, shows the line and underlines the span."""
    source = SourceFile("rules/x.fw", "judgement overall: rating\n  requires_improvment when x\n")
    start = source.text.index("requires_improvment")
    diagnostic = Diagnostic(
        code="outcomes.unknown",
        message="unknown grade `requires_improvment`",
        span=Span(source, start, start + len("requires_improvment")),
        hint="did you mean `requires_improvement`?",
    )
    assert render_text(diagnostic).splitlines() == [
        "error[outcomes.unknown]: unknown grade `requires_improvment`",
        " --> rules/x.fw:2:3",
        "  |",
        "2 |   requires_improvment when x",
        "  |   ^^^^^^^^^^^^^^^^^^^",
        "   = hint: did you mean `requires_improvement`?",
    ]


def test_span_text_is_the_source_with_white_space_runs_made_one_space() -> None:
    """Traces show an expression as written, on one line: runs of spaces and line breaks become one space."""
    source = SourceFile("t.fw", "count of ratings\n      rated   good >= 2")
    span = Span(source, 0, len(source.text))
    assert span.text == "count of ratings rated good >= 2"
    assert span.text is span.text  # worked out once per span
    assert Span(source, 9, 16).text == "ratings"

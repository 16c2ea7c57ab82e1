"""The template environments: HTML escaped by Jinja2's autoescape, Markdown by ours.

Both load their templates from the package (`framework_dsl/reports/templates/`) with
Jinja2's `PackageLoader`, so they work from an installed wheel as from a checkout. In
both, every value a template prints goes through `printable` first (no control
character reaches the page or the terminal), then through the format's escaping:

- HTML: Jinja2's autoescape, `&`, `<`, `>`, `"` and `'` as character references. A
  `<script>` in evidence is text on the page.
- Markdown: `escape_markdown`, which backslash-escapes every character Markdown (and the
  HTML that Markdown passes through) could read as markup, and the markers that would
  start a block at the beginning of a line. Only `MarkdownText` (what the templates and
  `md_wrap` build) is printed as it is.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import jinja2
from markupsafe import Markup

from framework_dsl.reports.terminal import printable

TEMPLATES = "reports/templates"

# What Markdown (CommonMark with GitHub's tables and strikethrough) reads as markup
# inside a line: emphasis, code, links and images, raw HTML and autolinks, entity
# references, table cells, strikethrough, and the backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&#])")
# What starts a block at the beginning of a line: a list item, a heading underline, a
# thematic break, a block quote (`>` and `#` are escaped everywhere already).
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


class MarkdownText(str):
    """Markdown written by the report itself, printed as it is."""

    __slots__ = ()


def escape_markdown(text: str, *, line_start: bool = False) -> MarkdownText:
    """`text` as Markdown that shows exactly `text`: markup characters escaped, controls made visible.

    With `line_start`, also the markers that would start a block (`-`, `+`, `=`, `1.`) when
    the text begins a line or a list item.
    """
    escaped = _INLINE.sub(r"\\\1", printable(text))
    if line_start:
        escaped = _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)
        if escaped[:1] == " ":  # leading spaces would indent a block: keep them as references
            stripped = escaped.lstrip(" ")
            escaped = "&#32;" * (len(escaped) - len(stripped)) + stripped
    return MarkdownText(escaped)


def md_start(value: Any) -> MarkdownText:
    """`value` escaped to begin a line or a list item."""
    return escape_markdown("" if value is None else str(value), line_start=True)


def md_wrap(value: Any, width: int = 96, indent: int = 2) -> MarkdownText:
    """`value` escaped and wrapped at `width` characters, continuation lines indented by `indent`.

    Wrapped before it is escaped, so every line it starts is escaped as a line start.
    """
    text = printable(str(value))
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    escaped = [escape_markdown(line, line_start=number > 0) for number, line in enumerate(lines)]
    return MarkdownText(("\n" + " " * indent).join(escaped))


def md_code(value: Any) -> MarkdownText:
    """`value` as a Markdown code span, fenced with more backticks than it holds in a row.

    Backslash escapes do not work inside code, so the fence is what keeps it closed.
    """
    text = printable(str(value))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text[:1] == "`" or text[-1:] == "`" or not text.strip() else text
    return MarkdownText(f"{fence}{padded}{fence}")


def _markdown_value(value: Any) -> str:
    if isinstance(value, MarkdownText):
        return value
    return escape_markdown("" if value is None else str(value))


def _html_value(value: Any) -> Any:
    if type(value) is str:  # the common case first: the finalize runs for every value printed
        return printable(value)
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return printable(value)


def html_environment() -> jinja2.Environment:
    """Templates for HTML: autoescape on, every value made printable."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("framework_dsl", TEMPLATES),
        autoescape=True,
        finalize=_html_value,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def markdown_environment() -> jinja2.Environment:
    """Templates for Markdown: every value escaped unless it is `MarkdownText`."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("framework_dsl", TEMPLATES),
        autoescape=False,
        finalize=_markdown_value,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md_wrap"] = md_wrap
    environment.filters["md"] = escape_markdown
    environment.filters["md_start"] = md_start
    environment.filters["code"] = md_code
    # A macro's output is plain text here (autoescape is off): a template that prints
    # one macro inside another marks it as the report's own Markdown.
    environment.filters["verbatim"] = MarkdownText
    return environment

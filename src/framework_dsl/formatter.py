"""The formatter: a parsed rule file (`nodes.RuleFile` and its comments) -> canonical text.

`format_source` parses a file, lays it out and checks its own work (the output must
parse to an equal tree and keep every comment) before returning it; text that does
not parse gets its diagnostics back and no output. `format_rule_file` lays out a tree
that is already parsed. The layout depends only on the tree, except where a comment
forces a line break and where blank lines inside a run of short declarations are kept
(below); either way the output formats to itself (idempotence).

Layout rules (the model is `rules/clas/clas.fw`):

- Width 88. Lines break only where a rule below says so; quoted texts, types other
  than `one of (...)`, and expressions that do not end a line are never broken, so a
  long reason or description stays on one long line. Two spaces per indentation
  level; LF line endings; no trailing whitespace; one newline at the end.
- Declarations are separated by one blank line. Runs of `import`s, of `outcome`s and
  of one-line `define`s may stand together: inside such a run a blank line is kept
  where the source has one and none is added.
- `framework`: the header, then `source`, `effective from ... [until ...]` and
  `dated by ...`, each on its own line one level in, always in that order.
- `scale` and `enum`: one line if it fits; otherwise the header alone, then one grade
  or member per line one level in (grades after the first start with `> `; members but
  the last end with `,`). A comment between the members also forces this layout.
- `record` and `evidence`: the header, then one field per line, one level in.
- A type ending in `one of (...)` (a judgement's type, a field's type) that does not
  fit opens after `(`: one member per line, two levels further in than the line it
  starts on, `)` after the last member (then a field's description). A field's
  description alone never opens it.
- `judgement NAME [for each x in xs]: TYPE` and `check NAME [for each x in xs]:`;
  clauses one level in (`OUTCOME when CONDITION`, `otherwise OUTCOME`), `because` and
  `cite` each on a line of its own, two levels in.
- `define NAME[: TYPE] = VALUE` on one line if it fits. A list value then opens after
  `[` (below); any other value moves to the next line, one level in, and breaks there
  like a condition, with continuation lines at that same indentation.
- `example "title"`, then `cite`, `given`, `as of` and each `expect`, each on a line of
  its own, one level in.
- Inline evidence is JSON with `": "` and `", "` separators. A value that fits stays on
  its line; otherwise an object puts one member per line, one level further in, and an
  array of scalars is filled to the width (other arrays: one item per line), the
  closing bracket on a line of its own. A comment inside an object or array forces it
  open (an array with a comment inside takes one item per line).
- An expression that ends a line (a condition, an `otherwise` outcome, an expected
  value, a definition's value) and does not fit breaks at its outermost level:
  * a list literal opens after `[`: items filled to the width one level further in
    (one per line unless every item is a plain name, literal or field access), `]`
    alone on the last line;
  * an `and`/`or` chain, or a `+ - union intersect` chain, breaks before each operator
    of its outermost chain; continuation lines are two levels further in than the
    clause or expectation (at the value's indentation for a definition); an operand
    in parentheses that is still too long breaks the same way inside its parentheses,
    one level further in;
  * anything else stays on one line.
  A comment between list items or between chain operands forces the break (a list
  then takes one item per line).
- Expressions have single spaces around operators and parentheses where the grammar
  needs them to give the same tree: `(count k in ks where k = a) >= 2`,
  `any x in xs where (a or b)`, `a - (b - c)`, `not (a or b)` (a comparison under
  `not` keeps its brackets: `not (a = b)`). Brackets the author wrote around an
  operand stay too, though the tree does not need them, so `(sum of xs) * 100` is not
  turned into `sum of xs * 100` (which reads as `sum of (xs * 100)`) and
  `(a and b) or c` keeps its grouping; a broken chain does not run through them.
  Brackets around a name, literal, list or field access (`(x)`), around a whole
  condition, value or list item go.
- Quoted texts are re-escaped as JSON (non-ASCII kept as is); a reason keeps its
  source text exactly, so interpolations and `{{ }}` survive. Numbers keep their digits
  (`0.250`, never an exponent), dates are ISO, a duration of one is singular (`1 year`).
- Comments are never dropped and only lose trailing whitespace. An own-line comment
  goes on its own line, at that line's indentation, before the output line holding the
  first token after it (so a comment inside an expression printed on one line goes
  before that line; before a lone `]` or `}` it is indented one level more). An
  end-of-line comment goes at the end of the output line holding the last token before
  it, two spaces before the `#`; when several land on one line, the last stays and the
  others move onto their own lines above it. At the top level, a blank line between
  comments, or between a comment and the declaration after it, is kept.
"""

from __future__ import annotations

import bisect
import contextvars
import itertools
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, assert_never

import attrs

from framework_dsl import nodes
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.parser import parse_source
from framework_dsl.source import SourceFile

WIDTH = 88
INDENT = "  "

__all__ = ["WIDTH", "FormatError", "format_expression", "format_rule_file", "format_source", "format_type"]


class FormatError(Exception):
    """The formatter produced text that does not mean the same as its input (a bug)."""


# ---------------------------------------------------------------- entry points


def format_source(text: str, path: str = "<text>") -> tuple[str | None, list[Diagnostic]]:
    """Format one rule file's text.

    Args:
        text: the file's contents.
        path: the name shown in diagnostics.

    Returns:
        The canonical text and no diagnostics, or None and the syntax diagnostics when
        the text does not parse.

    Raises:
        FormatError: the output would not parse to the same tree or would lose a
            comment (a formatter bug; nothing should be written).

    >>> format_source('enum level:  low,high')[0]
    'enum level: low, high\\n'
    """
    tree, diagnostics = parse_source(SourceFile(path, text))
    if tree is None:
        return None, diagnostics
    output = format_rule_file(tree)
    again, problems = parse_source(SourceFile(path, output))
    if again is None:
        raise FormatError(f"{path}: the formatted text does not parse: {problems[0].message}")
    if again.items != tree.items:
        raise FormatError(f"{path}: the formatted text parses to a different tree")
    before = sorted(c.text.rstrip() for c in tree.comments)
    after = sorted(c.text.rstrip() for c in again.comments)
    if before != after:
        raise FormatError(f"{path}: the formatted text does not keep every comment")
    return output, []


def format_rule_file(tree: nodes.RuleFile) -> str:
    """The canonical text of a parsed rule file, comments included."""
    token = _KEPT.set(tree.parenthesised)
    try:
        return _Formatter(tree).run()
    finally:
        _KEPT.reset(token)


def format_expression(expr: nodes.Expr) -> str:
    """An expression on one line, with the fewest parentheses that keep its tree.

    >>> from framework_dsl.source import Span
    >>> s = Span(SourceFile("x", ""), 0, 0)
    >>> a, b = nodes.Ref(name="a", span=s), nodes.Ref(name="b", span=s)
    >>> format_expression(nodes.Not(operand=nodes.BoolOp(op="or", left=a, right=b, span=s), span=s))
    'not (a or b)'
    """
    return _expr(expr, 0)


def format_type(type_: nodes.TypeExpr) -> str:
    """A type expression on one line."""
    if isinstance(type_, nodes.NamedType):
        return " or ".join(name.dotted for name in type_.names)
    if isinstance(type_, nodes.RangedType):
        high = "" if type_.high is None else " to " + _decimal(type_.high)
        return f"{type_.base.dotted} from {_decimal(type_.low)}{high}"
    if isinstance(type_, nodes.OptionalType):
        return "optional " + format_type(type_.inner)
    if isinstance(type_, nodes.ListType):
        return "list of " + format_type(type_.element)
    if isinstance(type_, nodes.SetType):
        return "set of " + format_type(type_.element)
    if isinstance(type_, nodes.MapType):
        return f"map of {format_type(type_.key)} to {format_type(type_.value)}"
    if isinstance(type_, nodes.InlineEnum):
        return "one of (" + ", ".join(_member(m) for m in type_.members) + ")"
    if isinstance(type_, nodes.CollectType):
        return "collect " + format_type(type_.element)
    raise TypeError(f"not a type: {type(type_).__name__}")


# ---------------------------------------------------------------- atoms


def _quote(value: str) -> str:
    """A quoted text with JSON escapes; lone surrogates (from `\\ud800`) stay escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _decimal(value: Decimal) -> str:
    """A number as digits, never in exponent form (the grammar has none)."""
    return format(value, "f")


def _label(text: nodes.Text | None) -> str:
    return "" if text is None else " " + _quote(text.value)


def _member(member: nodes.Member) -> str:
    name = _quote(member.name.text) if member.quoted else member.name.text
    return name + _label(member.label)


def _grade(grade: nodes.Grade) -> str:
    return grade.name.text + _label(grade.label)


# ---------------------------------------------------------------- expressions

# Precedence levels from grammar/framework.lark, lowest first. An operand printed
# where the grammar expects level N is parenthesised when its own level is lower.
_OR, _AND, _NOT, _COMPARE, _DEFAULT, _BOUND, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(1, 12)


def _level(expr: nodes.Expr) -> int:
    if isinstance(expr, nodes.BoolOp):
        return _OR if expr.op == "or" else _AND
    if isinstance(expr, nodes.Not | nodes.Quantifier):
        return _NOT
    if isinstance(expr, nodes.Compare | nodes.Membership | nodes.IsCheck | nodes.Within | nodes.Between):
        return _COMPARE
    if isinstance(expr, nodes.IfMissing):
        return _DEFAULT
    if isinstance(expr, nodes.Bound):
        return _BOUND
    if isinstance(expr, nodes.SetOp):
        return _SUM
    if isinstance(expr, nodes.Arith):
        return _SUM if expr.op in ("+", "-") else _PRODUCT
    if isinstance(expr, nodes.CountOf | nodes.Aggregate | nodes.Sorted | nodes.Round):
        return _UNARY
    if isinstance(expr, nodes.FieldAccess | nodes.Lookup):
        return _POSTFIX
    return _ATOM


# The brackets the author wrote (`RuleFile.parenthesised`) in the file being laid out.
_KEPT: contextvars.ContextVar[frozenset[tuple[int, int]]] = contextvars.ContextVar("kept", default=frozenset())


def _expr(expr: nodes.Expr, need: int) -> str:
    text = _render(expr)
    bracket = _level(expr) < need or _reads_better_bracketed(expr, need) or _kept(expr, need)
    return f"({text})" if bracket else text


def _kept(expr: nodes.Expr, need: int) -> bool:
    """`(sum of xs) * 100`: the author's brackets around an operand that is not a name,
    literal, list or field access stay; around a whole condition or list item they go."""
    span = expr.span
    return need > 0 and _level(expr) < _POSTFIX and span is not None and (span.start, span.end) in _KEPT.get()


def _reads_better_bracketed(expr: nodes.Expr, need: int) -> bool:
    """`a or (b if missing false)`: a default inside `and`/`or` keeps its brackets."""
    return isinstance(expr, nodes.IfMissing) and 0 < need < _COMPARE


def _render(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Ref):
        return expr.name
    if isinstance(expr, nodes.NumberLit):
        return _decimal(expr.value)
    if isinstance(expr, nodes.TextLit):
        return _quote(expr.value)
    if isinstance(expr, nodes.DateLit):
        return expr.value.isoformat()
    if isinstance(expr, nodes.DurationLit):
        unit = expr.unit[:-1] if expr.amount == 1 and expr.unit.endswith("s") else expr.unit
        return f"{expr.amount} {unit}"
    if isinstance(expr, nodes.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, nodes.AsOf):
        return "as of"
    if isinstance(expr, nodes.ListLit):
        return "[" + ", ".join(_expr(item, 0) for item in expr.items) + "]"
    if isinstance(expr, nodes.Comprehension):
        text = f"[{_expr(expr.element, 0)} for {expr.var.text} in {_expr(expr.source, 0)}"
        if expr.condition is not None:
            text += f" where {_expr(expr.condition, 0)}"
        return text + "]"
    if isinstance(expr, nodes.Quantifier):
        return f"{expr.kind} {expr.var.text} in {_expr(expr.source, _UNARY)} where {_expr(expr.condition, _NOT)}"
    if isinstance(expr, nodes.CountOf):
        text = "count of " + _expr(expr.target, _POSTFIX)
        if expr.rated is not None:
            text += " rated " + _expr(expr.rated, _POSTFIX)
        return text
    if isinstance(expr, nodes.Aggregate):
        return f"{expr.op} of {_expr(expr.target, _UNARY)}"
    if isinstance(expr, nodes.Sorted):
        return "sorted " + _expr(expr.target, _UNARY)
    if isinstance(expr, nodes.FieldAccess):
        return f"{_expr(expr.target, _POSTFIX)}.{expr.field.text}"
    if isinstance(expr, nodes.Lookup):
        return f"{_expr(expr.target, _POSTFIX)}.({_expr(expr.key, 0)})"
    if isinstance(expr, nodes.Round):
        return _render_round(expr)
    if isinstance(expr, nodes.Between):
        low, high = _expr(expr.low, _DEFAULT), _expr(expr.high, _DEFAULT)
        return f"{_expr(expr.value, _DEFAULT)} between {low} and {high}"
    if isinstance(expr, nodes.Not):
        # Readability over minimal brackets: `not (x is empty)`, never `not x is empty`.
        return "not " + _expr(expr.operand, _DEFAULT)
    if isinstance(expr, nodes.BoolOp):
        level = _level(expr)
        return f"{_expr(expr.left, level)} {expr.op} {_expr(expr.right, level + 1)}"
    if isinstance(expr, nodes.Compare):
        return f"{_expr(expr.left, _DEFAULT)} {expr.op} {_expr(expr.right, _DEFAULT)}"
    if isinstance(expr, nodes.Membership):
        op = "not in" if expr.negated else "in"
        return f"{_expr(expr.item, _DEFAULT)} {op} {_expr(expr.collection, _DEFAULT)}"
    if isinstance(expr, nodes.IsCheck):
        return f"{_expr(expr.operand, _DEFAULT)} is {expr.kind}"
    if isinstance(expr, nodes.Within):
        return f"{_expr(expr.provision, _DEFAULT)} within {_expr(expr.scope, _DEFAULT)}"
    if isinstance(expr, nodes.IfMissing):
        return f"{_expr(expr.value, _DEFAULT)} if missing {_expr(expr.default, _BOUND)}"
    if isinstance(expr, nodes.Bound):
        return f"{_expr(expr.value, _BOUND)} at {expr.kind} {_expr(expr.limit, _SUM)}"
    if isinstance(expr, nodes.Arith | nodes.SetOp):
        level = _level(expr)
        return f"{_expr(expr.left, level)} {expr.op} {_expr(expr.right, level + 1)}"
    raise TypeError(f"not an expression: {type(expr).__name__}")


def _render_round(expr: nodes.Round) -> str:
    """`round x`, `round x to 1 decimal place`, `round x to 2 decimal places half even` (half up is the default)."""
    text = "round " + _expr(expr.value, _ATOM if isinstance(expr.value, nodes.Round) else _POSTFIX)
    if expr.places is not None:
        text += f" to {expr.places} decimal {'place' if expr.places == 1 else 'places'}"
    if expr.mode == "half_even":
        text += " half even"
    return text


def _is_plain(expr: nodes.Expr) -> bool:
    """A name, literal or field access: list items that can share a line."""
    while isinstance(expr, nodes.FieldAccess):
        expr = expr.target
    return isinstance(
        expr,
        nodes.Ref | nodes.NumberLit | nodes.TextLit | nodes.DateLit | nodes.DurationLit | nodes.BoolLit | nodes.AsOf,
    )


def _trailing_enum(type_: nodes.TypeExpr) -> nodes.InlineEnum | None:
    """The `one of (...)` a type's text ends with, if any."""
    while True:
        if isinstance(type_, nodes.InlineEnum):
            return type_
        if isinstance(type_, nodes.OptionalType):
            type_ = type_.inner
        elif isinstance(type_, nodes.ListType | nodes.SetType | nodes.CollectType):
            type_ = type_.element
        elif isinstance(type_, nodes.MapType):
            type_ = type_.value
        else:
            return None


_Chain = tuple[int, list[nodes.Expr], list[str]]


def _chain(expr: nodes.Expr) -> _Chain | None:
    """The outermost `and`/`or` chain, or `+ - union intersect` chain, of `expr`.

    Returns its precedence level, its operands left to right and the operators between
    them; None when `expr` is not such a chain.
    """
    level = _level(expr)
    if not (isinstance(expr, nodes.BoolOp) or (isinstance(expr, nodes.Arith | nodes.SetOp) and level == _SUM)):
        return None
    operands: list[nodes.Expr] = []
    ops: list[str] = []
    node: nodes.Expr = expr
    while (
        isinstance(node, nodes.BoolOp | nodes.Arith | nodes.SetOp)
        and _level(node) == level
        and (node is expr or not _kept(node, level))
    ):
        operands.append(node.right)
        ops.append(node.op)
        node = node.left
    operands.append(node)
    return level, operands[::-1], ops[::-1]


# ---------------------------------------------------------------- positions in the source

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f]+)
    |(?P<comment>\#[^\n]*)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>!=|<=|>=)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_BLANK_LINE = re.compile(r"\n[ \t\r\f]*\n")


class _Source:
    """The code tokens and comments of the source text, for placing comments.

    Spans leave out the keywords between nodes and the parentheses around them, so
    the positions of `because`, `>`, `and` and friends are found here instead.
    """

    def __init__(self, text: str, comments: Sequence[nodes.Comment]) -> None:
        self.text = text
        self.starts: list[int] = []
        self.words: list[str] = []
        if comments:  # positions only matter when there is a comment to place
            for match in _TOKEN.finditer(text):
                if match.lastgroup not in ("ws", "comment"):
                    self.starts.append(match.start())
                    self.words.append(match.group())
        self.anchors = [self.anchor(c.span.start, c.span.end) for c in comments]

    def anchor(self, start: int, end: int) -> tuple[bool, int]:
        """Whether a comment stands on its own line, and the position it goes with: the
        next token's start (own line) or the last code character before it (end of line)."""
        line_start = self.text.rfind("\n", 0, start) + 1
        code = self.text[line_start:start].rstrip()
        if code:
            return False, line_start + len(code) - 1
        index = self.index_at(end)
        return True, self.starts[index] if index < len(self.starts) else len(self.text)

    def index_at(self, pos: int) -> int:
        """Index of the first token starting at or after `pos`."""
        return bisect.bisect_left(self.starts, pos)

    def before(self, pos: int, default: int) -> int:
        """Start of the last token that starts before `pos`."""
        index = self.index_at(pos) - 1
        return self.starts[index] if index >= 0 else default

    def after(self, pos: int, default: int, skip: tuple[str, ...] = ()) -> int:
        """Start of the first token at or after `pos`, passing over tokens in `skip`."""
        index = self.index_at(pos)
        while index < len(self.starts) and self.words[index] in skip:
            index += 1
        return self.starts[index] if index < len(self.starts) else default

    def find(self, word: str, pos: int, default: int) -> int:
        """Start of the first `word` token at or after `pos`."""
        for index in range(self.index_at(pos), len(self.starts)):
            if self.words[index] == word:
                return self.starts[index]
        return default

    def comment_in(self, own: tuple[int, int], end: tuple[int, int]) -> bool:
        """Whether some comment falls in a range that forces a construct open.

        An own-line comment counts when the first token after it starts in
        `[own[0], own[1])`; an end-of-line comment when the last code character before it
        starts in `[end[0], end[1])`. Each construct picks ranges such that the comments
        it keeps inside, once laid out, fall in the same ranges of the formatted text, so
        the choice to open it is the same the next time (idempotence).
        """
        return any(
            (own[0] <= anchor < own[1]) if own_line else (end[0] <= anchor < end[1])
            for own_line, anchor in self.anchors
        )

    def blank_between(self, start: int, end: int) -> bool:
        """Whether an empty line separates `start` from `end` in the source."""
        return start < end and _BLANK_LINE.search(self.text, start, end) is not None

    def json_positions(self, start: int, end: int) -> _JPos | None:
        """Positions of the members of the JSON value written at `[start, end)`."""
        lo, hi = self.index_at(start), self.index_at(end)
        if lo >= hi:
            return None
        try:
            pos, index = self._json_value(lo, hi)
        except (IndexError, ValueError):
            return None
        return pos if index == hi else None

    def _json_value(self, index: int, hi: int) -> tuple[_JPos, int]:
        if index >= hi:
            raise IndexError(index)
        word, start = self.words[index], self.starts[index]
        if word == "{":
            members: list[tuple[int, _JPos]] = []
            index += 1
            while self.words[index] != "}":
                if not self.words[index].startswith('"') or self.words[index + 1] != ":":
                    raise ValueError(index)
                key = self.starts[index]
                value, index = self._json_value(index + 2, hi)
                members.append((key, value))
                if self.words[index] == ",":
                    index += 1
            return _JPos(start, self.starts[index], tuple(members)), index + 1
        if word == "[":
            items: list[tuple[int, _JPos]] = []
            index += 1
            while self.words[index] != "]":
                value, index = self._json_value(index, hi)
                items.append((value.start, value))
                if self.words[index] == ",":
                    index += 1
            return _JPos(start, self.starts[index], tuple(items)), index + 1
        if word == "-":
            return _JPos(start, start, ()), index + 2
        return _JPos(start, start, ()), index + 1


@attrs.frozen
class _JPos:
    """Where a JSON value, its closing bracket and its members (key or item start) sit."""

    start: int
    close: int
    members: tuple[tuple[int, _JPos], ...]


# ---------------------------------------------------------------- lines


@attrs.define
class _Line:
    """One output line: its indentation, text, and the source offset it answers for.

    `key` is where the line's first token sits in the source (a keyword such as
    `because` or `and` included); a comment belongs to the line with the greatest key at
    or before its anchor (see `_Source.anchor`), the first such line on a tie.
    """

    indent: int
    text: str
    key: int
    decl: nodes.Decl | None = None  # set on the first line of a top-level declaration
    closing: bool = False  # a lone `]` or `}`: comments before it sit one level further in
    size: int = 0  # on a declaration's first line: how many lines the declaration takes
    leading: list[nodes.Comment] = attrs.field(factory=list)
    trailing: list[nodes.Comment] = attrs.field(factory=list)


def _width(indent: int, text: str) -> int:
    return len(INDENT) * indent + len(text)


def _grouped(left: _Line, right: _Line) -> bool:
    """Whether two declarations (by their first lines) may stand without a blank line."""
    imports = (nodes.ImportModule, nodes.ImportNames)
    if isinstance(left.decl, imports) and isinstance(right.decl, imports):
        return True
    if isinstance(left.decl, nodes.OutcomeDecl) and isinstance(right.decl, nodes.OutcomeDecl):
        return True
    one_line = left.size == 1 and right.size == 1
    return one_line and isinstance(left.decl, nodes.DefineDecl) and isinstance(right.decl, nodes.DefineDecl)


class _Formatter:
    """Lays out one rule file as lines, then hangs its comments on them."""

    def __init__(self, tree: nodes.RuleFile) -> None:
        self.tree = tree
        self.src = _Source(tree.span.source.text, tree.comments)
        self.lines: list[_Line] = []

    # -- driver

    def run(self) -> str:
        for decl in self.tree.items:
            first = len(self.lines)
            self.declaration(decl)
            self.lines[first].decl = decl
            self.lines[first].size = len(self.lines) - first
        eof = self.place_comments()
        return self.assemble(eof)

    def emit(self, indent: int, text: str, key: int, *, closing: bool = False) -> None:
        self.lines.append(_Line(indent, text, key, closing=closing))

    # -- comments

    def line_for(self, pos: int) -> int | None:
        """Index of the line with the greatest key at or before `pos` (the first such)."""
        best: int | None = None
        for index, line in enumerate(self.lines):
            if line.key <= pos and (best is None or line.key > self.lines[best].key):
                best = index
        return best

    def place_comments(self) -> list[nodes.Comment]:
        """Hang each comment on a line, as a leading or trailing comment; returns the
        comments that follow all the code."""
        eof: list[nodes.Comment] = []
        comments = sorted(self.tree.comments, key=lambda c: c.span.start)
        for comment in comments:
            own_line, anchor = self.src.anchor(comment.span.start, comment.span.end)
            index = self.line_for(anchor)
            if own_line and anchor >= len(self.src.text):
                eof.append(comment)
            elif index is None:
                (self.lines[0].leading if self.lines else eof).append(comment)
            elif not own_line:
                self.lines[index].trailing.append(comment)
            else:
                line = self.lines[index]
                # After a closing bracket (before the comma that follows it) a comment
                # belongs to the next line, not inside the brackets.
                if line.closing and anchor > line.key and index + 1 < len(self.lines):
                    line = self.lines[index + 1]
                line.leading.append(comment)
        for line in self.lines:
            if len(line.trailing) > 1:
                line.leading.extend(line.trailing[:-1])
                line.leading.sort(key=lambda c: c.span.start)
                del line.trailing[:-1]
        return eof

    def assemble(self, eof: list[nodes.Comment]) -> str:
        out: list[str] = []
        previous: _Line | None = None  # the first line of the last declaration written
        previous_end: int | None = None  # source end of the last top-level item written

        def top_level(start: int, end: int, text: str, blank: bool) -> None:
            nonlocal previous_end
            if previous_end is not None and (blank or self.src.blank_between(previous_end, start)):
                out.append("")
            out.append(text)
            previous_end = end

        for line in self.lines:
            decl = line.decl
            if decl is None:
                pad = INDENT * (line.indent + line.closing)
                out.extend(pad + c.text.rstrip() for c in line.leading)
                out.append(self.with_trailing(line))
                continue
            # The first gap after a declaration is always blank, except inside a run of
            # imports, outcomes or one-line definitions; other gaps keep the source's.
            separate = previous is not None and not _grouped(previous, line)
            for comment in line.leading:
                top_level(comment.span.start, comment.span.end, comment.text.rstrip(), separate)
                separate = False
            top_level(decl.span.start, decl.span.end, self.with_trailing(line), separate)
            previous = line
        for comment in eof:
            top_level(comment.span.start, comment.span.end, comment.text.rstrip(), False)
        return "\n".join(out) + "\n" if out else ""

    def with_trailing(self, line: _Line) -> str:
        text = INDENT * line.indent + line.text
        if line.trailing:
            text += "  " + line.trailing[0].text.rstrip()
        return text

    # -- declarations

    def declaration(self, decl: nodes.Decl) -> None:
        start = decl.span.start
        if isinstance(decl, nodes.FrameworkDecl):
            self.framework(decl)
        elif isinstance(decl, nodes.ImportModule):
            text = "import " + ".".join(n.text for n in decl.path)
            if decl.alias is not None:
                text += " as " + decl.alias.text
            self.emit(0, text, start)
        elif isinstance(decl, nodes.ImportNames):
            names = ", ".join(n.text for n in decl.names)
            self.emit(0, f"import {names} from " + ".".join(n.text for n in decl.path), start)
        elif isinstance(decl, nodes.OutcomeDecl):
            self.emit(0, f"outcome {decl.name.text}{_label(decl.label)}", start)
        elif isinstance(decl, nodes.ScaleDecl):
            self.scale(decl)
        elif isinstance(decl, nodes.EnumDecl):
            self.enum(decl)
        elif isinstance(decl, nodes.RecordDecl):
            self.emit(0, f"record {decl.name.text}{_label(decl.label)}:", start)
            self.fields(decl.fields)
        elif isinstance(decl, nodes.EvidenceDecl):
            self.emit(0, "evidence:", start)
            self.fields(decl.fields)
        elif isinstance(decl, nodes.DefineDecl):
            prefix = f"define {decl.name.text}"
            if decl.type is not None:
                prefix += ": " + format_type(decl.type)
            self.define(prefix, decl)
        elif isinstance(decl, nodes.JudgementDecl):
            self.type_tail(0, f"judgement {decl.name.text}{self.for_each(decl.for_each)}: ", decl.type, "", start)
            self.in_force(1, decl.in_force, start)
            self.lets(decl.lets)
            self.clauses(decl.clauses)
        elif isinstance(decl, nodes.CheckDecl):
            self.emit(0, f"check {decl.name.text}{self.for_each(decl.for_each)}:", start)
            self.in_force(1, decl.in_force, start)
            self.lets(decl.lets)
            self.clauses(decl.clauses)
        elif isinstance(decl, nodes.TableDecl):
            self.table(decl)
        elif isinstance(decl, nodes.InvariantDecl | nodes.MonotonicDecl):
            self.property(decl)
        elif isinstance(decl, nodes.ExampleDecl):
            self.example(decl)
        else:  # pragma: no cover - every declaration kind is handled above
            raise TypeError(f"not a declaration: {type(decl).__name__}")

    def define(self, prefix: str, decl: nodes.DefineDecl) -> None:
        """`define x: T = value`; a value that does not fit moves to the next line."""
        start, value = decl.span.start, decl.value
        flat = f"{prefix} = {_expr(value, 0)}"
        if (_width(0, flat) <= WIDTH and not self.forced(value)) or (isinstance(value, nodes.ListLit) and value.items):
            self.tail(0, prefix + " = ", value, start, 2)
            return
        self.emit(0, prefix + " =", start)
        equals = self.src.find("=", decl.name.span.end, start)
        self.tail(1, "", value, self.src.after(equals + 1, equals), 1)

    def framework(self, decl: nodes.FrameworkDecl) -> None:
        start = decl.span.start
        self.emit(0, f"framework {decl.name.text} {_quote(decl.title.value)}", start)
        if decl.source_text is not None:
            key = self.src.before(decl.source_text.span.start, start)
            self.emit(1, "source " + _quote(decl.source_text.value), key)
        if decl.effective_from is not None:
            text = "effective from " + decl.effective_from.isoformat()
            if decl.effective_until is not None:
                text += " until " + decl.effective_until.isoformat()
            self.emit(1, text, self.keyword_in(decl, "effective", "from"))
        if decl.dated_by is not None:
            by = self.src.before(decl.dated_by[0].span.start, start)
            key = self.src.before(by, start)
            self.emit(1, "dated by " + ".".join(n.text for n in decl.dated_by), key)

    def keyword_in(self, decl: nodes.Decl, word: str, following: str) -> int:
        """The last `word following` token pair inside `decl`, or the declaration's start."""
        found = decl.span.start
        lo, hi = self.src.index_at(decl.span.start), self.src.index_at(decl.span.end)
        for index in range(lo, min(hi, len(self.src.words) - 1)):
            if self.src.words[index] == word and self.src.words[index + 1] == following:
                found = self.src.starts[index]
        return found

    def scale(self, decl: nodes.ScaleDecl) -> None:
        start = decl.span.start
        header = f"scale {decl.name.text}{_label(decl.label)}:"
        grades = decl.grades
        flat = header + " " + " > ".join(_grade(g) for g in grades)
        colon = self.src.before(grades[0].span.start, start)
        last, last_gt = grades[-1].span.start, self.src.before(grades[-1].span.start, start)
        forced = len(grades) > 1 and self.src.comment_in(own=(colon + 1, last + 1), end=(colon, last_gt))
        if _width(0, flat) <= WIDTH and not forced:
            self.emit(0, flat, start)
            return
        self.emit(0, header, start)
        for index, grade in enumerate(grades):
            if index == 0:
                self.emit(1, _grade(grade), grade.span.start)
            else:
                self.emit(1, "> " + _grade(grade), self.src.before(grade.span.start, grade.span.start))

    def enum(self, decl: nodes.EnumDecl) -> None:
        start = decl.span.start
        header = f"enum {decl.name.text}{_label(decl.label)}:"
        members = decl.members
        flat = header + " " + ", ".join(_member(m) for m in members)
        colon = self.src.before(members[0].span.start, start)
        last = members[-1].span.start
        if _width(0, flat) <= WIDTH and not self.src.comment_in(own=(colon + 1, last + 1), end=(colon, last)):
            self.emit(0, flat, start)
            return
        self.emit(0, header, start)
        for index, member in enumerate(members):
            comma = "," if index < len(members) - 1 else ""
            self.emit(1, _member(member) + comma, member.span.start)

    def fields(self, fields: Sequence[nodes.FieldDecl]) -> None:
        for field in fields:
            self.type_tail(1, f"{field.name.text}: ", field.type, _label(field.description), field.span.start)

    def type_tail(self, indent: int, prefix: str, type_: nodes.TypeExpr, suffix: str, key: int) -> None:
        """`prefix`, a type and `suffix`; a type ending in `one of (...)` opens when too long.

        The members then take a line each, two levels further in, and `)` follows the last.
        """
        text = format_type(type_)
        enum = _trailing_enum(type_)
        if enum is None or not enum.members:
            self.emit(indent, prefix + text + suffix, key)
            return
        members = enum.members
        opening = self.src.before(members[0].span.start, enum.span.start)
        close = enum.span.end - 1
        forced = self.src.comment_in(own=(opening + 1, close + 1), end=(opening + 1, members[-1].span.start))
        if _width(indent, prefix + text) <= WIDTH and not forced:  # a description may run on
            self.emit(indent, prefix + text + suffix, key)
            return
        head = text[: len(text) - len(format_type(enum))]
        self.emit(indent, prefix + head + "one of (", key)
        for index, member in enumerate(members):
            end = "," if index < len(members) - 1 else ")" + suffix
            self.emit(indent + 2, _member(member) + end, member.span.start)

    def for_each(self, for_each: nodes.ForEach | None) -> str:
        if for_each is None:
            return ""
        return f" for each {for_each.var.text} in {_expr(for_each.source, 0)}"

    def lets(self, lets: Sequence[nodes.LetBinding]) -> None:
        """A decision's `let` lines, before its clauses."""
        for let in lets:
            self.tail(1, f"let {let.name.text} = ", let.value, let.span.start, 3)

    def table(self, decl: nodes.TableDecl) -> None:
        """`table name: K -> V`, then one row a line, separated by commas."""
        header = f"table {decl.name.text}{_label(decl.label)}: {format_type(decl.key_type)} -> "
        self.emit(0, header + format_type(decl.value_type), decl.span.start)
        last = len(decl.rows) - 1
        for index, row in enumerate(decl.rows):
            key = _quote(row.key.text) if row.quoted else row.key.text
            self.tail(1, f"{key} -> ", row.value, row.span.start, 3)
            if index != last:
                self.lines[-1].text += ","

    def clauses(self, clauses: Sequence[nodes.Clause]) -> None:
        for clause in clauses:
            if isinstance(clause, nodes.WhenClause):
                self.tail(1, _expr(clause.outcome, 0) + " when ", clause.condition, clause.span.start, 3)
            else:
                self.tail(1, "otherwise ", clause.outcome, clause.span.start, 3)
            if clause.reason is not None:
                key = self.src.before(clause.reason.span.start, clause.span.start)
                self.emit(2, f'because "{clause.reason.raw}"', key)
            if clause.citation is not None:
                key = self.src.before(clause.citation.span.start, clause.span.start)
                self.emit(2, "cite " + _quote(clause.citation.value), key)
            self.in_force(2, clause.in_force, clause.span.start)

    def property(self, decl: nodes.InvariantDecl | nodes.MonotonicDecl) -> None:
        """`invariant name:` or `monotonic name:`, its statement on the next line, then its reason and citation."""
        start = decl.span.start
        if isinstance(decl, nodes.InvariantDecl):
            self.emit(0, f"invariant {decl.name.text}{self.for_each(decl.for_each)}:", start)
            at: int = decl.condition.span.start
            if decl.guard is not None:
                self.tail(1, _expr(decl.condition, 0) + " when ", decl.guard, at, 3)
            else:
                self.tail(1, "", decl.condition, at, 3)
        else:
            self.emit(0, f"monotonic {decl.name.text}:", start)
            path = ".".join(n.text for n in decl.input)
            text = f"{decl.judgement.text} never {decl.moves.text} as {path} {decl.input_moves.text}"
            self.emit(1, text, decl.judgement.span.start)
        if decl.reason is not None:
            self.emit(2, f'because "{decl.reason.raw}"', self.src.before(decl.reason.span.start, start))
        if decl.citation is not None:
            self.emit(2, "cite " + _quote(decl.citation.value), self.src.before(decl.citation.span.start, start))

    def in_force(self, indent: int, dates: nodes.InForce | None, default: int) -> None:
        """`effective from D until D` on its own line, its `because "note"` one level further in."""
        if dates is None:
            return
        text = "effective"
        if dates.start is not None:
            text += " from " + dates.start.isoformat()
        if dates.until is not None:
            text += " until " + dates.until.isoformat()
        key = dates.span.start if dates.span is not None else default  # the span starts at `effective`
        self.emit(indent, text, key)
        if dates.note is not None:
            self.emit(indent + 1, "because " + _quote(dates.note.value), self.src.before(dates.note.span.start, key))

    def example(self, decl: nodes.ExampleDecl) -> None:
        start = decl.span.start
        self.emit(0, "example " + _quote(decl.title.value), start)
        if decl.citation is not None:
            self.emit(1, "cite " + _quote(decl.citation.value), self.src.before(decl.citation.span.start, start))
        given = decl.given
        key = self.src.before(given.span.start, start)
        if isinstance(given, nodes.GivenFile):
            self.emit(1, "given file " + _quote(given.path.value), key)
        else:
            value = json.loads(given.text, parse_float=Decimal)
            where = self.src.json_positions(given.span.start, given.span.end)
            self.json(1, "given ", value, where, "", key)
        if decl.as_of is not None:
            self.emit(1, "as of " + decl.as_of.isoformat(), self.src.after(given.span.end, key))
        for expectation in decl.expectations:
            self.expectation(expectation)

    def expectation(self, expectation: nodes.Expectation) -> None:
        at = expectation.span.start
        match expectation:
            case nodes.ExpectValue():
                self.tail(1, f"expect {expectation.name.text} = ", expectation.value, at, 3)
            case nodes.ExpectUndetermined():
                self.emit(1, f"expect {expectation.name.text} is undetermined", at)
            case nodes.ExpectNotInForce():
                self.emit(1, f"expect {expectation.name.text} is not_in_force", at)
            case nodes.ExpectReason():
                self.emit(1, f"expect {expectation.name.text} because {_quote(expectation.reason.value)}", at)
            case nodes.ExpectDecidedBy():
                self.emit(1, f"expect {expectation.name.text} decided by clause {expectation.clause.number}", at)
            case nodes.ExpectUndeterminedAt():
                number = expectation.clause.number
                self.emit(1, f"expect {expectation.name.text} is undetermined at clause {number}", at)
            case nodes.ExpectReads():
                self.pointer_lines(f"expect {expectation.name.text} reads ", expectation.pointers, at)
            case nodes.ExpectMissing():
                self.pointer_lines(f"expect {expectation.name.text} is undetermined missing ", expectation.pointers, at)
            case nodes.ExpectStatus():
                self.emit(1, f"expect status {expectation.status.text}", at)
            case _:
                assert_never(expectation)

    def pointer_lines(self, prefix: str, pointers: nodes.PointerList, key: int) -> None:
        """`prefix` and a list of pointers: on one line if it fits and holds no comment, else one a line."""
        texts = [_quote(item.value) for item in pointers.items]
        flat = prefix + "[" + ", ".join(texts) + "]"
        opening, closing = pointers.span.start, pointers.span.end - 1
        if not texts or (_width(1, flat) <= WIDTH and not self.brackets_forced(opening, closing)):
            self.emit(1, flat, key)
            return
        self.emit(1, prefix + "[", key)
        keys = [self.src.after(opening + 1, pointers.items[0].span.start)] + [
            self.src.after(prev.span.end, item.span.start, skip=(",",))
            for prev, item in itertools.pairwise(pointers.items)
        ]
        for index, text in enumerate(texts):
            self.emit(2, text + ("," if index < len(texts) - 1 else ""), keys[index])
        self.emit(1, "]", closing, closing=True)

    # -- expressions that end a line

    def tail(self, indent: int, prefix: str, expr: nodes.Expr, key: int, cont: int) -> None:
        """`prefix` and `expr` from `indent`, breaking a trailing list or operator chain.

        Continuation lines of a chain start at indent `cont`.
        """
        flat = prefix + _expr(expr, 0)
        if _width(indent, flat) <= WIDTH and not self.forced(expr):
            self.emit(indent, flat, key)
        elif isinstance(expr, nodes.ListLit) and expr.items:
            self.list_lines(indent, prefix, expr, key, one_per_line=self.forced(expr))
        elif (chain := _chain(expr)) is not None:
            self.chain_lines(indent, prefix, chain, "", key, cont)
        else:
            self.emit(indent, flat, key)

    def chain_lines(self, indent: int, prefix: str, chain: _Chain, suffix: str, key: int, cont: int) -> None:
        """A chain broken before each operator: continuation lines at indent `cont`."""
        level, operands, ops = chain
        operators = self.operator_positions(operands)
        last = len(operands) - 1
        self.operand(indent, prefix, operands[0], level, suffix if last == 0 else "", key, cont + 1)
        for index, (op, operand, at) in enumerate(zip(ops, operands[1:], operators, strict=True), start=1):
            self.operand(cont, op + " ", operand, level + 1, suffix if index == last else "", at, cont + 1)

    def operand(self, indent: int, prefix: str, expr: nodes.Expr, need: int, suffix: str, key: int, cont: int) -> None:
        """One operand of a broken chain; a parenthesised chain that does not fit breaks too."""
        text = prefix + _expr(expr, need) + suffix
        inner = _chain(expr) if _level(expr) < need or _kept(expr, need) else None
        if inner is None or _width(indent, text) <= WIDTH:
            self.emit(indent, text, key)
            return
        self.chain_lines(indent, prefix + "(", inner, ")" + suffix, key, cont)

    def forced(self, expr: nodes.Expr) -> bool:
        """Whether a comment inside a trailing list or chain forces it open."""
        if isinstance(expr, nodes.ListLit):
            return bool(expr.items) and self.brackets_forced(expr.span.start, expr.span.end - 1)
        chain = _chain(expr)
        if chain is None:
            return False
        operands = chain[1]
        return self.chain_has_comment(operands, self.operator_positions(operands))

    def operator_positions(self, operands: Sequence[nodes.Expr]) -> list[int]:
        """Where the `and`/`or` before each operand after the first sits in the source."""
        return [
            self.src.after(left.span.end, right.span.start, skip=(")",)) for left, right in itertools.pairwise(operands)
        ]

    def chain_has_comment(self, operands: Sequence[nodes.Expr], operators: Sequence[int]) -> bool:
        """Whether a comment between the operands of a chain forces it open: an own-line
        comment from the second operator to the end of the chain, or an end-of-line comment
        from the end of the first operand up to the last operator."""
        return self.src.comment_in(
            own=(operators[0], operands[-1].span.end), end=(operands[0].span.end - 1, operators[-1])
        )

    def brackets_forced(self, opening: int, closing: int) -> bool:
        """Whether a comment inside brackets forces them open (not one right after the
        opening bracket on its line: the layout leaves that one there)."""
        return self.src.comment_in(own=(opening + 1, closing + 1), end=(opening + 1, closing))

    def list_lines(self, indent: int, prefix: str, expr: nodes.ListLit, key: int, *, one_per_line: bool) -> None:
        self.emit(indent, prefix + "[", key)
        items = expr.items
        keys = [self.src.after(expr.span.start + 1, items[0].span.start)] + [
            self.src.after(prev.span.end, item.span.start, skip=(")", ",")) for prev, item in itertools.pairwise(items)
        ]
        texts = [_expr(item, 0) for item in items]
        if one_per_line or not all(_is_plain(item) for item in items):
            for index, text in enumerate(texts):
                comma = "," if index < len(texts) - 1 else ""
                self.emit(indent + 1, text + comma, keys[index])
        else:
            self.fill(indent + 1, texts, keys)
        self.emit(indent, "]", expr.span.end - 1, closing=True)

    def fill(self, indent: int, texts: Sequence[str], keys: Sequence[int], suffix: str = "") -> None:
        """Items separated by `, `, as many to a line as fit."""
        line: list[str] = []
        line_key = keys[0] if keys else 0
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            piece = text + ("," if not last else suffix)
            candidate = " ".join([*line, piece])
            if line and _width(indent, candidate) > WIDTH:
                self.emit(indent, " ".join(line), line_key)
                line, line_key = [], keys[index]
            line.append(piece)
        if line:
            self.emit(indent, " ".join(line), line_key)

    # -- JSON

    def json(self, indent: int, prefix: str, value: Any, where: _JPos | None, suffix: str, key: int) -> None:
        """`prefix`, the JSON `value` and `suffix` from `indent`, opened up as needed."""
        flat = prefix + _json_flat(value) + suffix
        is_object = isinstance(value, dict)
        if not (is_object or isinstance(value, list)) or not value:
            self.emit(indent, flat, key)
            return
        if where is not None and len(where.members) != len(value):
            where = None
        forced = where is not None and self.brackets_forced(where.start, where.close)
        if _width(indent, flat) <= WIDTH and not forced:
            self.emit(indent, flat, key)
            return
        members = where.members if where is not None else tuple((key, None) for _ in value)
        self.emit(indent, prefix + ("{" if is_object else "["), key)
        if is_object:
            for index, ((name, item), (at, place)) in enumerate(zip(value.items(), members, strict=True)):
                comma = "," if index < len(value) - 1 else ""
                self.json(indent + 1, _quote(name) + ": ", item, place, comma, at)
        elif not forced and not any(isinstance(item, dict | list) for item in value):
            self.fill(indent + 1, [_json_flat(item) for item in value], [at for at, _ in members])
        else:
            for index, (item, (at, place)) in enumerate(zip(value, members, strict=True)):
                comma = "," if index < len(value) - 1 else ""
                self.json(indent + 1, "", item, place, comma, at)
        close = where.close if where is not None else key
        self.emit(indent, ("}" if is_object else "]") + suffix, close, closing=True)


def _json_flat(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quote(k)}: {_json_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_flat(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")

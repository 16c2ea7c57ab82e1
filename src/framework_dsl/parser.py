"""The parse stage: rule text -> `nodes.RuleFile`, or syntax diagnostics.

`parse_source` runs the LALR parser over the whole file. When that fails, it parses
the file again one top-level declaration at a time (a declaration starts with its
keyword at the start of a line), so one run reports a syntax error in every broken
declaration, not just the first. Lark's exceptions become diagnostics that name what
was found, list what would have been accepted, and suggest the likely fix.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import sys
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from framework_dsl import canonical_json, nodes
from framework_dsl.diagnostics import Diagnostic, Label, did_you_mean
from framework_dsl.grammar import rule_parser
from framework_dsl.source import SourceFile, Span
from framework_dsl.syntax_hints import (
    declaration_hint,
    format_spec_attempt,
    keyword_declarations,
    keyword_hint,
    keyword_use,
    natural_attempt,
)

DECLARATION_KEYWORDS = (
    "framework",
    "import",
    "outcome",
    "scale",
    "enum",
    "record",
    "evidence",
    "define",
    "judgement",
    "check",
    "example",
    "table",
    "invariant",
    "monotonic",
)
_DECLARATION_START = re.compile(r"^(?:" + "|".join(DECLARATION_KEYWORDS) + r")\b", re.MULTILINE)
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_ROUND_BRACKET = re.compile(r"[()]")

_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": 'a quoted text ("...")',
    "DATE": "a date (YYYY-MM-DD)",
    "NUMBER": "a number",
    "$END": "the end of the file",
    "NOT_IN": "`not in`",
    "PLACE": "`decimal place`",
    "PLACES": "`decimal places`",
    "ARROW": "`->`",
}
_DURATION_UNITS = {"DAY", "DAYS", "WEEK", "WEEKS", "MONTH", "MONTHS", "YEAR", "YEARS"}
# Python turns at most this many digits into an integer (`sys.get_int_max_str_digits`).
_MAX_INTEGER_DIGITS = sys.get_int_max_str_digits() or 4300


def parse_source(source: SourceFile) -> tuple[nodes.RuleFile | None, list[Diagnostic]]:
    """Parse one rule file. Returns the tree, or None with every syntax diagnostic."""
    problems: list[Diagnostic] = []
    try:
        items = _parse_items(source, source.text, 0, problems)
    except UnexpectedInput:
        return None, _diagnose_by_declaration(source)
    if problems:
        return None, problems
    comments = tuple(
        nodes.Comment(text=m.group(0), span=Span(source, m.start(), m.end()))
        for m in _STRING_OR_COMMENT.finditer(source.text)
        if m.group(0).startswith("#")
    )
    return (
        nodes.RuleFile(
            items=items,
            comments=comments,
            span=Span(source, 0, len(source.text)),
            parenthesised=_bracketed(source.text),
        ),
        [],
    )


def _bracketed(text: str) -> frozenset[tuple[int, int]]:
    """The `(start, end)` of what each pair of round brackets encloses, white space trimmed.

    Round brackets in rule text only group expressions (and enclose `one of (...)`
    members, whose extent no expression shares), so an expression whose span is one of
    these was written in brackets.
    """
    # Quoted text becomes other characters of its length (it is an operand), comments space.
    masked = _STRING_OR_COMMENT.sub(lambda m: (" " if m.group(0)[0] == "#" else "_") * len(m.group(0)), text)
    found = set()
    opened: list[int] = []
    for match in _ROUND_BRACKET.finditer(masked):
        index = match.start()
        if match.group() == "(":
            opened.append(index)
        elif opened:
            start = opened.pop() + 1
            inner = masked[start:index]
            first = start + (len(inner) - len(inner.lstrip()))
            last = start + len(inner.rstrip())
            if first < last:
                found.add((first, last))
    return frozenset(found)


def parse_expression(source: SourceFile, text: str, offset: int) -> nodes.Expr:
    """Parse `text` (found at `offset` in `source`) as a single expression."""
    problems: list[Diagnostic] = []
    tree = rule_parser().parse(text, start="interpolation")
    if _too_deep(tree, source, offset, problems):
        raise _TemplateError(problems)
    builder = _Builder(source, offset, problems)
    result: nodes.Expr = builder.transform(tree)
    if problems:
        raise _TemplateError(problems)
    return result


def _split_lets(children: list[Any]) -> tuple[list[nodes.LetBinding], list[Any]]:
    """A decision's `let` lines (which the grammar puts before its clauses) and its clauses."""
    lets = [c for c in children if isinstance(c, nodes.LetBinding)]
    return lets, [c for c in children if not isinstance(c, nodes.LetBinding)]


class _TemplateError(Exception):
    def __init__(self, problems: list[Diagnostic]) -> None:
        super().__init__("template")
        self.problems = problems


def _parse_items(source: SourceFile, text: str, offset: int, problems: list[Diagnostic]) -> tuple[nodes.Decl, ...]:
    tree = rule_parser().parse(text, start="start")
    if _too_deep(tree, source, offset, problems):
        return ()
    builder = _Builder(source, offset, problems)
    try:
        items: tuple[nodes.Decl, ...] = builder.transform(tree)
    except VisitError as error:  # pragma: no cover - a builder bug, not user input
        raise error.orig_exc from error
    return items


# Deeper than any rule a person writes, and shallow enough that every later stage
# (each walks expressions recursively) stays far inside Python's recursion limit.
MAX_NESTING = 100


def _too_deep(tree: Tree[Token], source: SourceFile, offset: int, problems: list[Diagnostic]) -> bool:
    """Report (once) an expression nested more than MAX_NESTING levels; iterative."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            start = offset + (0 if node.meta.empty else node.meta.start_pos)
            end = offset + (1 if node.meta.empty else node.meta.end_pos)
            problems.append(
                Diagnostic(
                    code="syntax.too-deep",
                    message=f"this is nested more than {MAX_NESTING} levels deep",
                    span=Span(source, start, max(end, start + 1)),
                    hint="split the expression with `define` so each part reads on its own",
                )
            )
            return True
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return False


def _diagnose_by_declaration(source: SourceFile) -> list[Diagnostic]:
    starts = [m.start() for m in _DECLARATION_START.finditer(source.text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(source.text)]
    problems: list[Diagnostic] = []
    keywords = keyword_declarations(source)  # `define all = ...`: its uses cannot parse
    uses: dict[str, list[Span]] = {}
    for start, end in itertools.pairwise(bounds):
        chunk = source.text[start:end]
        if not chunk.strip():
            continue
        try:
            _parse_items(source, chunk, start, problems)
        except UnexpectedInput as error:
            found = _syntax_diagnostic(source, error, start, end)
            at = found.span.start if found.span is not None else end
            used = keyword_use(source, start, at, {name for name, _ in keywords}, {s.start for _, s in keywords})
            if used is None:
                problems.append(found)
            else:
                uses.setdefault(used[0], []).append(used[1])
    for name, span in keywords:
        if name in uses or not problems:
            labels = tuple(Label(use, "read as the keyword here") for use in uses.get(name, []))
            problems.append(
                Diagnostic(
                    code="names.keyword",
                    message=f"`{name}` is a keyword; choose another name",
                    span=span,
                    hint=keyword_hint(name),
                    labels=labels,
                )
            )
    if not problems:  # the declarations parse alone but not together
        try:
            rule_parser().parse(source.text, start="start")
        except UnexpectedInput as error:
            problems.append(_syntax_diagnostic(source, error, 0, len(source.text)))
    return problems


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    if name in _DURATION_UNITS:
        return "a duration unit (days, weeks, months, years)"
    for terminal in rule_parser().terminals:
        if terminal.name == name:
            value = terminal.pattern.value
            if terminal.pattern.type == "str":
                return f"`{value}`"
    return name.lower()


def _keyword_values(expected: set[str]) -> list[str]:
    words = []
    for terminal in rule_parser().terminals:
        if terminal.name in expected and terminal.pattern.type == "str":
            value = str(terminal.pattern.value)
            if value.isidentifier():
                words.append(value)
    return words


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput, offset: int, limit: int | None = None) -> Diagnostic:
    """The diagnostic for a parse error: a newcomer's habit when one explains it, else what lark saw."""
    generic = _lark_diagnostic(source, error, offset, limit)
    at = generic.span.start if generic.span is not None else offset
    natural = natural_attempt(source, offset, len(source.text) if limit is None else limit, at)
    return natural if natural is not None else generic


def _lark_diagnostic(source: SourceFile, error: UnexpectedInput, offset: int, limit: int | None = None) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        position = offset + (error.pos_in_stream or 0)
        char = source.text[position : position + 1]
        hint = None
        if char == "'":
            hint = 'quoted text uses double quotes: "like this"'
        elif char == "-":
            hint = "there is no unary minus; write the subtraction in full, for example `0 - 1`"
        return Diagnostic(
            code="syntax.unexpected-character",
            message=f"unexpected character `{char}`",
            span=Span(source, position, position + 1),
            hint=hint,
        )
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        limit = len(source.text) if limit is None else limit
        end = len(source.text[:limit].rstrip())
        expected = sorted(getattr(error, "expected", ()) or ())
        return Diagnostic(
            code="syntax.unexpected-end",
            message="the file ends in the middle of a declaration",
            span=Span(source, max(0, end - 1), end),
            hint=_expected_hint(set(expected)),
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    start = offset + (token.start_pos or 0)
    end = offset + (token.end_pos or start)
    accepted = set(error.accepts or error.expected)
    found = f"name `{token}`" if token.type == "NAME" else f"`{token}`"
    hint = None
    if token.type == "NAME":
        hint = did_you_mean(str(token), _keyword_values(accepted))
    if hint is None:
        hint = declaration_hint(source, offset, start, str(token))
    if hint is None and accepted == {"CLAUSE"}:
        hint = (
            "a clause is named by its number, counting from 1 in the order written: "
            "`clause 3` (not its line, which `fmt` may move)"
        )
    if hint is None and "WHEN" in accepted and "BECAUSE" in accepted:
        hint = (
            'a clause reads `OUTCOME when CONDITION because "..." cite "..."`; '
            "the last may read `otherwise OUTCOME ...`"
        )
    if hint is None:
        hint = _expected_hint(accepted)
    return Diagnostic(
        code="syntax.unexpected-token",
        message=f"unexpected {found}",
        span=Span(source, start, max(end, start + 1)),
        hint=hint,
    )


def _expected_hint(expected: set[str]) -> str | None:
    described = sorted({_describe_terminal(name) for name in expected})
    if not described:
        return None
    if len(described) > 10:
        described = [*described[:10], "…"]
    return "expected " + ", ".join(described)


# ---------------------------------------------------------------- tree -> nodes


def _is_type(value: object) -> bool:
    return isinstance(
        value,
        nodes.NamedType
        | nodes.RangedType
        | nodes.OptionalType
        | nodes.ListType
        | nodes.SetType
        | nodes.MapType
        | nodes.InlineEnum
        | nodes.CollectType,
    )


class _Json:
    """A JSON value written inside an example, with its extent."""

    def __init__(self, value: Any, start: int, end: int) -> None:
        self.value = value
        self.start = start
        self.end = end


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Builds `nodes` from Lark's parse tree. Method names are grammar rule names."""

    def __init__(self, source: SourceFile, offset: int, problems: list[Diagnostic]) -> None:
        super().__init__()
        self.source = source
        self.offset = offset
        self.problems = problems

    # -- helpers

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, self.offset, self.offset)
        return Span(self.source, self.offset + meta.start_pos, self.offset + meta.end_pos)

    def _tok_span(self, token: Token) -> Span:
        start = self.offset + (token.start_pos or 0)
        return Span(self.source, start, self.offset + (token.end_pos or start))

    def _name(self, token: Token) -> nodes.Name:
        return nodes.Name(text=str(token), span=self._tok_span(token))

    def _unquote(self, token: Token) -> str:
        try:
            value: str = json.loads(str(token))
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message=(
                        "this quoted text holds a lone surrogate escape (such as \\ud800), which is not a character"
                    ),
                    span=self._tok_span(token),
                    hint="write the character itself, or a high-low pair of escapes that encodes one character",
                )
            )
            return str(token)[1:-1]
        except json.JSONDecodeError:
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message="this quoted text has an escape sequence the language does not know",
                    span=self._tok_span(token),
                    hint='use \\" for a quote, \\\\ for a backslash, \\n for a new line',
                )
            )
            return str(token)[1:-1]
        return value

    def _text(self, token: Token) -> nodes.Text:
        return nodes.Text(value=self._unquote(token), span=self._tok_span(token))

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message=f"`{token}` is not a real date",
                    span=self._tok_span(token),
                    hint="dates are written YYYY-MM-DD, for example 2018-04-01",
                )
            )
            return datetime.date(1, 1, 1)

    # -- file

    def start(self, meta: Any, children: list[Any]) -> tuple[nodes.Decl, ...]:
        return tuple(children)

    def interpolation(self, meta: Any, children: list[Any]) -> nodes.Expr:
        return children[0]  # type: ignore[no-any-return]

    # -- framework header

    def framework_decl(self, meta: Any, children: list[Any]) -> nodes.FrameworkDecl:
        name, title, *props = children
        values: dict[str, Any] = {"source": None, "from": None, "until": None, "dated": None}
        for prop in props:
            if prop[0] == "effective":
                values["from"], values["until"] = prop[1], prop[2]
            else:
                values[prop[0]] = prop[1]
        return nodes.FrameworkDecl(
            name=self._name(name),
            title=self._text(title),
            source_text=values["source"],
            effective_from=values["from"],
            effective_until=values["until"],
            dated_by=values["dated"],
            span=self._span(meta),
        )

    def source_prop(self, meta: Any, children: list[Any]) -> tuple[str, nodes.Text]:
        return ("source", self._text(children[0]))

    def effective_prop(self, meta: Any, children: list[Any]) -> tuple[str, Any, Any]:
        start = self._date(children[0])
        until = self._date(children[1]) if len(children) > 1 else None
        return ("effective", start, until)

    def dated_prop(self, meta: Any, children: list[Any]) -> tuple[str, tuple[nodes.Name, ...]]:
        return ("dated", children[0])

    def field_path(self, meta: Any, children: list[Any]) -> tuple[nodes.Name, ...]:
        return tuple(self._name(t) for t in children)

    # -- modules

    def import_module(self, meta: Any, children: list[Any]) -> nodes.ImportModule:
        alias = self._name(children[1]) if len(children) > 1 else None
        return nodes.ImportModule(path=children[0], alias=alias, span=self._span(meta))

    def import_names(self, meta: Any, children: list[Any]) -> nodes.ImportNames:
        return nodes.ImportNames(names=children[0], path=children[1], span=self._span(meta))

    name_list = field_path
    module_path = field_path

    # -- vocabulary

    def outcome_decl(self, meta: Any, children: list[Any]) -> nodes.OutcomeDecl:
        label = self._text(children[1]) if len(children) > 1 else None
        return nodes.OutcomeDecl(name=self._name(children[0]), label=label, span=self._span(meta))

    def scale_decl(self, meta: Any, children: list[Any]) -> nodes.ScaleDecl:
        name, *rest = children
        label = None
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":
            label = self._text(rest.pop(0))
        grades = [child for child in rest if isinstance(child, nodes.Grade)]
        return nodes.ScaleDecl(name=self._name(name), label=label, grades=grades, span=self._span(meta))

    def grade(self, meta: Any, children: list[Any]) -> nodes.Grade:
        label = self._text(children[1]) if len(children) > 1 else None
        return nodes.Grade(name=self._name(children[0]), label=label, span=self._span(meta))

    def enum_decl(self, meta: Any, children: list[Any]) -> nodes.EnumDecl:
        name, *rest = children
        label = None
        if rest and isinstance(rest[0], Token):
            label = self._text(rest.pop(0))
        return nodes.EnumDecl(name=self._name(name), label=label, members=rest, span=self._span(meta))

    def member(self, meta: Any, children: list[Any]) -> nodes.Member:
        token = children[0]
        quoted = token.type == "STRING"
        text = self._unquote(token) if quoted else str(token)
        label = self._text(children[1]) if len(children) > 1 else None
        return nodes.Member(
            name=nodes.Name(text=text, span=self._tok_span(token)),
            label=label,
            quoted=quoted,
            span=self._span(meta),
        )

    # -- evidence schema

    def record_decl(self, meta: Any, children: list[Any]) -> nodes.RecordDecl:
        name, *rest = children
        label = None
        if rest and isinstance(rest[0], Token):
            label = self._text(rest.pop(0))
        return nodes.RecordDecl(name=self._name(name), label=label, fields=rest, span=self._span(meta))

    def evidence_decl(self, meta: Any, children: list[Any]) -> nodes.EvidenceDecl:
        return nodes.EvidenceDecl(fields=children, span=self._span(meta))

    def field_decl(self, meta: Any, children: list[Any]) -> nodes.FieldDecl:
        description = self._text(children[2]) if len(children) > 2 else None
        return nodes.FieldDecl(
            name=self._name(children[0]), type=children[1], description=description, span=self._span(meta)
        )

    def named_type(self, meta: Any, children: list[Any]) -> nodes.NamedType:
        return nodes.NamedType(names=children, span=self._span(meta))

    def ranged_type(self, meta: Any, children: list[Any]) -> nodes.RangedType:
        """`ranged_type: qualified_name "from" _range_bound ("to" _range_bound)?`, `_range_bound: MINUS? NUMBER`."""
        base, *tokens = children
        bounds: list[Decimal] = []
        negative = False
        for token in tokens:
            if token.type == "MINUS":
                negative = True
                continue
            value = Decimal(str(token))
            bounds.append(-value if negative else value)
            negative = False
        return nodes.RangedType(
            base=base, low=bounds[0], high=bounds[1] if len(bounds) > 1 else None, span=self._span(meta)
        )

    def optional_type(self, meta: Any, children: list[Any]) -> nodes.OptionalType:
        return nodes.OptionalType(inner=children[0], span=self._span(meta))

    def list_type(self, meta: Any, children: list[Any]) -> nodes.ListType:
        return nodes.ListType(element=children[0], span=self._span(meta))

    def set_type(self, meta: Any, children: list[Any]) -> nodes.SetType:
        return nodes.SetType(element=children[0], span=self._span(meta))

    def map_type(self, meta: Any, children: list[Any]) -> nodes.MapType:
        return nodes.MapType(key=children[0], value=children[1], span=self._span(meta))

    def inline_enum(self, meta: Any, children: list[Any]) -> nodes.InlineEnum:
        return nodes.InlineEnum(members=children, span=self._span(meta))

    def collect_type(self, meta: Any, children: list[Any]) -> nodes.CollectType:
        return nodes.CollectType(element=children[0], span=self._span(meta))

    def qualified_name(self, meta: Any, children: list[Any]) -> nodes.QualifiedName:
        return nodes.QualifiedName(parts=[self._name(t) for t in children], span=self._span(meta))

    # -- definitions and decisions

    def define_decl(self, meta: Any, children: list[Any]) -> nodes.DefineDecl:
        name = children[0]
        type_ = children[1] if _is_type(children[1]) else None
        return nodes.DefineDecl(name=self._name(name), type=type_, value=children[-1], span=self._span(meta))

    def judgement_decl(self, meta: Any, children: list[Any]) -> nodes.JudgementDecl:
        name, *rest = children
        for_each = rest.pop(0) if isinstance(rest[0], nodes.ForEach) else None
        type_ = rest.pop(0)
        in_force = rest.pop(0) if rest and isinstance(rest[0], nodes.InForce) else None
        lets, clauses = _split_lets(rest)
        return nodes.JudgementDecl(
            name=self._name(name),
            for_each=for_each,
            type=type_,
            clauses=clauses,
            lets=lets,
            in_force=in_force,
            span=self._span(meta),
        )

    def check_decl(self, meta: Any, children: list[Any]) -> nodes.CheckDecl:
        name, *rest = children
        for_each = rest.pop(0) if rest and isinstance(rest[0], nodes.ForEach) else None
        in_force = rest.pop(0) if rest and isinstance(rest[0], nodes.InForce) else None
        lets, clauses = _split_lets(rest)
        return nodes.CheckDecl(
            name=self._name(name),
            for_each=for_each,
            clauses=clauses,
            lets=lets,
            in_force=in_force,
            span=self._span(meta),
        )

    # -- declared properties

    def invariant_decl(self, meta: Any, children: list[Any]) -> nodes.InvariantDecl:
        """invariant_decl: "invariant" NAME for_each? ":" _expr ("when" _expr)? reason? citation?"""
        name, *rest = children
        for_each = rest.pop(0) if rest and isinstance(rest[0], nodes.ForEach) else None
        reason = next((c for c in rest if isinstance(c, nodes.Template)), None)
        citation = next((c for c in rest if isinstance(c, nodes.Text)), None)
        exprs = [c for c in rest if not isinstance(c, nodes.Template | nodes.Text)]
        return nodes.InvariantDecl(
            name=self._name(name),
            for_each=for_each,
            condition=exprs[0],
            guard=exprs[1] if len(exprs) > 1 else None,
            reason=reason,
            citation=citation,
            span=self._span(meta),
        )

    def monotonic_decl(self, meta: Any, children: list[Any]) -> nodes.MonotonicDecl:
        """monotonic_decl: "monotonic" NAME ":" NAME "never" NAME "as" field_path NAME reason? citation?"""
        name, judgement, moves, path, input_moves, *rest = children
        reason = next((c for c in rest if isinstance(c, nodes.Template)), None)
        citation = next((c for c in rest if isinstance(c, nodes.Text)), None)
        return nodes.MonotonicDecl(
            name=self._name(name),
            judgement=self._name(judgement),
            moves=self._name(moves),
            input=path,
            input_moves=self._name(input_moves),
            reason=reason,
            citation=citation,
            span=self._span(meta),
        )

    # -- dated rules

    def in_force(self, meta: Any, children: list[Any]) -> nodes.InForce:
        """`in_force: "effective" in_force_from in_force_until? in_force_note?
        | "effective" in_force_until in_force_note?`"""
        parts = dict(children)
        return nodes.InForce(
            start=parts.get("from"), until=parts.get("until"), note=parts.get("note"), span=self._span(meta)
        )

    def in_force_from(self, meta: Any, children: list[Any]) -> tuple[str, datetime.date]:
        return ("from", self._date(children[0]))

    def in_force_until(self, meta: Any, children: list[Any]) -> tuple[str, datetime.date]:
        return ("until", self._date(children[0]))

    def in_force_note(self, meta: Any, children: list[Any]) -> tuple[str, nodes.Text]:
        return ("note", self._text(children[0]))

    def let_binding(self, meta: Any, children: list[Any]) -> nodes.LetBinding:
        """let_binding: "let" NAME EQ _expr"""
        return nodes.LetBinding(name=self._name(children[0]), value=children[-1], span=self._span(meta))

    def table_decl(self, meta: Any, children: list[Any]) -> nodes.TableDecl:
        """table_decl: "table" NAME STRING? ":" _type ARROW _type table_row ("," table_row)*"""
        name, *rest = children
        label = self._text(rest.pop(0)) if isinstance(rest[0], Token) and rest[0].type == "STRING" else None
        key_type = rest.pop(0)
        rest = [c for c in rest if not (isinstance(c, Token) and c.type == "ARROW")]
        value_type = rest.pop(0)
        return nodes.TableDecl(
            name=self._name(name),
            label=label,
            key_type=key_type,
            value_type=value_type,
            rows=rest,
            span=self._span(meta),
        )

    def table_row(self, meta: Any, children: list[Any]) -> nodes.TableRow:
        """table_row: (NAME | STRING) ARROW _expr"""
        key = children[0]
        quoted = key.type == "STRING"
        name = nodes.Name(text=self._unquote(key), span=self._tok_span(key)) if quoted else self._name(key)
        return nodes.TableRow(key=name, quoted=quoted, value=children[-1], span=self._span(meta))

    def for_each(self, meta: Any, children: list[Any]) -> nodes.ForEach:
        return nodes.ForEach(var=self._name(children[0]), source=children[1], span=self._span(meta))

    def when_clause(self, meta: Any, children: list[Any]) -> nodes.WhenClause:
        outcome, condition, *rest = children
        reason = next((c for c in rest if isinstance(c, nodes.Template)), None)
        citation = next((c for c in rest if isinstance(c, nodes.Text)), None)
        in_force = next((c for c in rest if isinstance(c, nodes.InForce)), None)
        return nodes.WhenClause(
            outcome=outcome,
            condition=condition,
            reason=reason,
            citation=citation,
            in_force=in_force,
            span=self._span(meta),
        )

    def otherwise_clause(self, meta: Any, children: list[Any]) -> nodes.OtherwiseClause:
        outcome, *rest = children
        reason = next((c for c in rest if isinstance(c, nodes.Template)), None)
        citation = next((c for c in rest if isinstance(c, nodes.Text)), None)
        in_force = next((c for c in rest if isinstance(c, nodes.InForce)), None)
        return nodes.OtherwiseClause(
            outcome=outcome, reason=reason, citation=citation, in_force=in_force, span=self._span(meta)
        )

    def reason(self, meta: Any, children: list[Any]) -> nodes.Template:
        return self._template(children[0])

    def citation(self, meta: Any, children: list[Any]) -> nodes.Text:
        return self._text(children[0])

    def _template(self, token: Token) -> nodes.Template:
        raw = str(token)[1:-1]
        base = self.offset + (token.start_pos or 0) + 1
        parts: list[str | nodes.Interpolation] = []
        literal = ""
        index = 0
        while index < len(raw):
            ch = raw[index]
            if raw.startswith("{{", index) or raw.startswith("}}", index):
                literal += ch
                index += 2
                continue
            if ch == "\\" and index + 1 < len(raw):
                literal += raw[index : index + 2]
                index += 2
                continue
            if ch == "{":
                close = raw.find("}", index)
                if close < 0:
                    self._bad_template(base + index, base + len(raw), "this `{` is never closed")
                    literal += raw[index:]
                    break
                if literal:
                    parts.append(self._unquote_segment(literal, token))
                    literal = ""
                expr_text = raw[index + 1 : close]
                parts.append(self._interpolate(expr_text, base + index + 1, base + index, base + close + 1))
                index = close + 1
                continue
            if ch == "}":
                self._bad_template(base + index, base + index + 1, "this `}` has no opening `{`")
            literal += ch
            index += 1
        if literal:
            parts.append(self._unquote_segment(literal, token))
        return nodes.Template(parts=parts, raw=raw, span=self._tok_span(token))

    def _unquote_segment(self, segment: str, token: Token) -> str:
        try:
            value: str = json.loads('"' + segment + '"')
        except json.JSONDecodeError:
            self._unquote(token)  # reports the bad escape once, at the whole text
            return segment
        return value

    def _interpolate(self, text: str, offset: int, start: int, end: int) -> nodes.Interpolation | str:
        try:
            expr = parse_expression(self.source, text, offset)
        except UnexpectedInput as error:
            spec = format_spec_attempt(text)
            if spec is not None:  # `{pct:.1f}`, as in Python
                message, hint = spec
                problem = Diagnostic(
                    code="syntax.format-spec", message=message, span=Span(self.source, start, end), hint=hint
                )
            else:
                problem = _syntax_diagnostic(self.source, error, offset, offset + len(text))
            self.problems.append(problem)
            return ""
        except _TemplateError as error:
            self.problems.extend(error.problems)
            return ""
        return nodes.Interpolation(expr=expr, span=Span(self.source, start, end))

    def _bad_template(self, start: int, end: int, message: str) -> None:
        self.problems.append(
            Diagnostic(
                code="syntax.invalid-literal",
                message=message,
                span=Span(self.source, start, end),
                hint="write `{{` or `}}` for a literal brace; `{expression}` inserts a value",
            )
        )

    # -- examples

    def example_decl(self, meta: Any, children: list[Any]) -> nodes.ExampleDecl:
        title, *rest = children
        citation = rest.pop(0) if isinstance(rest[0], nodes.Text) else None
        given = rest.pop(0)
        if isinstance(given, _Json):
            given = nodes.JsonLiteral(
                text=canonical_json.dumps(given.value),
                span=Span(self.source, self.offset + given.start, self.offset + given.end),
            )
        as_of = rest.pop(0) if rest and isinstance(rest[0], datetime.date) else None
        return nodes.ExampleDecl(
            title=self._text(title),
            citation=citation,
            given=given,
            as_of=as_of,
            expectations=rest,
            span=self._span(meta),
        )

    def given_file(self, meta: Any, children: list[Any]) -> nodes.GivenFile:
        return nodes.GivenFile(path=self._text(children[0]), span=self._span(meta))

    def as_of_date(self, meta: Any, children: list[Any]) -> datetime.date:
        return self._date(children[0])

    def expect_value(self, meta: Any, children: list[Any]) -> nodes.ExpectValue:
        return nodes.ExpectValue(name=self._name(children[0]), value=children[-1], span=self._span(meta))

    def expect_undetermined(self, meta: Any, children: list[Any]) -> nodes.ExpectUndetermined:
        return nodes.ExpectUndetermined(name=self._name(children[0]), span=self._span(meta))

    def expect_not_in_force(self, meta: Any, children: list[Any]) -> nodes.ExpectNotInForce:
        return nodes.ExpectNotInForce(name=self._name(children[0]), span=self._span(meta))

    def expect_reason(self, meta: Any, children: list[Any]) -> nodes.ExpectReason:
        return nodes.ExpectReason(name=self._name(children[0]), reason=self._text(children[-1]), span=self._span(meta))

    def expect_decided_by(self, meta: Any, children: list[Any]) -> nodes.ExpectDecidedBy:
        return nodes.ExpectDecidedBy(name=self._name(children[0]), clause=children[-1], span=self._span(meta))

    def expect_undetermined_at(self, meta: Any, children: list[Any]) -> nodes.ExpectUndeterminedAt:
        return nodes.ExpectUndeterminedAt(name=self._name(children[0]), clause=children[-1], span=self._span(meta))

    def expect_reads(self, meta: Any, children: list[Any]) -> nodes.ExpectReads:
        return nodes.ExpectReads(name=self._name(children[0]), pointers=children[-1], span=self._span(meta))

    def expect_missing(self, meta: Any, children: list[Any]) -> nodes.ExpectMissing:
        return nodes.ExpectMissing(name=self._name(children[0]), pointers=children[-1], span=self._span(meta))

    def clause_number(self, meta: Any, children: list[Any]) -> nodes.ClauseNumber:
        token = children[0]
        text = str(token)
        if not text.isdigit() or int(text) == 0:
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message=f"`{text}` is not a clause number",
                    span=self._tok_span(token),
                    hint="clauses are numbered 1, 2, 3, ... in the order they are written",
                )
            )
        number = int(text) if text.isdigit() else 0
        return nodes.ClauseNumber(number=number, span=self._span(meta))

    def pointer_list(self, meta: Any, children: list[Any]) -> nodes.PointerList:
        return nodes.PointerList(items=[self._text(token) for token in children], span=self._span(meta))

    def expect_status(self, meta: Any, children: list[Any]) -> nodes.ExpectStatus:
        return nodes.ExpectStatus(status=self._name(children[0]), span=self._span(meta))

    def _json(self, meta: Any, value: Any) -> _Json:
        return _Json(value, meta.start_pos, meta.end_pos)

    def json_object(self, meta: Any, children: list[Any]) -> _Json:
        value: dict[str, Any] = {}
        for key, item in children:
            if key in value:
                self.problems.append(
                    Diagnostic(
                        code="examples.invalid",
                        message=f"the key `{key}` appears twice in this object",
                        span=Span(self.source, self.offset + item.start, self.offset + item.end),
                        hint="JSON objects hold each key once; remove one of them",
                    )
                )
            value[key] = item.value
        return self._json(meta, value)

    def json_pair(self, meta: Any, children: list[Any]) -> tuple[str, _Json]:
        return (self._unquote(children[0]), children[1])

    def json_array(self, meta: Any, children: list[Any]) -> _Json:
        return self._json(meta, [child.value for child in children])

    def json_string(self, meta: Any, children: list[Any]) -> _Json:
        return self._json(meta, self._unquote(children[0]))

    def json_number(self, meta: Any, children: list[Any]) -> _Json:
        text = "".join(str(c) for c in children)
        digits = len(text.lstrip("-"))
        if "." not in text and digits > _MAX_INTEGER_DIGITS:
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message=f"this whole number has {digits} digits, above the limit of {_MAX_INTEGER_DIGITS}",
                    span=self._span(meta),
                    hint="evidence cannot hold it either; use a smaller number",
                )
            )
            return self._json(meta, 0)
        value: Any = int(text) if "." not in text else Decimal(text)
        return self._json(meta, value)

    def json_true(self, meta: Any, children: list[Any]) -> _Json:
        return self._json(meta, True)

    def json_false(self, meta: Any, children: list[Any]) -> _Json:
        return self._json(meta, False)

    def json_null(self, meta: Any, children: list[Any]) -> _Json:
        return self._json(meta, None)

    # -- expressions

    def _binary(self, cls: Any, meta: Any, children: list[Any], op: str) -> Any:
        return cls(op=op, left=children[0], right=children[-1], span=self._span(meta))

    def or_op(self, meta: Any, children: list[Any]) -> nodes.BoolOp:
        return self._binary(nodes.BoolOp, meta, children, "or")  # type: ignore[no-any-return]

    def and_op(self, meta: Any, children: list[Any]) -> nodes.BoolOp:
        return self._binary(nodes.BoolOp, meta, children, "and")  # type: ignore[no-any-return]

    def not_op(self, meta: Any, children: list[Any]) -> nodes.Not:
        return nodes.Not(operand=children[0], span=self._span(meta))

    def _quantifier(self, kind: str, meta: Any, children: list[Any]) -> nodes.Quantifier:
        return nodes.Quantifier(
            kind=kind,
            var=self._name(children[0]),
            source=children[1],
            condition=children[2],
            span=self._span(meta),
        )

    def count_where(self, meta: Any, children: list[Any]) -> nodes.Quantifier:
        return self._quantifier("count", meta, children)

    def any_where(self, meta: Any, children: list[Any]) -> nodes.Quantifier:
        return self._quantifier("any", meta, children)

    def all_where(self, meta: Any, children: list[Any]) -> nodes.Quantifier:
        return self._quantifier("all", meta, children)

    def no_where(self, meta: Any, children: list[Any]) -> nodes.Quantifier:
        return self._quantifier("no", meta, children)

    def compare(self, meta: Any, children: list[Any]) -> nodes.Compare:
        return nodes.Compare(op=str(children[1]), left=children[0], right=children[2], span=self._span(meta))

    def member_of(self, meta: Any, children: list[Any]) -> nodes.Membership:
        return nodes.Membership(negated=False, item=children[0], collection=children[-1], span=self._span(meta))

    def not_member_of(self, meta: Any, children: list[Any]) -> nodes.Membership:
        return nodes.Membership(negated=True, item=children[0], collection=children[-1], span=self._span(meta))

    def within(self, meta: Any, children: list[Any]) -> nodes.Within:
        """`default_expr "within" default_expr -> within`"""
        return nodes.Within(provision=children[0], scope=children[-1], span=self._span(meta))

    def _is(self, kind: str, meta: Any, children: list[Any]) -> nodes.IsCheck:
        return nodes.IsCheck(kind=kind, operand=children[0], span=self._span(meta))

    def is_missing(self, meta: Any, children: list[Any]) -> nodes.IsCheck:
        return self._is("missing", meta, children)

    def is_present(self, meta: Any, children: list[Any]) -> nodes.IsCheck:
        return self._is("present", meta, children)

    def is_empty(self, meta: Any, children: list[Any]) -> nodes.IsCheck:
        return self._is("empty", meta, children)

    def if_missing(self, meta: Any, children: list[Any]) -> nodes.IfMissing:
        return nodes.IfMissing(value=children[0], default=children[1], span=self._span(meta))

    def at_most(self, meta: Any, children: list[Any]) -> nodes.Bound:
        return nodes.Bound(kind="most", value=children[0], limit=children[1], span=self._span(meta))

    def at_least(self, meta: Any, children: list[Any]) -> nodes.Bound:
        return nodes.Bound(kind="least", value=children[0], limit=children[1], span=self._span(meta))

    def arith(self, meta: Any, children: list[Any]) -> nodes.Arith:
        return nodes.Arith(op=str(children[1]), left=children[0], right=children[2], span=self._span(meta))

    def union_op(self, meta: Any, children: list[Any]) -> nodes.SetOp:
        return self._binary(nodes.SetOp, meta, children, "union")  # type: ignore[no-any-return]

    def intersect_op(self, meta: Any, children: list[Any]) -> nodes.SetOp:
        return self._binary(nodes.SetOp, meta, children, "intersect")  # type: ignore[no-any-return]

    def count_of(self, meta: Any, children: list[Any]) -> nodes.CountOf:
        return nodes.CountOf(target=children[0], rated=None, span=self._span(meta))

    def count_rated(self, meta: Any, children: list[Any]) -> nodes.CountOf:
        return nodes.CountOf(target=children[0], rated=children[1], span=self._span(meta))

    def _aggregate(self, op: str, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return nodes.Aggregate(op=op, target=children[0], span=self._span(meta))

    def worst_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("worst", meta, children)

    def best_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("best", meta, children)

    def sum_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("sum", meta, children)

    def min_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("min", meta, children)

    def max_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("max", meta, children)

    def average_of(self, meta: Any, children: list[Any]) -> nodes.Aggregate:
        return self._aggregate("average", meta, children)

    def sorted_op(self, meta: Any, children: list[Any]) -> nodes.Sorted:
        return nodes.Sorted(target=children[0], span=self._span(meta))

    def round_op(self, meta: Any, children: list[Any]) -> nodes.Round:
        """ "round" postfix ("to" NUMBER (PLACE | PLACES))? ("half" (UP | EVEN))?"""
        value, *rest = children
        places = None
        mode = "half_up"
        for token in rest:
            if token.type == "NUMBER":
                text = str(token)
                if "." in text:
                    self.problems.append(
                        Diagnostic(
                            code="syntax.invalid-literal",
                            message="a number of decimal places is a whole number",
                            span=self._tok_span(token),
                            hint="write a whole number, for example `to 1 decimal place`",
                        )
                    )
                places = int(Decimal(text))
            elif token.type == "EVEN":
                mode = "half_even"
        return nodes.Round(value=value, places=places, mode=mode, span=self._span(meta))

    def lookup(self, meta: Any, children: list[Any]) -> nodes.Lookup:
        """postfix "." "(" _expr ")" """
        return nodes.Lookup(target=children[0], key=children[1], span=self._span(meta))

    def between(self, meta: Any, children: list[Any]) -> nodes.Between:
        """default_expr "between" default_expr "and" default_expr"""
        return nodes.Between(value=children[0], low=children[1], high=children[2], span=self._span(meta))

    def field_access(self, meta: Any, children: list[Any]) -> nodes.FieldAccess:
        return nodes.FieldAccess(target=children[0], field=self._name(children[1]), span=self._span(meta))

    def name(self, meta: Any, children: list[Any]) -> nodes.Ref:
        return nodes.Ref(name=str(children[0]), span=self._tok_span(children[0]))

    def number(self, meta: Any, children: list[Any]) -> nodes.NumberLit:
        text = str(children[0])
        return nodes.NumberLit(value=Decimal(text), is_integer="." not in text, span=self._tok_span(children[0]))

    def text(self, meta: Any, children: list[Any]) -> nodes.TextLit:
        return nodes.TextLit(value=self._unquote(children[0]), span=self._tok_span(children[0]))

    def date_literal(self, meta: Any, children: list[Any]) -> nodes.DateLit:
        return nodes.DateLit(value=self._date(children[0]), span=self._tok_span(children[0]))

    def duration(self, meta: Any, children: list[Any]) -> nodes.DurationLit:
        amount_token, unit_token = children
        unit = str(unit_token)
        if not unit.endswith("s"):
            unit += "s"
        if "." in str(amount_token):
            self.problems.append(
                Diagnostic(
                    code="syntax.invalid-literal",
                    message=f"a duration counts whole {unit}",
                    span=self._tok_span(amount_token),
                    hint=f"write a whole number, for example `3 {unit}`",
                )
            )
        amount = int(Decimal(str(amount_token)))
        return nodes.DurationLit(amount=amount, unit=unit, span=self._span(meta))

    def true_literal(self, meta: Any, children: list[Any]) -> nodes.BoolLit:
        return nodes.BoolLit(value=True, span=self._span(meta))

    def false_literal(self, meta: Any, children: list[Any]) -> nodes.BoolLit:
        return nodes.BoolLit(value=False, span=self._span(meta))

    def as_of(self, meta: Any, children: list[Any]) -> nodes.AsOf:
        return nodes.AsOf(span=self._span(meta))

    def list_literal(self, meta: Any, children: list[Any]) -> nodes.ListLit:
        return nodes.ListLit(items=children, span=self._span(meta))

    def comprehension(self, meta: Any, children: list[Any]) -> nodes.Comprehension:
        element, var, source, *condition = children
        return nodes.Comprehension(
            element=element,
            var=self._name(var),
            source=source,
            condition=condition[0] if condition else None,
            span=self._span(meta),
        )

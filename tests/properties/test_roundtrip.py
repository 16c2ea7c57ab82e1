"""Round-trip properties of the formatter.

For every bundled rule file, and for versions of it with the whitespace between tokens
reshuffled and extra comments dropped in, formatting is idempotent, keeps the tree and
keeps every comment. Generated expression trees print and parse back equal, and so do
generated declarations laid out by `format_rule_file`; brackets added around any of a
generated expression's parts format to an equal tree and stay where they group an operand.
"""

from __future__ import annotations

import datetime
import random
import re
import typing
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework_dsl import canonical_json, nodes
from framework_dsl.formatter import format_expression, format_rule_file, format_source, format_type
from framework_dsl.parser import parse_expression, parse_source
from framework_dsl.semantics.operators import AGGREGATES
from framework_dsl.source import SourceFile, Span

RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = sorted(RULES.rglob("*.fw"))

_TOKEN = re.compile(
    r'not\s+in(?!\w)|decimal\s+places?(?!\w)|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?|[A-Za-z_]\w*|->|!=|<=|>=|\S'
)
_GAPS = [" ", " ", " ", "\n", "\n  ", "\n\n", "\t", "   \n    ", " \r\n"]
_GAPS_WITHOUT_BLANK_LINES = [gap for gap in _GAPS if gap.count("\n") < 2]


def _parse(text: str, path: str = "<text>") -> nodes.RuleFile:
    tree, diagnostics = parse_source(SourceFile(path, text))
    assert tree is not None, diagnostics
    return tree


def _comment_texts(tree: nodes.RuleFile) -> Counter[str]:
    return Counter(c.text.rstrip() for c in tree.comments)


def _assert_round_trip(text: str, path: str = "<text>") -> str:
    """Format `text` and check every property; returns the formatted text."""
    tree = _parse(text, path)
    formatted, diagnostics = format_source(text, path)
    assert formatted is not None, diagnostics
    again = _parse(formatted, path)
    assert again.items == tree.items
    assert _comment_texts(again) == _comment_texts(tree)
    assert format_source(formatted, path)[0] == formatted
    assert all(line == line.rstrip() for line in formatted.splitlines())
    return formatted


def _reshuffle(text: str, rng: random.Random, comments: int) -> str:
    """The same tokens with other whitespace between them, and `comments` extra comments."""
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    extra = set(rng.sample(range(len(tokens)), min(comments, len(tokens))))
    for index, token in enumerate(tokens):
        out.append(token)
        if index in extra:
            out.append(rng.choice(["  ", "\n"]) + f"# extra comment {index}")
        if token.startswith("#") or index in extra:
            out.append("\n" + rng.choice(["", "  ", "    ", "\n"]))
        else:
            out.append(rng.choice(_GAPS))
    return "".join(out)


def _rule_file_id(path: Path) -> str:
    return str(path.relative_to(RULES))


@pytest.mark.parametrize("path", RULE_FILES, ids=_rule_file_id)
def test_bundled_rule_file_round_trips(path: Path) -> None:
    """Every bundled rule file formats idempotently, to an equal tree, with every comment kept."""
    text = path.read_text(encoding="utf-8")
    if parse_source(SourceFile(str(path), text))[0] is None:
        pytest.skip("the file does not parse (being written)")
    _assert_round_trip(text, str(path))


@pytest.mark.parametrize("path", RULE_FILES, ids=_rule_file_id)
@settings(max_examples=15)  # each example parses a whole file five times
@given(seed=st.integers(0, 2**32 - 1), comments=st.integers(0, 12))
def test_reshuffled_rule_file_round_trips(path: Path, seed: int, comments: int) -> None:
    """Any whitespace between a bundled file's tokens, and extra comments anywhere, format to an equal tree."""
    rng = random.Random(seed)
    text = path.read_text(encoding="utf-8")
    original = parse_source(SourceFile(str(path), text))[0]
    if original is None:
        pytest.skip("the file does not parse (being written)")
    mutated = _reshuffle(text, rng, comments)
    assert _parse(mutated).items == original.items  # the mutation itself keeps the meaning
    _assert_round_trip(mutated)


@pytest.mark.parametrize("path", RULE_FILES, ids=_rule_file_id)
def test_reshuffled_rule_file_formats_like_the_original(path: Path) -> None:
    """Without comments or blank lines in the way, layout depends on the tree only: reshuffled text formats alike."""
    text = path.read_text(encoding="utf-8")
    original = parse_source(SourceFile(str(path), text))[0]
    if original is None:
        pytest.skip("the file does not parse (being written)")
    bare = "".join(t + " " for t in _TOKEN.findall(text) if not t.startswith("#"))
    rng = random.Random(7)
    shuffled = "".join(t + rng.choice(_GAPS_WITHOUT_BLANK_LINES) for t in _TOKEN.findall(text) if not t.startswith("#"))
    expected = format_rule_file(nodes.RuleFile(items=original.items, comments=(), span=_parse(bare).span))
    assert format_source(bare)[0] == expected
    assert format_source(shuffled)[0] == expected


# ---------------------------------------------------------------- generated trees

_NOWHERE = Span(SourceFile("<generated>", ""), 0, 0)
# Names that are never keywords or duration units, so any of them can stand anywhere.
_NAMES = st.sampled_from(["a", "b", "xs", "good", "rating", "k", "item_2", "breach", "Total"])


def _name() -> st.SearchStrategy[nodes.Name]:
    return _NAMES.map(lambda text: nodes.Name(text=text, span=_NOWHERE))


def _number() -> st.SearchStrategy[nodes.NumberLit]:
    whole = st.integers(0, 10**12).map(lambda n: nodes.NumberLit(value=Decimal(n), is_integer=True, span=_NOWHERE))
    fraction = st.tuples(st.integers(0, 10**6), st.integers(1, 6), st.integers(0, 10**6)).map(
        lambda t: nodes.NumberLit(
            value=Decimal(f"{t[0]}.{str(t[2]).zfill(t[1])[: t[1]]}"), is_integer=False, span=_NOWHERE
        )
    )
    return st.one_of(whole, fraction)


def _leaves() -> st.SearchStrategy[nodes.Expr]:
    return st.one_of(
        _NAMES.map(lambda name: nodes.Ref(name=name, span=_NOWHERE)),
        _number(),
        st.text(max_size=8).map(lambda value: nodes.TextLit(value=value, span=_NOWHERE)),
        st.dates().map(lambda value: nodes.DateLit(value=value, span=_NOWHERE)),
        st.builds(
            nodes.DurationLit,
            amount=st.integers(0, 400),
            unit=st.sampled_from(["days", "weeks", "months", "years"]),
            span=st.just(_NOWHERE),
        ),
        st.booleans().map(lambda value: nodes.BoolLit(value=value, span=_NOWHERE)),
        st.just(nodes.AsOf(span=_NOWHERE)),
    )


def _extend(children: st.SearchStrategy[nodes.Expr]) -> st.SearchStrategy[nodes.Expr]:
    here = st.just(_NOWHERE)

    def binary(cls: type, ops: list[str]) -> st.SearchStrategy[nodes.Expr]:
        return st.builds(cls, op=st.sampled_from(ops), left=children, right=children, span=here)

    return st.one_of(
        st.builds(nodes.FieldAccess, target=children, field=_name(), span=here),
        st.builds(nodes.ListLit, items=st.lists(children, max_size=3), span=here),
        st.builds(
            nodes.Comprehension,
            element=children,
            var=_name(),
            source=children,
            condition=st.none() | children,
            span=here,
        ),
        st.builds(
            nodes.Quantifier,
            kind=st.sampled_from(["count", "any", "all", "no"]),
            var=_name(),
            source=children,
            condition=children,
            span=here,
        ),
        st.builds(nodes.CountOf, target=children, rated=st.none() | children, span=here),
        st.builds(nodes.Aggregate, op=st.sampled_from(sorted(AGGREGATES)), target=children, span=here),
        st.builds(nodes.Sorted, target=children, span=here),
        st.builds(nodes.Not, operand=children, span=here),
        binary(nodes.BoolOp, ["and", "or"]),
        binary(nodes.Compare, ["=", "!=", "<", "<=", ">", ">="]),
        st.builds(nodes.Membership, negated=st.booleans(), item=children, collection=children, span=here),
        st.builds(nodes.Within, provision=children, scope=children, span=here),
        st.builds(nodes.IsCheck, kind=st.sampled_from(["missing", "present", "empty"]), operand=children, span=here),
        st.builds(nodes.IfMissing, value=children, default=children, span=here),
        st.builds(nodes.Bound, kind=st.sampled_from(["most", "least"]), value=children, limit=children, span=here),
        binary(nodes.Arith, ["+", "-", "*", "/"]),
        binary(nodes.SetOp, ["union", "intersect"]),
        st.builds(
            nodes.Round,
            value=children,
            places=st.none() | st.integers(0, 12),
            mode=st.sampled_from(["half_up", "half_even"]),
            span=here,
        ),
        st.builds(nodes.Lookup, target=children, key=children, span=here),
        st.builds(nodes.Between, value=children, low=children, high=children, span=here),
    )


EXPRESSIONS = st.recursive(_leaves(), _extend, max_leaves=14)


def _parse_expression(text: str) -> nodes.Expr:
    return parse_expression(SourceFile("<expr>", text), text, 0)


@given(expr=EXPRESSIONS)
def test_generated_expression_prints_and_parses_back_equal(expr: nodes.Expr) -> None:
    """Any expression tree prints to text that parses back to the same tree."""
    assert _parse_expression(format_expression(expr)) == expr


@given(expr=EXPRESSIONS)
def test_printed_expression_is_a_fixed_point(expr: nodes.Expr) -> None:
    """Printing the parse of a printed expression gives the same text (one canonical form)."""
    text = format_expression(expr)
    assert format_expression(_parse_expression(text)) == text


def _qualified() -> st.SearchStrategy[nodes.QualifiedName]:
    return st.lists(_name(), min_size=1, max_size=2).map(lambda parts: nodes.QualifiedName(parts=parts, span=_NOWHERE))


def _member() -> st.SearchStrategy[nodes.Member]:
    plain = st.builds(
        nodes.Member, name=_name(), label=st.none() | _text(), quoted=st.just(False), span=st.just(_NOWHERE)
    )
    quoted = st.builds(
        nodes.Member,
        name=st.text(min_size=1, max_size=6).map(lambda text: nodes.Name(text=text, span=_NOWHERE)),
        label=st.none() | _text(),
        quoted=st.just(True),
        span=st.just(_NOWHERE),
    )
    return plain | quoted


def _text(max_size: int = 30) -> st.SearchStrategy[nodes.Text]:
    return st.text(max_size=max_size).map(lambda value: nodes.Text(value=value, span=_NOWHERE))


def _types() -> st.SearchStrategy[nodes.TypeExpr]:
    here = st.just(_NOWHERE)
    named = st.builds(nodes.NamedType, names=st.lists(_qualified(), min_size=1, max_size=3), span=here)
    inline = st.builds(nodes.InlineEnum, members=st.lists(_member(), min_size=1, max_size=6), span=here)
    bound = st.decimals(-(10**6), 10**6, places=2) | st.integers(-(10**6), 10**6).map(Decimal)
    ranged = st.builds(nodes.RangedType, base=_qualified(), low=bound, high=st.none() | bound, span=here)

    def extend(inner: st.SearchStrategy[nodes.TypeExpr]) -> st.SearchStrategy[nodes.TypeExpr]:
        return st.one_of(
            st.builds(nodes.ListType, element=inner, span=here),
            st.builds(nodes.SetType, element=inner, span=here),
            # a key is a named or inline enumeration (the grammar says so)
            st.builds(nodes.MapType, key=named | inline, value=inner, span=here),
            st.builds(nodes.OptionalType, inner=inner, span=here),
        )

    return st.recursive(named | inline | ranged, extend, max_leaves=4)


@given(type_=_types())
def test_generated_type_prints_and_parses_back_equal(type_: nodes.TypeExpr) -> None:
    """Any type tree printed as a field's type parses back to the same tree."""
    text = f"record r:\n  f: {format_type(type_)}\n"
    decl = _parse(text).items[0]
    assert isinstance(decl, nodes.RecordDecl)
    assert decl.fields[0].type == type_


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)

_TEMPLATES = ["Plain reason", "Counted {count of xs} of {a.b}", 'Braces {{kept}} and \\u00e9 and \\"quotes\\"']


def _reason() -> st.SearchStrategy[nodes.Template | None]:
    """A reason parsed from text, so its parts and raw text agree."""

    def build(raw: str) -> nodes.Template:
        clause = _parse(f'judgement j: t\n  otherwise a because "{raw}"\n').items[0]
        assert isinstance(clause, nodes.JudgementDecl)
        reason = clause.clauses[0].reason
        assert reason is not None
        return reason

    return st.none() | st.sampled_from(_TEMPLATES).map(build)


def _in_force() -> st.SearchStrategy[nodes.InForce | None]:
    """Dates a judgement, check or clause is in force: `from`, `until` or both, and maybe a note."""
    dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2200, 12, 31))
    bounds = st.tuples(st.none() | dates, st.none() | dates).filter(lambda pair: pair != (None, None))
    return st.none() | st.builds(
        lambda pair, note: nodes.InForce(start=pair[0], until=pair[1], note=note, span=_NOWHERE),
        bounds,
        st.none() | _text(),
    )


def _declarations() -> st.SearchStrategy[nodes.Decl]:
    here = st.just(_NOWHERE)
    exprs = st.recursive(_leaves(), _extend, max_leaves=30)
    when = st.builds(
        nodes.WhenClause,
        outcome=exprs,
        condition=exprs,
        reason=_reason(),
        citation=st.none() | _text(),
        in_force=_in_force(),
        span=here,
    )
    otherwise = st.builds(
        nodes.OtherwiseClause,
        outcome=exprs,
        reason=_reason(),
        citation=st.none() | _text(),
        in_force=_in_force(),
        span=here,
    )
    clauses = (
        st.tuples(st.lists(when, max_size=3), st.none() | otherwise)
        .map(lambda pair: [*pair[0], *([pair[1]] if pair[1] is not None else [])])
        .filter(bool)
    )
    for_each = st.none() | st.builds(nodes.ForEach, var=_name(), source=exprs, span=here)
    lets = st.lists(st.builds(nodes.LetBinding, name=_name(), value=exprs, span=here), max_size=3)
    rows = st.lists(
        st.one_of(
            st.builds(nodes.TableRow, key=_name(), quoted=st.just(False), value=exprs, span=here),
            st.builds(
                nodes.TableRow,
                key=st.text(min_size=1, max_size=6).map(lambda text: nodes.Name(text=text, span=_NOWHERE)),
                quoted=st.just(True),
                value=exprs,
                span=here,
            ),
        ),
        min_size=1,
        max_size=4,
    )
    clause_number = st.builds(nodes.ClauseNumber, number=st.integers(1, 10**6), span=here)
    pointers = st.builds(nodes.PointerList, items=st.lists(_text(max_size=60), max_size=5), span=here)
    expectation = st.one_of(
        st.builds(nodes.ExpectValue, name=_name(), value=exprs, span=here),
        st.builds(nodes.ExpectUndetermined, name=_name(), span=here),
        st.builds(nodes.ExpectNotInForce, name=_name(), span=here),
        st.builds(nodes.ExpectReason, name=_name(), reason=_text(), span=here),
        st.builds(nodes.ExpectStatus, status=_name(), span=here),
        st.builds(nodes.ExpectDecidedBy, name=_name(), clause=clause_number, span=here),
        st.builds(nodes.ExpectUndeterminedAt, name=_name(), clause=clause_number, span=here),
        st.builds(nodes.ExpectReads, name=_name(), pointers=pointers, span=here),
        st.builds(nodes.ExpectMissing, name=_name(), pointers=pointers, span=here),
    )
    given_ = st.one_of(
        _JSON.map(lambda value: nodes.JsonLiteral(text=canonical_json.dumps(value), span=_NOWHERE)),
        st.builds(nodes.GivenFile, path=_text(), span=here),
    )
    return st.one_of(
        st.builds(nodes.DefineDecl, name=_name(), type=st.none() | _types(), value=exprs, span=here),
        st.builds(
            nodes.JudgementDecl,
            name=_name(),
            for_each=for_each,
            type=_types(),
            clauses=clauses,
            in_force=_in_force(),
            lets=lets,
            span=here,
        ),
        st.builds(
            nodes.CheckDecl,
            name=_name(),
            for_each=for_each,
            clauses=clauses,
            in_force=_in_force(),
            lets=lets,
            span=here,
        ),
        st.builds(
            nodes.TableDecl,
            name=_name(),
            label=st.none() | _text(),
            key_type=_types(),
            value_type=_types(),
            rows=rows,
            span=here,
        ),
        st.builds(
            nodes.EnumDecl, name=_name(), label=st.none() | _text(), members=st.lists(_member(), min_size=1), span=here
        ),
        st.builds(
            nodes.ScaleDecl,
            name=_name(),
            label=st.none() | _text(),
            grades=st.lists(st.builds(nodes.Grade, name=_name(), label=st.none() | _text(), span=here), min_size=1),
            span=here,
        ),
        st.builds(
            nodes.RecordDecl,
            name=_name(),
            label=st.none() | _text(),
            fields=st.lists(
                st.builds(nodes.FieldDecl, name=_name(), type=_types(), description=st.none() | _text(), span=here),
                min_size=1,
                max_size=4,
            ),
            span=here,
        ),
        st.builds(
            nodes.ExampleDecl,
            title=_text(),
            citation=st.none() | _text(),
            given=given_,
            as_of=st.none() | st.dates(min_value=datetime.date(1000, 1, 1)),
            expectations=st.lists(expectation, min_size=1, max_size=4),
            span=here,
        ),
        st.builds(
            nodes.FrameworkDecl,
            name=_name(),
            title=_text(),
            source_text=st.none() | _text(),
            effective_from=st.none() | st.dates(),
            effective_until=st.none(),
            dated_by=st.none() | st.lists(_name(), min_size=1, max_size=3).map(tuple),
            span=here,
        ),
        st.builds(nodes.OutcomeDecl, name=_name(), label=st.none() | _text(), span=here),
        st.builds(
            nodes.InvariantDecl,
            name=_name(),
            for_each=for_each,
            condition=exprs,
            guard=st.none() | exprs,
            reason=_reason(),
            citation=st.none() | _text(),
            span=here,
        ),
        st.builds(
            nodes.MonotonicDecl,
            name=_name(),
            judgement=_name(),
            moves=_name(),
            input=st.lists(_name(), min_size=1, max_size=3),
            input_moves=_name(),
            reason=_reason(),
            citation=st.none() | _text(),
            span=here,
        ),
        st.builds(
            nodes.ImportNames,
            names=st.lists(_name(), min_size=1, max_size=3),
            path=st.lists(_name(), min_size=1, max_size=3),
            span=here,
        ),
    )


@given(items=st.lists(_declarations(), min_size=1, max_size=4))
def test_generated_rule_file_lays_out_and_parses_back_equal(items: list[nodes.Decl]) -> None:
    """Generated declarations, laid out by the formatter, parse back to the same tree and format to themselves."""
    tree = nodes.RuleFile(items=items, comments=(), span=_NOWHERE)
    text = format_rule_file(tree)
    again = _parse(text)
    assert again.items == tree.items
    assert format_rule_file(again) == text


# ---------------------------------------------------------------- the author's brackets

_EXPR_TYPES = tuple(typing.get_args(nodes.Expr))
# Operands the formatter never brackets for the author: names, literals, lists, fields.
_SIMPLE = (
    nodes.Ref,
    nodes.NumberLit,
    nodes.TextLit,
    nodes.DateLit,
    nodes.DurationLit,
    nodes.BoolLit,
    nodes.AsOf,
    nodes.ListLit,
    nodes.Comprehension,
    nodes.FieldAccess,
    nodes.Lookup,
)


def _walk(node: nodes.Expr, whole: bool = True) -> Iterator[tuple[nodes.Expr, bool]]:
    """Every expression in `node`, pre-order, with whether it stands as a whole value or item."""
    yield node, whole
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, _EXPR_TYPES):
                yield from _walk(child, isinstance(node, nodes.ListLit | nodes.Comprehension))


def _with_brackets(text: str, chosen: list[nodes.Expr]) -> str:
    """`text` with each chosen expression's span wrapped in brackets."""
    inserts = [(e.span.end, 0, -e.span.start, ")") for e in chosen]
    inserts += [(e.span.start, 1, -e.span.end, "(") for e in chosen]
    out = text
    for position, _, _, bracket in sorted(inserts, reverse=True):
        out = out[:position] + bracket + out[position:]
    return out


@settings(max_examples=100)
@given(expr=EXPRESSIONS, data=st.data())
def test_brackets_the_author_wrote_round_trip_and_stay(expr: nodes.Expr, data: st.DataObject) -> None:
    """Brackets added around any sub-expressions: the file formats to an equal tree, idempotently, and every
    bracket around a compound operand (not a whole value or list item) is still there."""
    text = f"define v = {format_expression(expr)}\n"
    value = _parse(text).items[0].value  # type: ignore[union-attr]
    subexpressions = [node for node, _ in _walk(value)]
    chosen = data.draw(st.lists(st.sampled_from(subexpressions), unique_by=id, max_size=6))
    bracketed = _with_brackets(text, chosen)
    tree = _parse(bracketed)
    assert tree.items == _parse(text).items  # brackets around a whole sub-expression never change it
    formatted = _assert_round_trip(bracketed)
    again = _parse(formatted)
    written = tree.items[0].value  # type: ignore[union-attr]
    printed = again.items[0].value  # type: ignore[union-attr]
    for (before, whole), (after, _) in zip(_walk(written), _walk(printed), strict=True):
        if (before.span.start, before.span.end) in tree.parenthesised and not whole and not isinstance(before, _SIMPLE):
            assert (after.span.start, after.span.end) in again.parenthesised, (bracketed, formatted)

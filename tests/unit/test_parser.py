"""The parse stage: each construct builds its node; syntax errors become located diagnostics."""

from __future__ import annotations

import datetime
from decimal import Decimal

from framework_dsl import nodes
from framework_dsl.parser import parse_source
from framework_dsl.source import SourceFile


def parse(text: str) -> nodes.RuleFile:
    tree, problems = parse_source(SourceFile("t.fw", text))
    assert problems == [], problems
    assert tree is not None
    return tree


def expr(text: str) -> nodes.Expr:
    tree = parse(f"define x = {text}")
    item = tree.items[0]
    assert isinstance(item, nodes.DefineDecl)
    return item.value


def test_framework_header() -> None:
    """The framework line gives its identifier, title, source, dates and dating field."""
    header = parse(
        'framework cqc "CQC" source "S" effective from 2015-04-01 until 2020-01-01 dated by inspection.date'
    ).items[0]
    assert isinstance(header, nodes.FrameworkDecl)
    assert header.name.text == "cqc"
    assert header.source_text is not None and header.source_text.value == "S"
    assert header.effective_from == datetime.date(2015, 4, 1)
    assert header.effective_until == datetime.date(2020, 1, 1)
    assert [n.text for n in header.dated_by or ()] == ["inspection", "date"]


def test_scale_grades_are_best_first_with_labels() -> None:
    """A scale keeps its grades in order, each with its label."""
    scale = parse('scale r: a "A" > b > c "C"').items[0]
    assert isinstance(scale, nodes.ScaleDecl)
    assert [g.name.text for g in scale.grades] == ["a", "b", "c"]
    assert [g.label.value if g.label else None for g in scale.grades] == ["A", None, "C"]


def test_enum_members_may_be_quoted() -> None:
    """Enumeration members can be written as names or as quoted identifiers like "9A"."""
    enum = parse('enum regulation: "9" "Person-centred care", "9A", ten').items[0]
    assert isinstance(enum, nodes.EnumDecl)
    assert [(m.name.text, m.quoted) for m in enum.members] == [("9", True), ("9A", True), ("ten", False)]


def test_precedence_of_boolean_operators() -> None:
    """`or` binds loosest, then `and`, then `not`."""
    tree = expr("a or b and not c")
    assert isinstance(tree, nodes.BoolOp) and tree.op == "or"
    assert isinstance(tree.right, nodes.BoolOp) and tree.right.op == "and"
    assert isinstance(tree.right.right, nodes.Not)


def test_arithmetic_precedence_and_durations() -> None:
    """Multiplication binds tighter than addition; `3 years` is a duration literal."""
    tree = expr("d + 3 years - 6 months")
    assert isinstance(tree, nodes.Arith) and tree.op == "-"
    assert tree.right == nodes.DurationLit(amount=6, unit="months")
    product = expr("1 + 2 * 3")
    assert isinstance(product, nodes.Arith) and isinstance(product.right, nodes.Arith) and product.right.op == "*"


def test_numbers_are_exact_decimals() -> None:
    """Number literals become Decimal, never float."""
    tree = expr("0.1")
    assert tree == nodes.NumberLit(value=Decimal("0.1"), is_integer=False)


def test_quantifier_condition_stops_at_and() -> None:
    """The condition after `where` binds like `not`: it stops at `and` and `or`."""
    tree = expr("any b in bs where b.x and y")
    assert isinstance(tree, nodes.BoolOp) and tree.op == "and"
    assert isinstance(tree.left, nodes.Quantifier)


def test_not_in_is_one_operator() -> None:
    """`x not in xs` is a negated membership, not `not` applied to a membership."""
    tree = expr("x not in xs")
    assert tree == nodes.Membership(negated=True, item=nodes.Ref(name="x"), collection=nodes.Ref(name="xs"))


def test_reason_interpolations_are_parsed_with_positions() -> None:
    """A reason's `{expr}` parts are expressions located inside the quoted text."""
    text = 'judgement j: boolean\n  otherwise true because "n = {count of xs}, {{literal}}"'
    tree = parse(text)
    clause = tree.items[0].clauses[0]  # type: ignore[union-attr]
    assert clause.reason is not None
    parts = clause.reason.parts
    assert parts[0] == "n = " and parts[2] == ", {literal}"
    interpolation = parts[1]
    assert isinstance(interpolation, nodes.Interpolation)
    assert text[interpolation.expr.span.start : interpolation.expr.span.end] == "count of xs"


def test_examples_keep_their_json_exactly() -> None:
    """Inline example evidence is kept as JSON text with exact decimals and key order."""
    tree = parse('example "e" given {"b": 1.10, "a": [true, null, -2]} expect status evaluated')
    example = tree.items[0]
    assert isinstance(example, nodes.ExampleDecl)
    assert isinstance(example.given, nodes.JsonLiteral)
    assert example.given.text == '{"b":1.10,"a":[true,null,-2]}'


def test_comments_are_kept_beside_the_tree() -> None:
    """Comments are collected in order, and a `#` inside quoted text is not a comment."""
    tree = parse('# one\nscale r: a "A #1" > b  # two\n')
    assert [c.text for c in tree.comments] == ["# one", "# two"]


def test_equality_ignores_positions() -> None:
    """Two trees that differ only in layout are equal."""
    assert parse("scale r: a > b").items == parse("scale   r :\n  a\n  > b").items


def test_every_broken_declaration_is_reported() -> None:
    """Syntax errors in two declarations give two diagnostics in one run, each where its declaration breaks off."""
    text = "scale r: a > \nenum e: x,\njudgement j: r\n  a when true\n"
    tree, problems = parse_source(SourceFile("t.fw", text))
    assert tree is None
    assert [p.span.line for p in problems if p.span] == [1, 2]


def test_misspelt_keyword_gets_a_suggestion() -> None:
    """A misspelt declaration keyword is reported with the right spelling as a hint."""
    _, problems = parse_source(SourceFile("t.fw", "judgment j: r\n  otherwise a\n"))
    assert problems[0].hint == "did you mean `judgement`?"


def test_an_example_integer_past_what_python_reads_is_a_located_literal_error() -> None:
    """`given {"n": 9…9}` with 4,301 digits is `syntax.invalid-literal` at the number (it was an internal error)."""
    for digits, codes in ((4300, []), (4301, ["syntax.invalid-literal"])):
        text = (
            'framework t "T"\n  effective from 2020-01-01\n'
            'example "e"\n  given {"framework": "t", "n": ' + "9" * digits + "}\n  expect status evaluated\n"
        )
        _tree, problems = parse_source(SourceFile("t.fw", text))
        assert [p.code for p in problems] == codes
        if codes:
            assert problems[0].span is not None and problems[0].span.line == 4
            assert problems[0].span.column == len('  given {"framework": "t", "n": ') + 1


def test_round_takes_places_and_a_mode() -> None:
    """`round X`, `round X to N decimal place(s)` and `half even` build one `Round` node; half up is the default."""
    assert expr("round pct") == nodes.Round(value=nodes.Ref(name="pct"), places=None, mode="half_up")
    assert expr("round (a / b) to 1 decimal place") == nodes.Round(
        value=nodes.Arith(op="/", left=nodes.Ref(name="a"), right=nodes.Ref(name="b")), places=1, mode="half_up"
    )
    assert expr("round x to 2 decimal places half even") == nodes.Round(
        value=nodes.Ref(name="x"), places=2, mode="half_even"
    )
    assert expr("round x half up") == expr("round x")
    # `round` binds tighter than arithmetic: it takes a name, a field or a bracketed expression.
    assert isinstance(expr("round a + 1"), nodes.Arith)


def test_between_and_lookup() -> None:
    """`x between a and b` is one comparison; `m.(k)` reads a map by a computed key and chains with fields."""
    assert expr("x between 63 and 87") == nodes.Between(
        value=nodes.Ref(name="x"),
        low=nodes.NumberLit(value=Decimal(63), is_integer=True),
        high=nodes.NumberLit(value=Decimal(87), is_integer=True),
    )
    found = expr("key_questions.(s.kq).score")
    assert isinstance(found, nodes.FieldAccess) and isinstance(found.target, nodes.Lookup)
    assert found.target.key == nodes.FieldAccess(target=nodes.Ref(name="s"), field=nodes.Name(text="kq"))


def test_lets_come_before_the_clauses_and_tables_hold_rows() -> None:
    """A decision's `let` lines become its `lets`; a table keeps its rows in order, quoted keys marked."""
    tree = parse(
        "judgement j: integer\n  let a = 1\n  let b = a + 1\n  otherwise b\n"
        'table points "Points": rating -> integer\n  good -> 3, "9A" -> 2\n'
    )
    judgement, table = tree.items
    assert isinstance(judgement, nodes.JudgementDecl) and [let.name.text for let in judgement.lets] == ["a", "b"]
    assert len(judgement.clauses) == 1
    assert isinstance(table, nodes.TableDecl) and table.label is not None and table.label.value == "Points"
    assert [(row.key.text, row.quoted) for row in table.rows] == [("good", False), ("9A", True)]

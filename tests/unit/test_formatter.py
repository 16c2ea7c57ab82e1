"""The formatter: layout decisions, comment placement, precedence, and the `fmt` command."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework_dsl import nodes
from framework_dsl.formatter import format_expression, format_rule_file, format_source
from framework_dsl.parser import parse_expression, parse_source
from framework_dsl.source import SourceFile

RULES = Path(__file__).resolve().parents[2] / "rules"


def fmt(text: str) -> str:
    """Format dedented `text`, checking it stays a fixed point of the formatter."""
    source = textwrap.dedent(text).lstrip("\n")
    out, diagnostics = format_source(source)
    assert out is not None, diagnostics
    assert format_source(out)[0] == out, "not idempotent"
    return out


def expected(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def expr(text: str) -> str:
    """An expression printed back after parsing."""
    return format_expression(parse_expression(SourceFile("<e>", text), text, 0))


# ---------------------------------------------------------------- the model files


@pytest.mark.parametrize("name", ["clas/clas.fw", "shared/scales.fw", "shared/cqc_standards.fw"])
def test_model_rule_files_are_already_formatted(name: str) -> None:
    """The files the layout is modelled on are fixed points of the formatter."""
    text = (RULES / name).read_text(encoding="utf-8")
    assert format_source(text, name)[0] == text


def test_text_that_does_not_parse_gives_diagnostics_and_no_output() -> None:
    """Text with a syntax error is never formatted: the result is None with the diagnostics."""
    out, diagnostics = format_source("judgement x: rating\n  good when\n")
    assert out is None
    assert diagnostics
    assert diagnostics[0].code.startswith("syntax.")


def test_empty_file_formats_to_empty_text() -> None:
    """An empty file stays empty."""
    assert format_source("")[0] == ""
    assert format_source("\n\n  \n")[0] == ""


def test_format_rule_file_lays_out_a_parsed_tree() -> None:
    """format_rule_file gives the same text as format_source for a parsed tree."""
    text = 'outcome  a   "A"'
    tree, _ = parse_source(SourceFile("x", text))
    assert tree is not None
    assert format_rule_file(tree) == format_source(text)[0] == 'outcome a "A"\n'


# ---------------------------------------------------------------- declarations


def test_framework_header_puts_each_property_on_its_own_line_in_a_fixed_order() -> None:
    """The framework header lists source, effective dates and dated-by on indented lines, in that order."""
    out = fmt('framework x "X" dated by a.b effective from 2020-01-01 until 2021-12-31 source "S"')
    assert out == expected(
        """
        framework x "X"
          source "S"
          effective from 2020-01-01 until 2021-12-31
          dated by a.b
        """
    )


def test_declarations_are_separated_by_one_blank_line() -> None:
    """Exactly one blank line separates declarations, however many the source had."""
    out = fmt("outcome a\n\n\n\nenum e: x, y\nrecord r: f: integer\n\n\ndefine d = 1\n")
    assert out == "outcome a\n\nenum e: x, y\n\nrecord r:\n  f: integer\n\ndefine d = 1\n"


def test_runs_of_imports_outcomes_and_one_line_definitions_stay_together() -> None:
    """Consecutive imports, outcomes and one-line definitions need no blank line, but keep one the source has."""
    out = fmt(
        """
        import shared.scales
        import rating from shared.scales

        import x.y
        outcome a
        outcome b
        define c = 1
        define d = 2
        """
    )
    assert out == expected(
        """
        import shared.scales
        import rating from shared.scales

        import x.y

        outcome a
        outcome b

        define c = 1
        define d = 2
        """
    )


def test_short_enum_stays_on_one_line() -> None:
    """An enumeration that fits in 88 columns is written on one line."""
    assert fmt('enum level "Level":\n  low "Low",\n  high "High"') == 'enum level "Level": low "Low", high "High"\n'


def test_long_enum_takes_one_member_per_line() -> None:
    """An enumeration too long for one line gets one member per line, commas after all but the last."""
    members = ", ".join(f'member_{i} "Member number {i}"' for i in range(4))
    out = fmt(f'enum e "E": {members}')
    assert out == expected(
        """
        enum e "E":
          member_0 "Member number 0",
          member_1 "Member number 1",
          member_2 "Member number 2",
          member_3 "Member number 3"
        """
    )


def test_quoted_enum_members_stay_quoted() -> None:
    """Members written as quoted identifiers are written quoted again."""
    assert fmt('enum r: "9A" "Nine A", "10"') == 'enum r: "9A" "Nine A", "10"\n'


def test_long_scale_takes_one_grade_per_line_with_leading_arrows() -> None:
    """A scale too long for one line puts each grade on its own line, later ones starting with `>`."""
    out = fmt(
        'scale rating "Rating": outstanding "Outstanding" > good "Good" > '
        'requires_improvement "Requires improvement" > inadequate "Inadequate"'
    )
    assert out == expected(
        """
        scale rating "Rating":
          outstanding "Outstanding"
          > good "Good"
          > requires_improvement "Requires improvement"
          > inadequate "Inadequate"
        """
    )
    assert fmt("scale s: a > b > c") == "scale s: a > b > c\n"


def test_record_and_evidence_fields_take_a_line_each() -> None:
    """Record and evidence fields sit one per line, indented, with their types and descriptions."""
    out = fmt('record r "R": a: optional list of map of e to s "A" b: set of x or y evidence: r: r')
    assert out == expected(
        """
        record r "R":
          a: optional list of map of e to s "A"
          b: set of x or y

        evidence:
          r: r
        """
    )


def test_long_inline_enum_opens_after_its_parenthesis() -> None:
    """An inline enumeration that makes its line too long takes one member per line, two levels in."""
    out = fmt(
        'judgement next_step: one of (action_plan_required "Action plan required", none "None", later "Later on")\n'
        "  otherwise none"
    )
    assert out == expected(
        """
        judgement next_step: one of (
            action_plan_required "Action plan required",
            none "None",
            later "Later on")
          otherwise none
        """
    )


def test_field_description_does_not_open_a_short_inline_enum() -> None:
    """A long description after a short inline enumeration leaves the enumeration on its line."""
    description = "a description long enough to pass the width of the line on its own, surely"
    out = fmt(f'record r: kind: one of (a "A", b "B") "{description}"')
    assert out == f'record r:\n  kind: one of (a "A", b "B") "{description}"\n'


def test_clauses_put_because_and_cite_on_their_own_lines() -> None:
    """Clauses are indented one level; `because` and `cite` sit on their own lines two levels in."""
    out = fmt('judgement j: rating good when a because "R" cite "C" otherwise bad because "S"')
    assert out == expected(
        """
        judgement j: rating
          good when a
            because "R"
            cite "C"
          otherwise bad
            because "S"
        """
    )


def test_check_and_for_each_headers() -> None:
    """Checks have no type; `for each` sits in the header."""
    out = fmt("check c for each b in breaches: failed when b.x otherwise passed")
    assert out == "check c for each b in breaches:\n  failed when b.x\n  otherwise passed\n"


def test_long_condition_breaks_before_each_operator_of_its_outermost_chain() -> None:
    """A condition too long for its line breaks before each `and`, continuation lines three levels in."""
    out = fmt(
        "judgement j: rating\n"
        "  good when first_condition_value = 1 and second_condition_value = 2 and third_value is present\n"
        "  otherwise bad"
    )
    assert out == expected(
        """
        judgement j: rating
          good when first_condition_value = 1
              and second_condition_value = 2
              and third_value is present
          otherwise bad
        """
    )


def test_long_parenthesised_operand_of_a_broken_chain_breaks_inside_its_parentheses() -> None:
    """A parenthesised chain that is still too long breaks too, one level further in."""
    names = " or ".join(f"topic_grades.topic_number_{i} is missing" for i in range(4))
    out = fmt(f"check c: failed when graded and ({names}) otherwise passed")
    assert out == expected(
        """
        check c:
          failed when graded
              and (topic_grades.topic_number_0 is missing
                or topic_grades.topic_number_1 is missing
                or topic_grades.topic_number_2 is missing
                or topic_grades.topic_number_3 is missing)
          otherwise passed
        """
    )


def test_long_definition_moves_its_value_to_the_next_line() -> None:
    """A definition too long for one line puts its value on the next line, one level in."""
    out = fmt("define in_special_measures: boolean = special_measures.in_special_measures if missing false")
    assert out == "define in_special_measures: boolean =\n  special_measures.in_special_measures if missing false\n"


def test_long_definition_chain_breaks_before_operators_at_the_value_indent() -> None:
    """A definition's long `union` chain breaks before each operator, aligned with its first operand."""
    parts = [f"[key_question.{q} for r in [{q}] where r = inadequate]" for q in ("safe", "caring", "well_led")]
    out = fmt("define inadequate_questions: list of key_question = " + " union ".join(parts))
    assert out == expected(
        """
        define inadequate_questions: list of key_question =
          [key_question.safe for r in [safe] where r = inadequate]
          union [key_question.caring for r in [caring] where r = inadequate]
          union [key_question.well_led for r in [well_led] where r = inadequate]
        """
    )


def test_long_list_of_names_is_filled_to_the_width() -> None:
    """A long list of plain items opens after `[` and is filled to 88 columns, `]` alone at the end."""
    items = ", ".join(f"service_number_{i}" for i in range(8))
    out = fmt(f"define services: list of service = [{items}]")
    assert out == expected(
        """
        define services: list of service = [
          service_number_0, service_number_1, service_number_2, service_number_3,
          service_number_4, service_number_5, service_number_6, service_number_7
        ]
        """
    )


def test_long_list_of_compound_items_takes_one_item_per_line() -> None:
    """A long list whose items are not plain names or literals takes one item per line."""
    items = ", ".join(f"count of things_{i} rated good" for i in range(4))
    out = fmt(f'example "e" given {{}} expect counts = [{items}]')
    assert out == expected(
        """
        example "e"
          given {}
          expect counts = [
            count of things_0 rated good,
            count of things_1 rated good,
            count of things_2 rated good,
            count of things_3 rated good
          ]
        """
    )


def test_example_parts_take_a_line_each() -> None:
    """An example puts cite, given, as of and each expectation on its own line."""
    out = fmt(
        'example "t" cite "c" given file "x.json" as of 2020-02-03 expect a = b expect c is undetermined '
        "expect status not_in_force"
    )
    assert out == expected(
        """
        example "t"
          cite "c"
          given file "x.json"
          as of 2020-02-03
          expect a = b
          expect c is undetermined
          expect status not_in_force
        """
    )


def test_example_json_that_fits_stays_on_one_line_with_spaces() -> None:
    """Inline evidence that fits is written on the `given` line with `": "` and `", "` separators."""
    out = fmt('example "t" given {"a":1,"b":[true,null,"x"],"c":{}} expect status evaluated')
    assert '  given {"a": 1, "b": [true, null, "x"], "c": {}}\n' in out


def test_a_small_example_written_over_several_lines_is_laid_on_one() -> None:
    """A `given {...}` block written open, that fits the width, closes onto the `given` line."""
    out = fmt(
        """
        example "t"
          given {
            "framework": "demo",
            "scores": [
              3,
              4
            ]
          }
          expect status evaluated
        """
    )
    assert '  given {"framework": "demo", "scores": [3, 4]}\n' in out


def test_example_json_too_long_opens_objects_and_fills_scalar_arrays() -> None:
    """Long evidence puts one object member per line, fills arrays of scalars, and keeps short parts inline."""
    services = ", ".join(f'"service_{i}"' for i in range(12))
    out = fmt(
        f'example "t" given {{"framework": "x", "review": {{"date": "2018-03-16", "n": 12}}, '
        f'"services": [{services}], "items": [{{"a": 1}}, [2]]}} expect status evaluated'
    )
    assert out == expected(
        """
        example "t"
          given {
            "framework": "x",
            "review": {"date": "2018-03-16", "n": 12},
            "services": [
              "service_0", "service_1", "service_2", "service_3", "service_4", "service_5",
              "service_6", "service_7", "service_8", "service_9", "service_10", "service_11"
            ],
            "items": [{"a": 1}, [2]]
          }
          expect status evaluated
        """
    )


def test_example_json_keeps_numbers_exactly_and_reescapes_strings() -> None:
    """JSON numbers keep their digits (no exponent form) and strings are re-escaped."""
    out = fmt('example "t" given {"n": 2.50, "m": -0.0000001, "s": "a\\u00e9\\"\\n"} expect status evaluated')
    assert '  given {"n": 2.50, "m": -0.0000001, "s": "aé\\"\\n"}\n' in out


# ---------------------------------------------------------------- literals


def test_texts_are_reescaped_as_json() -> None:
    """Labels, titles and citations are written with JSON escapes, non-ASCII as is."""
    assert fmt('outcome o "caf\\u00e9 \\"q\\" \\t"') == 'outcome o "café \\"q\\" \\t"\n'


def test_reasons_keep_their_source_text_exactly() -> None:
    """A reason's text, interpolations and `{{ }}` escapes are kept exactly as written."""
    reason = 'because "n = {count of  xs} {{literal}} caf\\u00e9"'
    out = fmt(f"judgement j: t otherwise a {reason}")
    assert f"    {reason}\n" in out


def test_numbers_dates_and_durations() -> None:
    """Numbers keep their digits, dates are ISO, and a duration of one is singular."""
    assert expr("0.250 + 007") == "0.250 + 7"
    assert expr("2018-04-01 + 1 years - 2 week") == "2018-04-01 + 1 year - 2 weeks"
    assert expr("as  of") == "as of"


# ---------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("a or (b and c)", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not (a or b)", "not (a or b)"),
        ("not (a = b)", "not (a = b)"),
        ("not a = b", "not (a = b)"),
        ("x or (y if missing false)", "x or (y if missing false)"),
        ("(count k in ks where k = a) >= 2", "(count k in ks where k = a) >= 2"),
        ("any x in xs where (a or b)", "any x in xs where (a or b)"),
        ("(any x in xs where a) or b", "any x in xs where a or b"),
        ("count x in (a + b) where c", "count x in (a + b) where c"),
        ("(all x in xs where p) = true", "(all x in xs where p) = true"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a * (b + c)", "a * (b + c)"),
        ("(a = b) = c", "(a = b) = c"),
        ("x if missing (y if missing z)", "x if missing (y if missing z)"),
        ("(x if missing y) at most good", "(x if missing y) at most good"),
        ("worst of (a union b)", "worst of (a union b)"),
        ("count of (worst of xs)", "count of (worst of xs)"),
        ("count of xs rated (a.b)", "count of xs rated a.b"),
        ("(sorted xs).first", "(sorted xs).first"),
        ("[(a or b) for x in (xs) where (c and d)]", "[a or b for x in xs where c and d]"),
        ("((a))", "a"),
        ("a not in [b, c] and d is missing", "a not in [b, c] and d is missing"),
    ],
)
def test_expressions_get_parentheses_only_where_the_tree_needs_them(source: str, printed: str) -> None:
    """Expressions print with the brackets the tree needs, plus those that keep `not` and defaults readable."""
    assert expr(source) == printed
    assert expr(printed) == printed


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("(sum of xs) * 100", "(sum of xs) * 100"),
        ("sum of xs * 100", "sum of xs * 100"),
        ("(a and b) or c", "(a and b) or c"),
        ("(any x in xs where a) or b", "(any x in xs where a) or b"),
        ("(a - b) - c", "(a - b) - c"),
        ("a + (b * c)", "a + (b * c)"),
        ("(count of xs) > 2", "(count of xs) > 2"),
        ("(a) + (b.c) + ([1])", "a + b.c + [1]"),
        ("(a = b)", "a = b"),
        ("((a + b)) * 2", "(a + b) * 2"),
        ("[(a + b), (c)]", "[a + b, c]"),
    ],
)
def test_brackets_the_author_wrote_around_an_operand_stay(written: str, printed: str) -> None:
    """In a file, brackets that group a compound operand are kept; around a name, a whole value or an item they go."""
    out = fmt(f"define v = {written}\n")
    assert out == f"define v = {printed}\n"


def test_kept_brackets_hold_a_broken_chain_together() -> None:
    """A chain too long for the line breaks at its outermost operators, not inside the author's brackets."""
    long = " and ".join(f"condition_number_{i}" for i in range(3))
    out = fmt(f"check c:\n  ok when ({long}) or other_condition_that_is_long or yet_another_condition_here\n")
    assert f"  ok when ({long})\n" in out
    assert "\n      or other_condition_that_is_long\n" in out


# ---------------------------------------------------------------- comments


def test_own_line_comments_stay_before_their_element() -> None:
    """Own-line comments before a declaration, field, member, clause or expectation stay before it."""
    out = fmt(
        """
        # before the enum
        enum e:
          a,
            # before b
          b
        record r:
              # before f
          f: integer
        judgement j: t
        # before the clause
          good when x
          # before otherwise
          otherwise bad
        example "e" given {}
            # before the expectation
          expect j = good
        """
    )
    assert out == expected(
        """
        # before the enum
        enum e:
          a,
          # before b
          b

        record r:
          # before f
          f: integer

        judgement j: t
          # before the clause
          good when x
          # before otherwise
          otherwise bad

        example "e"
          given {}
          # before the expectation
          expect j = good
        """
    )


def test_end_of_line_comments_stay_at_the_end_of_their_line() -> None:
    """A comment at the end of a line stays at the end of that element's line, two spaces before `#`."""
    out = fmt(
        """
        framework x "X"   # title
          source "S"#source
        judgement j: t # header
          good when x   # clause
            because "r"    # reason
          otherwise bad # last
        """
    )
    assert out == expected(
        """
        framework x "X"  # title
          source "S"  #source

        judgement j: t  # header
          good when x  # clause
            because "r"  # reason
          otherwise bad  # last
        """
    )


def test_comment_inside_an_expression_printed_on_one_line_moves_before_it() -> None:
    """A comment inside an expression that is printed on one line goes on its own line before that line."""
    out = fmt(
        """
        judgement j: t
          good when count of
            # the ones that count
            xs > 2
          otherwise bad
        """
    )
    assert out == expected(
        """
        judgement j: t
          # the ones that count
          good when count of xs > 2
          otherwise bad
        """
    )


def test_two_end_of_line_comments_meeting_on_one_line_keep_the_last_at_the_end() -> None:
    """When two end-of-line comments land on one output line, the last stays and the first moves above."""
    out = fmt(
        """
        define x = count of  # first
          xs  # second
        """
    )
    assert out == "# first\ndefine x = count of xs  # second\n"


def test_comment_between_list_items_opens_the_list_one_item_per_line() -> None:
    """A comment between list items forces the list open, one item per line, keeping the comment in place."""
    out = fmt(
        """
        define xs = [a, b,  # after b
          # before c
          c]
        """
    )
    assert out == expected(
        """
        define xs = [
          a,
          b,  # after b
          # before c
          c
        ]
        """
    )


def test_comment_between_chain_operands_opens_the_chain() -> None:
    """A comment between the operands of an and/or chain breaks the chain so the comment keeps its place."""
    out = fmt(
        """
        check c:
          failed when a  # why a
            and b
          otherwise passed
        """
    )
    assert out == "check c:\n  failed when a  # why a\n      and b\n  otherwise passed\n"


def test_comments_inside_example_json_keep_their_places() -> None:
    """Comments inside inline evidence open the JSON around them and stay by their members."""
    out = fmt(
        """
        example "e"
          given {  # evidence
            # the framework
            "framework": "x", "list": [1, # one
              2]
            # closing
          }
          expect status evaluated
        """
    )
    assert out == expected(
        """
        example "e"
          given {  # evidence
            # the framework
            "framework": "x",
            "list": [
              1,  # one
              2
            ]
            # closing
          }
          expect status evaluated
        """
    )


def test_comment_right_after_an_opening_bracket_does_not_open_the_list() -> None:
    """A comment right after `[` on its line moves to the end of the line and leaves a short list closed."""
    assert fmt("define xs = [  # note\n  a, b]\n") == "define xs = [a, b]  # note\n"


def test_comment_after_a_closing_bracket_goes_before_the_next_member() -> None:
    """A comment between a closing bracket and the comma after it goes before the next member, not inside."""
    out = fmt(
        """
        example "e"
          given {"list": [1111111111, 2222222222, 3333333333, 4444444444, 5555555555, 6666666666, 7777777777]
            # about b
            , "b": 2}
          expect status evaluated
        """
    )
    assert '    ],\n    # about b\n    "b": 2\n' in out


def test_comment_between_grades_opens_a_short_scale() -> None:
    """A comment between the grades of a short scale puts one grade per line, keeping the comment in place."""
    out = fmt("scale s: a  # best\n  > b > c\n")
    assert out == "scale s:\n  a  # best\n  > b\n  > c\n"


def test_comments_at_the_top_and_end_keep_their_blank_lines() -> None:
    """Header comments, and comments after the last declaration, keep the blank lines around them."""
    out = fmt(
        """
        # header


        # second paragraph
        outcome a
        # directly after

        # at the end
        """
    )
    assert out == "# header\n\n# second paragraph\noutcome a\n# directly after\n\n# at the end\n"


def test_comment_between_declarations_follows_a_blank_line() -> None:
    """A comment between two declarations sits after the blank line, directly above the next one."""
    out = fmt("outcome a\n# about the enum\nenum e: x\n")
    assert out == "outcome a\n\n# about the enum\nenum e: x\n"


def test_file_of_only_comments_keeps_them() -> None:
    """A file holding nothing but comments keeps them all."""
    assert fmt("# one\n   # two\n\n# three\n") == "# one\n# two\n\n# three\n"


def test_comment_trailing_whitespace_and_crlf_line_endings_are_dropped() -> None:
    """CRLF input gives LF output, and trailing whitespace after comments is removed."""
    out, _ = format_source('outcome a "A"  # note   \r\n\r\noutcome b\r\n')
    assert out == 'outcome a "A"  # note\n\noutcome b\n'


def test_every_comment_survives_a_messy_file() -> None:
    """No comment is lost, whatever the whitespace and wherever the comments sit."""
    text = (
        '# 1\nframework # 2\n x # 3\n "X" # 4\n effective # 5\n from 2020-01-01 # 6\n'
        "judgement # 7\n j # 8\n : # 9\n one of ( # 10\n a, # 11\n b # 12\n ) # 13\n"
        '  a # 14\n when # 15\n not # 16\n x # 17\n because # 18\n "r" # 19\n cite # 20\n "c" # 21\n'
        "  otherwise # 22\n b # 23\n# 24\n"
    )
    out = fmt(text)
    for number in range(1, 25):
        assert f"# {number}\n" in out


# ---------------------------------------------------------------- the fmt command


@pytest.fixture
def runner() -> CliRunner:
    import framework_dsl.cli.fmt  # noqa: F401 - registers the command

    return CliRunner()


def _invoke(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    from framework_dsl.cli.dsl import framework_dsl

    return runner.invoke(framework_dsl, ["fmt", *args])


def test_fmt_check_lists_files_that_would_change_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    """`fmt --check` writes nothing, names each file that would change and exits 1."""
    messy = tmp_path / "a.fw"
    messy.write_text("outcome  a\n", encoding="utf-8")
    (tmp_path / "b.fw").write_text("outcome b\n", encoding="utf-8")
    result = _invoke(runner, "--check", str(tmp_path))
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.output
    assert "b.fw" not in result.stdout
    assert messy.read_text(encoding="utf-8") == "outcome  a\n"


def test_fmt_check_exits_0_when_everything_is_formatted(runner: CliRunner, tmp_path: Path) -> None:
    """`fmt --check` exits 0 when no file would change."""
    (tmp_path / "a.fw").write_text("outcome a\n", encoding="utf-8")
    assert _invoke(runner, "--check", str(tmp_path)).exit_code == 0


def test_fmt_rewrites_changed_files(runner: CliRunner, tmp_path: Path) -> None:
    """Without --check, files that would change are rewritten in place and named."""
    messy = tmp_path / "a.fw"
    messy.write_text("outcome  a # note\n", encoding="utf-8")
    result = _invoke(runner, str(messy))
    assert result.exit_code == 0
    assert messy.read_text(encoding="utf-8") == "outcome a  # note\n"
    assert f"reformatted {messy}" in result.output
    assert not list(tmp_path.glob(".*.tmp"))


def test_fmt_never_writes_a_file_that_does_not_parse(runner: CliRunner, tmp_path: Path) -> None:
    """A file with a syntax error is left alone, its diagnostics printed, and the exit code is 2."""
    broken = tmp_path / "broken.fw"
    broken.write_text("judgement  x: rating\n  good when\n", encoding="utf-8")
    fine = tmp_path / "fine.fw"
    fine.write_text("outcome  a\n", encoding="utf-8")
    result = _invoke(runner, str(tmp_path))
    assert result.exit_code == 2
    assert "syntax." in result.stderr
    assert broken.read_text(encoding="utf-8") == "judgement  x: rating\n  good when\n"
    assert fine.read_text(encoding="utf-8") == "outcome a\n"


def test_fmt_never_writes_output_that_fails_its_round_trip_check(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the formatter's output would change the tree, the file is left alone and the exit code is 4."""
    from framework_dsl import formatter

    monkeypatch.setattr(formatter, "format_rule_file", lambda tree: "outcome changed\n")
    messy = tmp_path / "a.fw"
    messy.write_text("outcome  a\n", encoding="utf-8")
    with pytest.raises(formatter.FormatError):
        formatter.format_source("outcome  a\n")
    result = _invoke(runner, str(messy))
    assert result.exit_code == 4
    assert "internal error" in result.stderr
    assert messy.read_text(encoding="utf-8") == "outcome  a\n"


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    """`fmt --diff` prints the change as a unified diff and leaves the file alone."""
    messy = tmp_path / "a.fw"
    messy.write_text("outcome  a\n", encoding="utf-8")
    result = _invoke(runner, "--diff", str(messy))
    assert result.exit_code == 0
    assert "-outcome  a\n+outcome a\n" in result.stdout
    assert messy.read_text(encoding="utf-8") == "outcome  a\n"


def test_fmt_reports_a_missing_path_with_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    """A path that does not exist is reported and the exit code is 2."""
    result = _invoke(runner, "--check", str(tmp_path / "nothing.fw"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_fmt_defaults_to_the_bundled_rules(runner: CliRunner) -> None:
    """With no RULES, fmt looks at the bundled rules (checked here with --check, which writes nothing)."""
    result = _invoke(runner, "--check")
    assert result.exit_code in (0, 1, 2)
    assert "unchanged" in result.stderr


def test_parsed_nodes_compare_without_spans() -> None:
    """Trees that differ only in layout compare equal (what the round trip relies on)."""
    one, _ = parse_source(SourceFile("a", "define x = a and b"))
    two, _ = parse_source(SourceFile("b", "define   x =\n  a\n  and b"))
    assert one is not None and two is not None
    assert one.items == two.items
    assert isinstance(one.items[0], nodes.DefineDecl)
